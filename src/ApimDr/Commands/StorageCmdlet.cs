using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using ApimDr.Completers;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Validation;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>Base of the catalog cmdlets: where the backups are and how ApimDr reaches them.</summary>
    public abstract class StorageCmdlet : PSCmdlet, IStorageSelection, IDisposable
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

        /// <summary>A cloud by name (AzureCloud, AzureChinaCloud, AzureUSGovernment); default: the signed-in Az context's, else AzureCloud.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        /// <summary>Only backups of the services whose name matches (wildcards), as their manifest records it.</summary>
        [Parameter]
        [SupportsWildcards]
        public string? ServiceName { get; set; }

        /// <summary>Only backups of this service (its full resource id), as their manifest records it.</summary>
        [Parameter]
        public string? SourceServiceId { get; set; }

        private CommandSession? _session;
        private HashSet<string> _line = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        private protected CommandSession Session => _session ?? throw new InvalidOperationException("BeginProcessing has not run.");

        protected string Target => StorageAccountName + "/" + ContainerName;

        protected override void BeginProcessing()
        {
            _session = new CommandSession(this);
            _session.Begin();
            _line = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        }

        protected override void StopProcessing() => _session?.Stop();

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        /// <summary>What a cmdlet adds (Test-ApimBackup's ARM session) is released here too.</summary>
        protected virtual void Dispose(bool disposing) => _session?.Dispose();

        /// <summary>
        /// This input's location (<see cref="StorageSelection"/>: names, a piped endpoint only when it is the
        /// account's standard host, the cloud, key or Storage token), checked before any request; a Storage
        /// token is refused over plain http.
        /// </summary>
        private protected StorageLocation CreateLocation()
        {
            NamePattern.Create(ServiceName, "-ServiceName");   // a malformed pattern is refused before any request
            if (!string.IsNullOrEmpty(SourceServiceId)) Engine.Arm.ServiceId.Parse(SourceServiceId!);   // InvalidResourceId: a filter that can match nothing
            StorageLocation location = StorageSelection.Select(this, _line, Session.ResolveCloud(Environment, null), Session);
            location.ValidateCredentials();
            return location;
        }

        /// <summary>A literal backup name: InvalidBackupName before any request when it could not be one.</summary>
        private protected static void ValidateLiteralBackupName(string? name)
        {
            if (!string.IsNullOrEmpty(name)) ResourceNames.ValidateBlobName(name);
        }

        /// <summary>
        /// The entries named <paramref name="literal"/> (exactly) and/or matching <paramref name="pattern"/>, whose
        /// SOURCE matches -ServiceName / -SourceServiceId (from the manifest, not the blob name: 'prod*' names
        /// would also match 'prod-msi'). Patterns are made before any request (<see cref="NamePattern"/>).
        /// </summary>
        private protected IReadOnlyList<ApimBackup> Select(IEnumerable<ApimBackup> entries, string? literal, WildcardPattern? pattern)
        {
            WildcardPattern? service = NamePattern.Create(ServiceName, "-ServiceName");
            return entries.Where(b => (string.IsNullOrEmpty(literal) || string.Equals(b.BackupName, literal, StringComparison.Ordinal))
                    && (pattern == null || pattern.IsMatch(b.BackupName))
                    && (service == null || (b.SourceServiceId != null && service.IsMatch(b.SourceServiceName ?? string.Empty)))
                    && (string.IsNullOrEmpty(SourceServiceId) || string.Equals(b.SourceServiceId, SourceServiceId!.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
                .ToList();
        }

        /// <summary>BackupNotFound for a literal name that names no backup (a destructive command never answers a typo with silence).</summary>
        private protected ApimDrException NotFound(string backupName)
            => new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                $"Backup '{backupName}' was not found in container '{ContainerName}' of storage account '{StorageAccountName}'.", backupName);
    }
}
