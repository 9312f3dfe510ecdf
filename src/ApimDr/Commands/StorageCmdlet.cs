using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using ApimDr.Completers;
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

        public void Dispose() => _session?.Dispose();

        /// <summary>
        /// This input's location (<see cref="StorageSelection"/>: names, a piped endpoint only when it is the
        /// account's standard host, the cloud, key or Storage token), checked before any request; a Storage
        /// token is refused over plain http.
        /// </summary>
        private protected StorageLocation CreateLocation()
        {
            StorageLocation location = StorageSelection.Select(this, _line, Session.ResolveCloud(Environment, null), Session);
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
        private protected IReadOnlyList<ApimBackup> Select(IEnumerable<ApimBackup> entries, string? namePattern)
        {
            WildcardPattern? name = string.IsNullOrEmpty(namePattern) ? null : new WildcardPattern(namePattern, WildcardOptions.IgnoreCase);
            WildcardPattern? service = string.IsNullOrEmpty(ServiceName) ? null : new WildcardPattern(ServiceName, WildcardOptions.IgnoreCase);
            return entries.Where(b => (name == null || name.IsMatch(b.BackupName))
                    && (service == null || (b.SourceServiceId != null && service.IsMatch(b.SourceServiceName ?? string.Empty)))
                    && (string.IsNullOrEmpty(SourceServiceId) || string.Equals(b.SourceServiceId, SourceServiceId!.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
                .ToList();
        }

    }
}
