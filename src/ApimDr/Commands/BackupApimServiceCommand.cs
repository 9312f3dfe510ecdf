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
        /// <summary>The blob to write; default {service}-{UTC yyyyMMddTHHmmssZ}.apimbackup.</summary>
        [Parameter]
        [Alias("TargetBlobName", "BlobName")]
        [ArgumentCompleter(typeof(Completers.NoFileNamesCompleter))]   // a new name: nothing to offer, and never file names
        public string? BackupName { get; set; }

        protected override string? RequestedBackupName => BackupName;

        protected override bool Confirm(ServiceId service, BackupRestoreRequest request)
            => ShouldProcessUnlessForced(false, service.ResourceId, $"Back up to {Describe(request)}");   // -Confirm in a host that cannot prompt: ConfirmationRequired

        private protected override Task<ApimOperation> StartAsync(ArmClient client, ServiceId service, BackupRestoreRequest request, StorageLocation storage, CancellationToken cancellationToken)
            => DrWorkflow.StartBackupAsync(client, service, request, Journal, message => Post(() => WriteWarning(message)), cancellationToken);

        /// <summary>Best effort: record the source service and SKU on the blob; a warning, never a failed backup.</summary>
        private protected override async Task OnSucceededAsync(ApimOperation operation, StorageLocation storage, CancellationToken cancellationToken)
        {
            string? warning = await DrWorkflow.RecordBackupSourceAsync(storage, operation, cancellationToken).ConfigureAwait(false);
            if (warning != null) Post(() => WriteWarning(warning));
        }
    }
}
