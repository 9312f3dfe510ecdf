using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using ApimDr.Completers;
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
    public sealed class WaitApimOperationCommand : PSCmdlet, IDisposable
    {
        private const string ByObject = "ByObject";
        private const string ByUrl = "ByUrl";
        private readonly List<StartedOperation> _pending = new List<StartedOperation>();
        private CommandSession? _session;
        private ArmSession? _arm;

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

        /// <summary>A cloud by name (AzureCloud, AzureChinaCloud, AzureUSGovernment); default: the one the poll URL names.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        /// <summary>A custom ARM endpoint; overrides -Environment. Never taken from the operation object (docs/arm-protocol.md §7).</summary>
        [Parameter]
        public Uri? ResourceManagerUrl { get; set; }

        /// <summary>A bearer token for ARM, e.g. (Get-AzAccessToken -AsSecureString).Token. Cannot be refreshed.</summary>
        [Parameter]
        public SecureString? AccessToken { get; set; }

        /// <summary>Bounds the wait; the operation keeps running server side and stays resumable.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        protected override void BeginProcessing()
        {
            _session = new CommandSession(this);
            _session.Begin();
            _arm = new ArmSession(this, _session, Environment, ResourceManagerUrl, AccessToken, TimeoutSeconds);
        }

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
                _session!.WriteFailure(ex, operation?.PollUrl ?? (object?)InputObject);
            }
        }

        protected override void EndProcessing() => _arm?.WaitAndEmit(_pending);

        protected override void StopProcessing() => _session?.Stop();

        public void Dispose()
        {
            _arm?.Dispose();
            _session?.Dispose();
        }

        private static object? Property(PSObject input, string name)
        {
            object? value = input?.Properties[name]?.Value;
            return value is PSObject wrapped ? wrapped.BaseObject : value;
        }

        /// <summary>Input checks, before any request: the record itself (engine), then the endpoint.</summary>
        private void Validate(ApimOperation operation)
        {
            Operations.ValidateForResume(operation);
            _arm!.ResolveCloud();   // a bad -ResourceManagerUrl / -Environment is refused here, per input
            // Never the object's own ResourceManagerUrl (data, not the user's choice): only a well-known
            // cloud recognised from the poll URL; otherwise the wait uses the endpoint the user chose.
            operation.ResourceManagerUrl = CloudEnvironment.KnownFor(operation.PollUrl)?.ResourceManagerUrl;
        }
    }
}
