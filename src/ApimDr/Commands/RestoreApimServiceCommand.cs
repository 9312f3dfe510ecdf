using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr.Commands
{
    /// <summary>Restores an APIM backup into an existing service through ARM's …/restore action.</summary>
    [Cmdlet(VerbsData.Restore, "ApimService", DefaultParameterSetName = ByResourceId, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ApimOperation))]
    public sealed class RestoreApimServiceCommand : ApimServiceCmdlet
    {
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("SourceBlobName", "BlobName")]
        public string BackupName { get; set; } = string.Empty;

        /// <summary>Restore without asking (-WhatIf still applies).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Skip the checks before the POST (target idle and same tier, blob present and younger than 30 days).</summary>
        [Parameter]
        public SwitchParameter SkipPreflight { get; set; }

        protected override string? RequestedBackupName => BackupName;

        private protected override async Task<StartedOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            // The backup first (not under -WhatIf, which sends nothing): the prompt shows its source, SKU, age and size.
            BackupBlob? backup = SkipPreflight || start.WhatIf ? null : await DrWorkflow.ReadBackupAsync(start.Storage, start.Request.BackupName, start.Warn, cancellationToken).ConfigureAwait(false);
            string about = backup == null ? string.Empty : " (" + backup.Describe(start.Service.ResourceId, DateTimeOffset.UtcNow) + ")";
            if (!await start.ConfirmAsync(Force, $"Restore {start.Describe}{about}, replacing the service's configuration").ConfigureAwait(false)) return null;
            ApimOperation operation = await DrWorkflow.StartRestoreAsync(start.Client, start.Service, start.Request, backup,
                SkipPreflight, ArmSession.Journal, start.Warn, cancellationToken).ConfigureAwait(false);
            return new StartedOperation(operation);
        }
    }
}
