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

        private protected override string BackupNameFor(Engine.Arm.ServiceId service) => BackupName;   // an existing blob: taken literally

        private protected override async Task<ApimOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            // The read-only pre-flight first — also under -WhatIf, which then says what would fail — so the
            // prompt shows the backup's source, SKU, age and size and nothing is asked that cannot succeed.
            ApimBackup? backup = SkipPreflight ? null : await DrWorkflow.ReadBackupAsync(start.Storage, start.Request.BackupName, start.Warn, cancellationToken).ConfigureAwait(false);
            if (Verify) await EnsureSnapshotAsync(start, cancellationToken).ConfigureAwait(false);
            string? targetSku = SkipPreflight ? null : await DrWorkflow.PreflightRestoreAsync(start.Client, start.Service, start.Request, backup, ArmSession.Journal, cancellationToken).ConfigureAwait(false);
            string about = backup == null ? string.Empty : " (" + BackupDescription.Describe(backup, start.Service.ResourceId, DateTimeOffset.UtcNow) + ")";
            if (!await start.ConfirmAsync(Force, $"Restore {start.Describe}{about}, replacing the service's configuration").ConfigureAwait(false)) return null;
            // -Verify travels with the operation: whichever wait sees the restore succeed verifies it (this one, or a later one after -NoWait).
            return await DrWorkflow.StartRestoreAsync(start.Client, start.Service, start.Request, targetSku,
                Verify ? new[] { ApimFollowUp.Verify } : Array.Empty<string>(), ArmSession.Journal, start.Warn, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>SnapshotNotFound before anything starts: -Verify without a snapshot could never verify.</summary>
        private static async Task EnsureSnapshotAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            if (await BackupCatalog.ReadSnapshotAsync(start.Storage, start.Request.BackupName, cancellationToken).ConfigureAwait(false) != null) return;
            throw new ApimDrException(ErrorIds.SnapshotNotFound, ApimErrorCategory.ObjectNotFound,
                $"-Verify needs the configuration snapshot stored beside backup '{start.Request.BackupName}' ({BackupManifest.SnapshotNameFor(start.Request.BackupName)}), and there is none (backed up with -SkipSnapshot or by another tool?). Nothing was restored; restore without -Verify, or compare with Compare-ApimConfiguration.", start.Request.BackupName);
        }
    }
}
