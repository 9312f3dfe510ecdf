using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr.Commands
{
    /// <summary>Restores an APIM backup into an existing service through ARM's …/restore action.</summary>
    [Cmdlet(VerbsData.Restore, "ApimService", DefaultParameterSetName = ByResourceId, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ApimOperation), typeof(ApimRestoreVerification))]
    public sealed class RestoreApimServiceCommand : ApimServiceCmdlet
    {
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("SourceBlobName", "BlobName")]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string BackupName { get; set; } = string.Empty;

        /// <summary>Restore without asking (-WhatIf still applies).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Skip the checks before the POST (target idle and same tier, blob present and younger than 30 days).</summary>
        [Parameter]
        public SwitchParameter SkipPreflight { get; set; }

        /// <summary>After a successful restore, compare the service with the configuration snapshot taken before the backup.</summary>
        [Parameter]
        public SwitchParameter Verify { get; set; }

        protected override string? RequestedBackupName => BackupName;

        private protected override async Task<StartedOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            // The backup first (not under -WhatIf, which sends nothing): the prompt shows its source, SKU, age and size.
            BackupBlob? backup = SkipPreflight || start.WhatIf ? null : await DrWorkflow.ReadBackupAsync(start.Storage, start.Request.BackupName, start.Warn, cancellationToken).ConfigureAwait(false);
            ApimConfiguration? snapshot = Verify && !start.WhatIf ? await ReadSnapshotAsync(start, cancellationToken).ConfigureAwait(false) : null;
            string about = backup == null ? string.Empty : " (" + backup.Describe(start.Service.ResourceId, DateTimeOffset.UtcNow) + ")";
            if (!await start.ConfirmAsync(Force, $"Restore {start.Describe}{about}, replacing the service's configuration").ConfigureAwait(false)) return null;
            ApimOperation operation = await DrWorkflow.StartRestoreAsync(start.Client, start.Service, start.Request, backup,
                SkipPreflight, ArmSession.Journal, start.Warn, cancellationToken).ConfigureAwait(false);
            if (snapshot == null) return new StartedOperation(operation);
            return new StartedOperation(operation, async ct =>
            {
                if (operation.Status != ApimOperation.Succeeded) return;
                ApimRestoreVerification verification = await DrWorkflow.VerifyRestoreAsync(start.Client, start.Service, start.Request.BackupName, snapshot, ct).ConfigureAwait(false);
                start.Emit(verification, verification.IsEqual ? null : new ApimDrException(ErrorIds.RestoreVerificationFailed, ApimErrorCategory.InvalidResult,
                    $"The restore of '{start.Request.BackupName}' into '{start.Service.Name}' succeeded, but {verification.Differences.Count} restorable properties differ from the snapshot taken before the backup ({verification.SnapshotTakenAt:u}): see the ApimRestoreVerification output.", start.Service.ResourceId));
            });
        }

        private static async Task<ApimConfiguration> ReadSnapshotAsync(ServiceStart start, CancellationToken cancellationToken)
            => await BackupCatalog.ReadSnapshotAsync(start.Storage, start.Request.BackupName, cancellationToken).ConfigureAwait(false)
               ?? throw new ApimDrException(ErrorIds.SnapshotNotFound, ApimErrorCategory.ObjectNotFound,
                   $"-Verify needs the configuration snapshot stored beside backup '{start.Request.BackupName}' ({BackupManifest.SnapshotNameFor(start.Request.BackupName)}), and there is none (backed up with -SkipSnapshot or by another tool?). Nothing was restored; restore without -Verify, or compare with Compare-ApimConfiguration.", start.Request.BackupName);
    }
}
