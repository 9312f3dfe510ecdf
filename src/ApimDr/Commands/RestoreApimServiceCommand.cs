using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

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

        private protected override Task<ApimOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
            => start.StartRestoreAsync(Force, SkipPreflight, Verify, cancellationToken);   // pre-flight, prompt, POST: one copy, shared with Test-ApimBackup
    }
}
