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
        public string BackupName { get; set; } = string.Empty;

        /// <summary>Restore without asking (-WhatIf still applies).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Skip the checks before the POST (target idle and same tier, blob present and younger than 30 days).</summary>
        [Parameter]
        public SwitchParameter SkipPreflight { get; set; }

        protected override string? RequestedBackupName => BackupName;

        protected override bool Confirm(ServiceId service, BackupRestoreRequest request)
        {
            string action = $"Restore {Describe(request)}, replacing the service's configuration";
            bool confirmGiven = MyInvocation.BoundParameters.ContainsKey("Confirm");
            if (Force && !confirmGiven)
            {
                bool whatIf = LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"))
                    || (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && LanguagePrimitives.IsTrue(w));
                return !whatIf || ShouldProcess(service.ResourceId, action);
            }
            try
            {
                return ShouldProcess(service.ResourceId, action);
            }
            catch (Exception ex) when (ex is PSInvalidOperationException || ex is System.Management.Automation.Host.HostException || ex is NotImplementedException)
            {
                // Non-interactive host (runbook, CI): refusing to prompt must not mean restoring anyway.
                WriteFailure(new ApimDrException(ErrorIds.ConfirmationRequired, ApimErrorCategory.InvalidOperation,
                    $"Restoring into '{service.ResourceId}' replaces its configuration and needs confirmation, which this host cannot ask for. Pass -Force or -Confirm:$false.", service.ResourceId, ex), service.ResourceId);
                return false;
            }
        }

        private protected override Task<OperationState> StartAsync(ArmClient client, ServiceId service, BackupRestoreRequest request, StorageLocation storage, CancellationToken cancellationToken)
            => DrWorkflow.StartRestoreAsync(client, service, request, SkipPreflight ? null : storage,
                SkipPreflight, message => Post(() => WriteWarning(message)), cancellationToken);
    }
}
