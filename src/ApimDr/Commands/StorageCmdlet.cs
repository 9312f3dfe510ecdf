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
    public abstract class StorageCmdlet : PSCmdlet, IDisposable
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

        /// <summary>Only backups of the services whose name matches (wildcards), as their manifest records it.</summary>
        [Parameter]
        [SupportsWildcards]
        public string? ServiceName { get; set; }

        /// <summary>Only backups of this service (its full resource id), as their manifest records it.</summary>
        [Parameter]
        public string? SourceServiceId { get; set; }

        private CommandSession? _session;

        private protected CommandSession Session => _session ?? throw new InvalidOperationException("BeginProcessing has not run.");

        protected string Target => StorageAccountName + "/" + ContainerName;

        protected override void BeginProcessing()
        {
            _session = new CommandSession(this);
            _session.Begin();
        }

        protected override void StopProcessing() => _session?.Stop();

        public void Dispose() => _session?.Dispose();

        /// <summary>
        /// Validates the names, -SourceServiceId, endpoint and key (before any request) and picks the key, else a Storage
        /// token (refused over plain http).
        /// </summary>
        private protected StorageLocation CreateLocation()
        {
            if (!string.IsNullOrEmpty(SourceServiceId)) Engine.Arm.ServiceId.Parse(SourceServiceId!);   // InvalidResourceId: a filter that can match nothing
            StorageLocation location = Session.StorageAt(StorageAccountName, ContainerName, CloudEnvironment.Get(Environment), BlobEndpoint, StorageAccountKey);
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

        /// <summary>
        /// The entries whose name matches <paramref name="namePattern"/> and whose SOURCE matches -ServiceName /
        /// -SourceServiceId (from the manifest, not the blob name: 'prod*' names would also match 'prod-msi').
        /// </summary>
        private protected IReadOnlyList<BackupBlob> Select(IEnumerable<BackupBlob> entries, string? namePattern)
        {
            WildcardPattern? name = string.IsNullOrEmpty(namePattern) ? null : new WildcardPattern(namePattern, WildcardOptions.IgnoreCase);
            WildcardPattern? service = string.IsNullOrEmpty(ServiceName) ? null : new WildcardPattern(ServiceName, WildcardOptions.IgnoreCase);
            return entries.Where(b => (name == null || name.IsMatch(b.BackupName))
                    && (service == null || (b.SourceServiceId != null && service.IsMatch(b.SourceServiceName ?? string.Empty)))
                    && (string.IsNullOrEmpty(SourceServiceId) || string.Equals(b.SourceServiceId, SourceServiceId!.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
                .ToList();
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
            SourceServiceName = blob.SourceServiceName,
            SourceSku = blob.SourceSku,
            SourceCapacity = blob.Manifest?.SourceCapacity,
            Status = blob.Status,
            HasManifest = blob.Manifest != null,
            HasSnapshot = blob.HasSnapshot,
            PollUrl = blob.Manifest?.PollUrl,
            StartTime = blob.Manifest?.StartTime,
            EndTime = blob.Manifest?.EndTime,
            Uri = blob.Exists ? blob.Uri : null,
            BlobEndpoint = blob.BlobEndpoint,
        };
    }
}
