using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
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

        /// <summary>Do not read the service's configuration before the backup (then Restore-ApimService -Verify cannot check a restore of it).</summary>
        [Parameter]
        public SwitchParameter SkipSnapshot { get; set; }

        protected override string? RequestedBackupName => BackupName;

        private protected override async Task<StartedOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            // -Confirm in a host that cannot prompt: ConfirmationRequired.
            if (!await start.ConfirmAsync(false, $"Back up to {start.Describe}").ConfigureAwait(false)) return null;
            (ApimOperation operation, BackupManifest? manifest) = await DrWorkflow.StartBackupAsync(start.Client, start.Service, start.Request, start.Storage, !SkipSnapshot, ArmSession.Journal, start.Warn, cancellationToken).ConfigureAwait(false);
            // The manifest beside the backup is written at start; when a wait sees the end, it records it there too.
            return new StartedOperation(operation, manifest == null ? null : async ct => start.Warn(await DrWorkflow.RecordBackupEndAsync(start.Storage, manifest, operation, ct).ConfigureAwait(false)));
        }
    }
}
