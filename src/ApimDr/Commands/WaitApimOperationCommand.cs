using System;
using System.Collections.Generic;
using System.Management.Automation;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;

namespace ApimDr.Commands
{
    /// <summary>
    /// Waits for APIM backup/restore operations — live ApimOperation objects or deserialized ones
    /// (Import-Clixml, ConvertFrom-Json), bound by property name — all together, emitting each as it ends.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "ApimOperation")]
    [OutputType(typeof(ApimOperation))]
    public sealed class WaitApimOperationCommand : ArmCmdlet
    {
        private readonly List<OperationState> _pending = new List<OperationState>();

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, Position = 0)]
        [Alias("Location")]
        public Uri PollUrl { get; set; } = null!;

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        public string ResourceId { get; set; } = string.Empty;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateSet("Backup", "Restore")]
        public string Kind { get; set; } = "Backup";

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? Status { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? PollStyle { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public DateTime? StartTime { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public DateTime? NextPollAt { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? StorageAccountName { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? ContainerName { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? BackupName { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? AccessType { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? CorrelationId { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public string? Sku { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                OperationState state = ToState();
                if (state.IsTerminal)
                {
                    WriteObject(OperationMapper.ToPublic(state));   // the service's verdict is final: nothing to poll
                    return;
                }
                _pending.Add(state);
            }
            catch (ApimDrException ex)
            {
                WriteFailure(ex, PollUrl);
            }
        }

        protected override void EndProcessing()
        {
            try
            {
                WaitAndEmit(_pending);
            }
            finally
            {
                base.EndProcessing();
            }
        }

        private static DateTimeOffset ToUtc(DateTime time)
            => new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime());

        private OperationState ToState()
        {
            ServiceId service = ServiceId.Parse(ResourceId);
            ResolveCloud();   // a bad -ResourceManagerUrl / -Environment is refused here, per input, before any request
            if (!PollUrl.IsAbsoluteUri)
            {
                throw new ApimDrException(ErrorIds.InvalidPollUrl, ApimErrorCategory.InvalidArgument,
                    $"-PollUrl '{PollUrl.OriginalString}' is not an absolute URL. Pass the operation object Backup-ApimService or Restore-ApimService returned (or Get-ApimOperation lists).", ResourceId);
            }
            var state = new OperationState
            {
                Kind = (OperationKind)Enum.Parse(typeof(OperationKind), Kind, ignoreCase: true),
                ResourceId = service.ResourceId,
                SubscriptionId = service.SubscriptionId,
                ResourceGroupName = service.ResourceGroupName,
                Name = service.Name,
                PollUrl = PollUrl,
                PollStyle = string.IsNullOrEmpty(PollStyle) ? "Location" : PollStyle!,
                // Never the object's own ResourceManagerUrl (data, not the user's choice): only a well-known
                // cloud recognised from the poll URL; otherwise the wait uses the endpoint the user chose.
                ResourceManagerUrl = CloudEnvironment.KnownFor(PollUrl)?.ResourceManagerUrl,
                StorageAccountName = StorageAccountName ?? string.Empty,
                ContainerName = ContainerName ?? string.Empty,
                BackupName = BackupName ?? string.Empty,
                StartTime = StartTime.HasValue ? ToUtc(StartTime.Value) : DateTimeOffset.UtcNow,
                Status = string.IsNullOrEmpty(Status) ? "InProgress" : Status!,
                CorrelationId = string.IsNullOrEmpty(CorrelationId) ? Guid.NewGuid().ToString() : CorrelationId!,
                Sku = Sku,
                NextPollAt = NextPollAt.HasValue ? ToUtc(NextPollAt.Value) : (DateTimeOffset?)null,
            };
            if (!string.IsNullOrEmpty(AccessType) && Enum.TryParse(AccessType, true, out StorageAccessType access)) state.AccessType = access;
            return state;
        }
    }
}
