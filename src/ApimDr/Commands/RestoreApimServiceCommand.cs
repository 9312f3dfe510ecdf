using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
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
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string BackupName { get; set; } = string.Empty;

        /// <summary>Restore without asking (-WhatIf still applies).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Skip the checks before the POST (target idle and same tier, blob present and younger than 30 days).</summary>
        [Parameter]
        public SwitchParameter SkipPreflight { get; set; }

        protected override string? RequestedBackupName => BackupName;

        protected override bool Confirm(ServiceId service, BackupRestoreRequest request)
            => ShouldProcessUnlessForced(Force, service.ResourceId, $"Restore {Describe(request)}, replacing the service's configuration");

        private protected override Task<ApimOperation> StartAsync(ArmClient client, ServiceId service, BackupRestoreRequest request, StorageLocation storage, CancellationToken cancellationToken)
            => DrWorkflow.StartRestoreAsync(client, service, request, SkipPreflight ? null : storage,
                SkipPreflight, Journal, message => Post(() => WriteWarning(message)), cancellationToken);
    }
}
