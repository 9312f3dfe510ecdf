using System;
using System.Management.Automation;
using System.Security;
using ApimDr.Completers;

namespace ApimDr.Commands
{
    /// <summary>
    /// Base of the cmdlets that talk to ARM without a backup location (Wait-ApimOperation,
    /// Get-/Compare-ApimConfiguration): the cloud and identity parameters and the composed sessions.
    /// Backup/Restore declare the same three in ApimServiceCmdlet (a shared base would make them three
    /// levels deep, docs/design.md "Two levels, composed").
    /// </summary>
    public abstract class ArmCmdlet : PSCmdlet, IDisposable
    {
        private CommandSession? _session;
        private ArmSession? _arm;

        /// <summary>A cloud by name (AzureCloud, AzureChinaCloud, AzureUSGovernment).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        /// <summary>A custom ARM endpoint; overrides -Environment. Never taken from input objects (docs/arm-protocol.md §7).</summary>
        [Parameter]
        public Uri? ResourceManagerUrl { get; set; }

        /// <summary>A bearer token for ARM, e.g. (Get-AzAccessToken -AsSecureString).Token. Cannot be refreshed.</summary>
        [Parameter]
        public SecureString? AccessToken { get; set; }

        private protected CommandSession Session => _session ?? throw new InvalidOperationException("BeginProcessing has not run.");

        private protected ArmSession Arm => _arm ?? throw new InvalidOperationException("BeginProcessing has not run.");

        /// <summary>How long a wait may take (Wait-ApimOperation's -TimeoutSeconds); 0 = no bound.</summary>
        private protected virtual int WaitTimeoutSeconds => 0;

        protected override void BeginProcessing()
        {
            _session = new CommandSession(this);
            _session.Begin();
            _arm = new ArmSession(this, _session, Environment, ResourceManagerUrl, AccessToken, WaitTimeoutSeconds);
        }

        protected override void StopProcessing() => _session?.Stop();

        public void Dispose()
        {
            _arm?.Dispose();
            _session?.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
