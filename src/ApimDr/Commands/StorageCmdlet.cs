using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using ApimDr.Completers;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Validation;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>Base of the catalog cmdlets: where the backups are and how ApimDr reaches them.</summary>
    public abstract class StorageCmdlet : ApimDrCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("StorageAccount")]
        public string StorageAccountName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Container")]
        public string ContainerName { get; set; } = string.Empty;

        [Parameter]
        [Alias("AccessKey")]
        public SecureString? StorageAccountKey { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public Uri? BlobEndpoint { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string Environment { get; set; } = "AzureCloud";

        protected string Target => StorageAccountName + "/" + ContainerName;

        /// <summary>
        /// Validates the names, endpoint and key (before any request) and picks the key, else a Storage
        /// token (refused over plain http).
        /// </summary>
        private protected StorageLocation CreateLocation()
        {
            var location = new StorageLocation(StorageAccountName, ContainerName, CloudEnvironment.Get(Environment), BlobEndpoint)
            {
                AccountKey = StorageAccountKey,
                Credentials = CreateCredentials(null),
            };
            location.ValidateCredentials();
            return location;
        }

        /// <summary>A -BackupName without wildcards is a literal blob name: InvalidBackupName before any request when it could not be one.</summary>
        private protected static void ValidateLiteralBackupName(string? nameOrPattern)
        {
            if (!string.IsNullOrEmpty(nameOrPattern) && !WildcardPattern.ContainsWildcardCharacters(nameOrPattern))
            {
                ResourceNames.ValidateBlobName(nameOrPattern);
            }
        }

        /// <summary>The backups whose name matches a wildcard pattern (all when none), case-insensitively.</summary>
        private protected static IReadOnlyList<BackupBlob> MatchName(IEnumerable<BackupBlob> backups, string? pattern)
        {
            if (string.IsNullOrEmpty(pattern)) return backups.ToList();
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
            return backups.Where(b => wildcard.IsMatch(b.BackupName)).ToList();
        }

        internal static ApimBackup ToApimBackup(BackupBlob blob) => new ApimBackup
        {
            StorageAccountName = blob.StorageAccountName,
            ContainerName = blob.ContainerName,
            BackupName = blob.BackupName,
            Created = blob.Created.UtcDateTime,
            ExpiresOn = blob.ExpiresOn.UtcDateTime,
            SizeBytes = blob.SizeBytes,
            SourceServiceId = blob.SourceServiceId,
            SourceSku = blob.SourceSku,
            Uri = blob.Uri,
            BlobEndpoint = blob.BlobEndpoint,
        };
    }
}
