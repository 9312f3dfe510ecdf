using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr.Commands
{
    /// <summary>Backs up APIM services to blob storage through ARM's …/backup action.</summary>
    [Cmdlet(VerbsData.Backup, "ApimService", DefaultParameterSetName = ByResourceId, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ApimOperation))]
    public sealed class BackupApimServiceCommand : ApimServiceCmdlet
    {
        private readonly Dictionary<string, object> _locations = new Dictionary<string, object>(StringComparer.Ordinal);

        /// <summary>The blob to write; default {service}-{UTC yyyyMMddTHHmmssZ}.apimbackup.</summary>
        [Parameter]
        [Alias("TargetBlobName", "BlobName")]
        public string? BackupName { get; set; }

        protected override string? RequestedBackupName => BackupName;

        protected override bool Confirm(ServiceId service, BackupRestoreRequest request)
            => ShouldProcessUnlessForced(false, service.ResourceId, $"Back up to {Describe(request)}");   // -Confirm in a host that cannot prompt: ConfirmationRequired

        private protected override async Task<ApimOperation> StartAsync(ArmClient client, ServiceId service, BackupRestoreRequest request, StorageLocation storage, CancellationToken cancellationToken)
        {
            ApimOperation operation = await DrWorkflow.StartBackupAsync(client, service, request, Journal, message => Post(() => WriteWarning(message)), cancellationToken).ConfigureAwait(false);
            lock (_locations) _locations[operation.PollUrl!.AbsoluteUri] = storage;
            return operation;
        }

        /// <summary>Best effort: record the source service and SKU on the blob; a warning, never a failed backup.</summary>
        private protected override async Task OnSucceededAsync(ApimOperation operation, CancellationToken cancellationToken)
        {
            object? location;
            lock (_locations) _locations.TryGetValue(operation.PollUrl!.AbsoluteUri, out location);
            if (location == null) return;
            string? warning = await DrWorkflow.RecordBackupSourceAsync((StorageLocation)location, operation, cancellationToken).ConfigureAwait(false);
            if (warning != null) Post(() => WriteWarning(warning));
        }
    }
}
