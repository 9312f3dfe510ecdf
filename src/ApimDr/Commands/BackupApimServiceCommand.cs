using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
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

        private protected override async Task<ApimOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            // -Confirm in a host that cannot prompt: ConfirmationRequired.
            if (!await start.ConfirmAsync(false, $"Back up to {start.Describe}").ConfigureAwait(false)) return null;
            // The manifest beside the backup is written at start; the operation carries "record the end" for whichever wait sees it.
            return await DrWorkflow.StartBackupAsync(start.Client, start.Service, start.Request, !SkipSnapshot, ArmSession.Journal, start.Warn, cancellationToken).ConfigureAwait(false);
        }
    }
}
