using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using ApimDr.Completers;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>Lists the APIM backups in a blob container, newest first.</summary>
    [Cmdlet(VerbsCommon.Get, "ApimBackup")]
    [OutputType(typeof(ApimBackup))]
    public sealed class GetApimBackupCommand : ApimDrCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("StorageAccount")]
        public string StorageAccountName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Container")]
        public string ContainerName { get; set; } = string.Empty;

        /// <summary>A blob name or wildcard pattern.</summary>
        [Parameter(Position = 2)]
        [Alias("BlobName")]
        [SupportsWildcards]
        public string? BackupName { get; set; }

        [Parameter]
        [Alias("AccessKey")]
        public SecureString? StorageAccountKey { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public Uri? BlobEndpoint { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string Environment { get; set; } = "AzureCloud";

        protected override void ProcessRecord()
        {
            string target = StorageAccountName + "/" + ContainerName;
            try
            {
                var location = new StorageLocation(StorageAccountName, ContainerName, CloudEnvironment.Get(Environment), BlobEndpoint)
                {
                    AccountKey = StorageAccountKey,
                    Credentials = CreateCredentials(null),
                };
                WriteVerbose($"Listing backups in {location.ContainerUri} using {(StorageAccountKey != null ? "the account key" : "a Storage token")}.");
                IReadOnlyList<BackupBlob> blobs = Run(ct => BackupCatalog.ListAsync(location, null, ct));
                WritePatternMatches(blobs, target);
            }
            catch (ApimDrException ex)
            {
                WriteFailure(ex, target);
            }
        }

        private void WritePatternMatches(IReadOnlyList<BackupBlob> blobs, string target)
        {
            WildcardPattern? pattern = string.IsNullOrEmpty(BackupName) ? null : new WildcardPattern(BackupName, WildcardOptions.IgnoreCase);
            int written = 0;
            foreach (BackupBlob blob in blobs)
            {
                if (pattern != null && !pattern.IsMatch(blob.BackupName)) continue;
                WriteObject(ToApimBackup(blob));
                written++;
            }
            if (written == 0 && pattern != null && !WildcardPattern.ContainsWildcardCharacters(BackupName))
            {
                var error = new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup '{BackupName}' was not found in container '{ContainerName}' of storage account '{StorageAccountName}'.", BackupName);
                WriteFailure(error, target);
            }
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
