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
    /// access type, cloud and identity; every input started at once through ONE hook, then one wait for all.
    /// </summary>
    public abstract class ApimServiceCmdlet : PSCmdlet, IServiceSelection, IStorageSelection, IDisposable
    {
        protected const string ByName = "ByName";
        protected const string ByResourceId = "ByResourceId";

        private readonly List<StartedOperation> _started = new List<StartedOperation>();
        private readonly List<ServiceStart> _pending = new List<ServiceStart>();
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
        /// Checks the whole input before any start (every start waits for the end of the input, <see cref="EndProcessing"/>);
        /// throws to refuse them all (Backup: one explicit -BackupName must not name one blob for two services).
        /// </summary>
        private protected virtual void CheckDeferred(IReadOnlyList<ServiceStart> starts)
        {
        }

        /// <summary>
        /// What to confirm for a start BEFORE it is scheduled (asked on the pipeline thread, in input order; null:
        /// the hook confirms itself, through <see cref="ServiceStart.ConfirmAsync"/>, e.g. after a read-only pre-flight).
        /// </summary>
        private protected virtual string? ConfirmBeforeStart(ServiceStart start) => null;

        /// <summary>
        /// The one hook: confirm unless <see cref="ConfirmBeforeStart"/> did (<see cref="ServiceStart.ConfirmAsync"/>, before
        /// any request that changes anything), start, and return the operation — carrying its follow-ups — or null when declined.
        /// </summary>
        private protected abstract Task<ApimOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken);

        protected override void BeginProcessing()
        {
            _session = new CommandSession(this);
            _session.Begin();
            _boundOnCommandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            _arm = new ArmSession(this, _session, Environment, ResourceManagerUrl, AccessToken, TimeoutSeconds);
        }

        /// <summary>
        /// One start per name of -Name (or the one service of -ResourceId / a piped object), read and checked
        /// here; every start of the call runs in <see cref="EndProcessing"/>, at once (docs/design.md, "A fleet starts at once").
        /// </summary>
        protected override void ProcessRecord()
        {
            foreach (string name in Name.Length == 0 ? new[] { string.Empty } : Name)
            {
                _name = name ?? string.Empty;
                try
                {
                    _pending.Add(ServiceStart.Read(this, _boundOnCommandLine, Session, _arm!, BackupNameFor));
                }
                catch (ApimDrException ex)
                {
                    Session.WriteFailure(ex, ResourceId ?? _name);
                }
            }
        }

        protected override void EndProcessing()
        {
            if (_pending.Count > 0 && !Refused(_pending)) StartAll(_pending);
            _arm?.WaitAndEmit(_started);
        }

        /// <summary>Whether <see cref="CheckDeferred"/> refused the whole input (then each input gets the error).</summary>
        private bool Refused(IReadOnlyList<ServiceStart> starts)
        {
            try
            {
                CheckDeferred(starts);
                return false;
            }
            catch (ApimDrException ex)
            {
                foreach (ServiceStart refused in starts) Session.WriteFailure(ex, refused.Service.ResourceId);
                return true;
            }
        }

        /// <summary>
        /// Starts every input at once, at most <see cref="MostStartsAtOnce"/> at a time, all through the call's one
        /// ARM client (so one read budget paces every snapshot's reads). Confirmations are asked in input order
        /// (<see cref="ServiceStart.ConfirmAsync"/>), each start's writes are made in input order
        /// (<see cref="OrderedWrites"/>), all on the pipeline thread. One start's failure is its own error.
        /// </summary>
        private void StartAll(IReadOnlyList<ServiceStart> starts)
        {
            var operations = new ApimOperation?[starts.Count];
            var writes = new OrderedWrites(Session, starts.Count);
            bool[] confirmed = starts.Select((start, input) => ConfirmedBeforeStart(start, input, writes)).ToArray();
            try
            {
                Session.Run(ct => StartAllAsync(starts, confirmed, operations, writes, ct));
            }
            catch (PipelineStoppedException)
            {
                throw Arm.Stopped(operations.OfType<ApimOperation>());   // Ctrl+C before the wait: what was started still runs
            }
            catch (Exception) when (!Session.CancelToken.IsCancellationRequested)
            {
                // A write that failed (-ErrorAction Stop on one start's error…) ends the call after every start ended:
                // the others started and are not waited for here, so say how to resume each before the failure goes up.
                _ = Arm.Stopped(operations.OfType<ApimOperation>());
                throw;
            }
            // Ctrl+C while POSTs were in flight: their answers were awaited and journaled; now stop.
            if (Session.CancelToken.IsCancellationRequested) throw Arm.Stopped(operations.OfType<ApimOperation>());
            Func<string, string, Engine.Storage.StorageLocation>? replicas = ReplicaStorage;
            for (int i = 0; i < starts.Count; i++)
            {
                ServiceStart start = starts[i];
                // The follow-ups and, after a 404, the blob check reach storage here.
                if (operations[i] is ApimOperation operation && !NoWait) _started.Add(new StartedOperation(operation, () => start.Storage, replicas));
            }
        }

        /// <summary>
        /// How many starts of one call run at once (docs/design.md, "A fleet starts at once"): each keeps up to
        /// ConfigurationReader.MaxInFlight snapshot reads in flight, so 32 already fill the ARM connection pool
        /// (ArmPipelineFactory.MaxConnectionsPerServer) twice; more would only queue. ARM's read budget, not this
        /// bound, paces the snapshots' reads.
        /// </summary>
        internal const int MostStartsAtOnce = 32;

        /// <summary>
        /// The confirmation a command asks before a start is scheduled (<see cref="ConfirmBeforeStart"/>), on the
        /// pipeline thread, in input order: declined (-WhatIf, "No") or impossible (ConfirmationRequired, its error
        /// in its place) means that input is not started at all.
        /// </summary>
        private bool ConfirmedBeforeStart(ServiceStart start, int input, OrderedWrites writes)
        {
            string? action = ConfirmBeforeStart(start);
            if (action == null) return true;
            try
            {
                if (Session.ShouldProcessUnlessForced(false, start.Service.ResourceId, action)) return true;
            }
            catch (ApimDrException ex)
            {
                writes.Post(input, () => Session.WriteFailure(ex, start.Service.ResourceId));
            }
            start.Ended();
            writes.End(input);
            return false;
        }

        private async Task<bool> StartAllAsync(IReadOnlyList<ServiceStart> starts, bool[] confirmed, ApimOperation?[] operations, OrderedWrites writes, CancellationToken cancellationToken)
        {
            using var slots = new SemaphoreSlim(MostStartsAtOnce, MostStartsAtOnce);
            var running = new List<Task>();
            Task previousTurn = Task.CompletedTask;
            for (int i = 0; i < starts.Count; i++)
            {
                if (!confirmed[i]) continue;
                try
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);   // in input order: an input holding a slot never waits for a later one
                }
                catch (OperationCanceledException)
                {
                    break;   // Ctrl+C: the rest are not started
                }
                int input = i;
                ServiceStart start = starts[i];
                previousTurn = start.InOrder(previousTurn, write => writes.Post(input, write));
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        operations[input] = await StartOneAsync(start, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        start.Ended();
                        writes.End(input);
                        slots.Release();
                    }
                }));
            }
            await Task.WhenAll(running).ConfigureAwait(false);
            return true;
        }

        /// <summary>One input's start (off the pipeline thread): the hook, then its writes in its turn; null when declined, refused or stopped before its POST.</summary>
        private async Task<ApimOperation?> StartOneAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            ApimOperation? operation;
            try
            {
                operation = await StartAsync(start, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException ex)
            {
                start.Post(() => Session.WriteFailure(ex, start.Service.ResourceId));
                return null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;   // Ctrl+C before its POST: nothing started for it
            }
            if (operation == null) return null;
            string started = $"{operation.Kind} of {start.Service.ResourceId} started; poll URL {Engine.Security.SafeUrl.Render(operation.PollUrl)}";
            bool noWait = NoWait;
            ApimOperation shown = noWait ? operation : operation.Copy();   // a snapshot: the wait goes on changing the record
            start.Post(() =>
            {
                WriteVerbose(started);
                if (noWait) WriteObject(shown);
                // Visible in -InformationVariable even if the wait below is interrupted: nothing is lost.
                else WriteInformation(shown, new[] { "ApimDr.OperationStarted" });
            });
            return operation;
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
