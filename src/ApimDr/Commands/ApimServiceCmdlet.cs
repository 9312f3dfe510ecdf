using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Completers;
using ApimDr.Engine.Errors;

namespace ApimDr.Commands
{
    /// <summary>
    /// Base of Backup- and Restore-ApimService (the only level between PSCmdlet and a cmdlet): service
    /// selection (ByName / ByResourceId, both from the pipeline by property name), storage location and
    /// access type, cloud and identity; start per input through ONE hook, then wait for all at once.
    /// </summary>
    public abstract class ApimServiceCmdlet : PSCmdlet, IServiceSelection, IStorageSelection, IDisposable
    {
        protected const string ByName = "ByName";
        protected const string ByResourceId = "ByResourceId";

        private readonly List<StartedOperation> _started = new List<StartedOperation>();
        private readonly List<ServiceStart> _deferred = new List<ServiceStart>();
        private HashSet<string> _boundOnCommandLine = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private CommandSession? _session;
        private ArmSession? _arm;

        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        public string ResourceGroupName { get; set; } = string.Empty;

        /// <summary>One or more service names (-Name prod,standby), also piped as strings: one operation each.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, Position = 0)]
        [Alias("ServiceName")]
        public string[] Name { get; set; } = Array.Empty<string>();

        /// <summary>The one name of <see cref="Name"/> being started (what <see cref="ServiceSelection"/> reads).</summary>
        private string _name = string.Empty;

        string IServiceSelection.Name => _name;

        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        public string? SubscriptionId { get; set; }

        /// <summary>
        /// A full APIM service resource id. Also (optional) in ByName, and ByResourceId is the default set:
        /// that is the one arrangement in which PowerShell's binder resolves every input shape (docs/design.md).
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        public string? ResourceId { get; set; }

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("StorageAccount")]
        public string StorageAccountName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Container", "TargetContainerName", "SourceContainerName")]
        public string ContainerName { get; set; } = string.Empty;

        [Parameter]
        [ValidateSet("AccessKey", "SystemAssignedManagedIdentity", "UserAssignedManagedIdentity")]
        public string? AccessType { get; set; }

        [Parameter]
        [Alias("AccessKey")]
        public SecureString? StorageAccountKey { get; set; }

        /// <summary>The client id of a user-assigned identity attached to the APIM service.</summary>
        [Parameter]
        public Guid? IdentityClientId { get; set; }

        /// <summary>The storage account's blob endpoint, for what ApimDr itself does on storage.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public Uri? BlobEndpoint { get; set; }

        /// <summary>Emit each started operation at once instead of waiting.</summary>
        [Parameter]
        public SwitchParameter NoWait { get; set; }

        /// <summary>A cloud by name (AzureCloud, AzureChinaCloud, AzureUSGovernment).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        /// <summary>A custom ARM endpoint; overrides -Environment. Never taken from piped objects (docs/arm-protocol.md §7).</summary>
        [Parameter]
        public Uri? ResourceManagerUrl { get; set; }

        /// <summary>A bearer token for ARM, e.g. (Get-AzAccessToken -AsSecureString).Token. Cannot be refreshed.</summary>
        [Parameter]
        public SecureString? AccessToken { get; set; }

        /// <summary>Bounds the wait; the operation keeps running server side and stays resumable.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        private protected CommandSession Session => _session ?? throw new InvalidOperationException("BeginProcessing has not run.");

        private protected ArmSession Arm => _arm ?? throw new InvalidOperationException("BeginProcessing has not run.");

        /// <summary>Where a CopyTo follow-up reaches a replica container (Backup's -Replica* parameters); null: none.</summary>
        private protected virtual Func<string, string, Engine.Storage.StorageLocation>? ReplicaStorage => null;

        /// <summary>The blob this service's operation writes (Backup: the default name, or -BackupName with its tokens filled in) or reads (Restore).</summary>
        private protected abstract string BackupNameFor(Engine.Arm.ServiceId service);

        /// <summary>
        /// Whether the starts wait for the whole input (EndProcessing) so a check across inputs can refuse them
        /// all before any request (Backup: one explicit -BackupName must not name one blob for two services).
        /// </summary>
        private protected virtual bool DefersStart => false;

        /// <summary>Checks the whole set of deferred starts before any is started; throws to refuse them all.</summary>
        private protected virtual void CheckDeferred(IReadOnlyList<ServiceStart> starts)
        {
        }

        /// <summary>
        /// The one hook: confirm (<see cref="ServiceStart.ConfirmAsync"/>, before any request that changes
        /// anything), start, and return the operation — carrying its follow-ups — or null when declined.
        /// </summary>
        private protected abstract Task<ApimOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken);

        protected override void BeginProcessing()
        {
            _session = new CommandSession(this);
            _session.Begin();
            _boundOnCommandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            _arm = new ArmSession(this, _session, Environment, ResourceManagerUrl, AccessToken, TimeoutSeconds);
        }

        /// <summary>One start per name of -Name (or the one service of -ResourceId / a piped object).</summary>
        protected override void ProcessRecord()
        {
            try
            {
                foreach (string name in Name.Length == 0 ? new[] { string.Empty } : Name)
                {
                    _name = name ?? string.Empty;
                    StartOne();
                }
            }
            catch (PipelineStoppedException)
            {
                throw _arm!.Stopped(_started.Select(s => s.Operation));   // Ctrl+C before the wait: what was started still runs
            }
        }

        private void StartOne()
        {
            ServiceStart start;
            try
            {
                start = ServiceStart.Read(this, _boundOnCommandLine, Session, _arm!, BackupNameFor);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, ResourceId ?? _name);
                return;
            }
            if (DefersStart) _deferred.Add(start);
            else Start(start);
        }

        private void Start(ServiceStart start)
        {
            try
            {
                ApimOperation? operation = Session.Run(ct => StartAsync(start, ct));
                // Ctrl+C while the POST was in flight: its answer was awaited and journaled; now stop.
                if (Session.CancelToken.IsCancellationRequested) throw _arm!.Stopped(operation == null ? _started.Select(s => s.Operation) : _started.Select(s => s.Operation).Append(operation));
                if (operation == null) return;
                WriteVerbose($"{operation.Kind} of {start.Service.ResourceId} started; poll URL {Engine.Security.SafeUrl.Render(operation.PollUrl)}");
                if (NoWait)
                {
                    WriteObject(operation);
                    return;
                }
                // Visible in -InformationVariable even if the wait below is interrupted: nothing is lost.
                WriteInformation(operation.Copy(), new[] { "ApimDr.OperationStarted" });   // a snapshot: the wait goes on changing the record
                _started.Add(new StartedOperation(operation, () => start.Storage, ReplicaStorage));   // the follow-ups and, after a 404, the blob check reach storage here
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, start.Service.ResourceId);
            }
        }

        protected override void EndProcessing()
        {
            if (_deferred.Count > 0)
            {
                try
                {
                    CheckDeferred(_deferred);
                }
                catch (ApimDrException ex)
                {
                    foreach (ServiceStart refused in _deferred) Session.WriteFailure(ex, refused.Service.ResourceId);
                    _deferred.Clear();
                }
                foreach (ServiceStart start in _deferred) Start(start);
            }
            _arm?.WaitAndEmit(_started);
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
