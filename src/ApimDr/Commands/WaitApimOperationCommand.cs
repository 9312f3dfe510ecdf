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
    /// (Import-Clixml, ConvertFrom-Json, Get-ApimOperation), or one named by -PollUrl/-ResourceId —
    /// all together, emitting each as it ends. Every input becomes the operation record through
    /// <see cref="ApimOperation.FromProperties"/>, the one factory.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "ApimOperation", DefaultParameterSetName = ByObject)]
    [OutputType(typeof(ApimOperation))]
    public sealed class WaitApimOperationCommand : ArmCmdlet
    {
        private const string ByObject = "ByObject";
        private const string ByUrl = "ByUrl";
        private readonly List<StartedOperation> _pending = new List<StartedOperation>();

        /// <summary>An operation object: what Backup-/Restore-ApimService or Get-ApimOperation returned, live or deserialized.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true, Position = 0)]
        [Alias("Operation")]
        public PSObject InputObject { get; set; } = null!;

        /// <summary>The operation's poll URL (the resume line of a started operation prints it).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByUrl)]
        [Alias("Location")]
        public Uri PollUrl { get; set; } = null!;

        [Parameter(Mandatory = true, ParameterSetName = ByUrl)]
        [Alias("Id")]
        public string ResourceId { get; set; } = string.Empty;

        [Parameter(ParameterSetName = ByUrl)]
        [ValidateSet("Backup", "Restore")]
        public string Kind { get; set; } = "Backup";

        /// <summary>Bounds the wait; the operation keeps running server side and stays resumable.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        private protected override int WaitTimeoutSeconds => TimeoutSeconds;

        protected override void ProcessRecord()
        {
            ApimOperation? operation = null;
            try
            {
                operation = ParameterSetName == ByUrl
                    ? ApimOperation.FromProperties(name => name == nameof(PollUrl) ? PollUrl : name == nameof(ResourceId) ? ResourceId : name == nameof(Kind) ? Kind : null)
                    : ApimOperation.FromProperties(name => Property(InputObject, name));
                Validate(operation);
                if (operation.IsTerminal)
                {
                    WriteObject(operation);   // the service's verdict is final: nothing to poll
                    return;
                }
                _pending.Add(new StartedOperation(operation));
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, operation?.PollUrl ?? (object?)InputObject);
            }
        }

        protected override void EndProcessing() => Arm.WaitAndEmit(_pending);

        private static object? Property(PSObject input, string name)
        {
            object? value = input?.Properties[name]?.Value;
            return value is PSObject wrapped ? wrapped.BaseObject : value;
        }

        /// <summary>Input checks, before any request: the record itself (engine), then the endpoint.</summary>
        private void Validate(ApimOperation operation)
        {
            Operations.ValidateForResume(operation);
            Arm.ResolveCloud();   // a bad -ResourceManagerUrl / -Environment is refused here, per input
            // Never the object's own ResourceManagerUrl (data, not the user's choice): only a well-known
            // cloud recognised from the poll URL; otherwise the wait uses the endpoint the user chose.
            operation.ResourceManagerUrl = CloudEnvironment.KnownFor(operation.PollUrl)?.ResourceManagerUrl;
        }
    }
}
