using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Completers;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Journal;

namespace ApimDr.Commands
{
    /// <summary>
    /// Base of the cmdlets that talk to ARM: cloud and identity parameters, one ArmClient per ARM
    /// endpoint, and THE wait (one poller) with Write-Progress, used by Backup, Restore and Wait.
    /// </summary>
    public abstract class ArmCmdlet : ApimDrCmdlet
    {
        private readonly Dictionary<string, IDisposable> _clients = new Dictionary<string, IDisposable>(StringComparer.OrdinalIgnoreCase);

        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        /// <summary>
        /// A custom ARM endpoint (private clouds, the test emulator); overrides -Environment. Never taken
        /// from piped objects: where tokens go is the user's choice, not data's (docs/arm-protocol.md).
        /// </summary>
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
            base.BeginProcessing();
            RefuseInvalidAccessToken(AccessToken);   // InvalidAccessToken before any request (input checks)
        }

        protected override void EndProcessing()
        {
            foreach (IDisposable client in _clients.Values) client.Dispose();
            _clients.Clear();
        }

        /// <summary>The user's ARM endpoint: -ResourceManagerUrl, else -Environment, else the Az context's cloud, else AzureCloud.</summary>
        private protected CloudEnvironment ResolveCloud()
        {
            if (ResourceManagerUrl != null) return CloudEnvironment.ForResourceManagerUrl(ResourceManagerUrl);
            if (!string.IsNullOrEmpty(Environment)) return CloudEnvironment.Get(Environment);
            if (AzContextEnvironment != null && CloudEnvironment.KnownNames.Contains(AzContextEnvironment, StringComparer.OrdinalIgnoreCase))
            {
                return CloudEnvironment.Get(AzContextEnvironment);
            }
            return CloudEnvironment.AzureCloud;
        }

        /// <summary>
        /// The cloud to wait on an operation through: the user's choice when they made one, else the
        /// well-known cloud the operation names. An operation's endpoint is never custom here: a live one
        /// carries the endpoint this command resolved, and Wait-ApimOperation keeps only a well-known cloud
        /// recognised from the poll URL (docs/arm-protocol.md §7); the poller then checks every poll URL.
        /// </summary>
        private CloudEnvironment CloudFor(ApimOperation operation)
        {
            bool userChose = ResourceManagerUrl != null || !string.IsNullOrEmpty(Environment);
            return (userChose ? null : CloudEnvironment.KnownFor(operation.ResourceManagerUrl)) ?? ResolveCloud();
        }

        private protected ArmClient GetClient(CloudEnvironment cloud)
        {
            string key = cloud.ResourceManagerUrl.AbsoluteUri;
            if (_clients.TryGetValue(key, out IDisposable? existing)) return (ArmClient)existing;
            var client = new ArmClient(new ArmClientOptions
            {
                Cloud = cloud,
                Credentials = CreateCredentials(AccessToken),
                Log = (level, line) => Post(() =>
                {
                    if (level == ArmLogLevel.Verbose) WriteVerbose(line);
                    else WriteDebug(line);
                }),
            });
            _clients[key] = client;
            return client;
        }

        /// <summary>The subscription when the caller named none: the Az context's, else AZURE_SUBSCRIPTION_ID.</summary>
        private protected string? DefaultSubscriptionId()
        {
            if (AzContextSignedIn)
            {
                string? fromContext = AzContext.SubscriptionId(this);
                if (!string.IsNullOrEmpty(fromContext)) return fromContext;
            }
            string? fromEnvironment = System.Environment.GetEnvironmentVariable("AZURE_SUBSCRIPTION_ID");
            return string.IsNullOrEmpty(fromEnvironment) ? null : fromEnvironment;
        }

        /// <summary>-TimeoutSeconds, clamped to the longest wait a timer honours (about 49 days).</summary>
        private protected TimeSpan? Timeout => TimeoutSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(TimeoutSeconds, OperationPoller.LongestDelay.TotalSeconds))
            : (TimeSpan?)null;

        /// <summary>
        /// Waits for all operations together (grouped by ARM endpoint), emitting each when it reaches a
        /// terminal state; a Failed/Canceled one also gets a non-terminating error with its failure kind's
        /// ErrorId (<see cref="Operations.ToException"/>); one whose wait stopped gets the reason, resumable.
        /// </summary>
        private protected void WaitAndEmit(IReadOnlyList<ApimOperation> operations) => WaitAndEmit(operations.Select(op => (op, (Func<CancellationToken, Task>?)null)).ToList());

        /// <summary>As above, each operation with what its success needs (a backup records its source on the blob).</summary>
        private protected void WaitAndEmit(IReadOnlyList<(ApimOperation Operation, Func<CancellationToken, Task>? OnSucceeded)> started)
        {
            if (started.Count == 0) return;
            var onSucceeded = started.Where(s => s.OnSucceeded != null).ToDictionary(s => s.Operation, s => s.OnSucceeded!);
            IReadOnlyList<ApimOperation> operations = started.Select(s => s.Operation).ToList();
            int total = operations.Count;
            int done = 0;
            var progress = new OperationProgressView(WriteProgress);
            var followUps = new List<Task>();
            var callbacks = new PollCallbacks
            {
                Progress = p => Post(() => progress.Progress(p, done, total)),
                Completed = op =>
                {
                    Interlocked.Increment(ref done);
                    JournalWrite(j => j.Remove(op));
                    if (op.Status == ApimOperation.Succeeded && onSucceeded.TryGetValue(op, out Func<CancellationToken, Task>? followUp))
                    {
                        lock (followUps) followUps.Add(followUp(CancelToken));
                    }
                    Post(() => EmitTerminal(progress, op, done, total));
                },
                Abandoned = (op, error) =>
                {
                    Interlocked.Increment(ref done);
                    if (op.PollUrl != null) JournalWrite(j => j.RecordStarted(op));
                    Post(() =>
                    {
                        progress.End(op);
                        WriteObject(op);
                        WriteFailure(error, op.ResourceId);
                    });
                },
            };
            var byCloud = new List<(CloudEnvironment Cloud, ApimOperation Operation)>();
            foreach (ApimOperation op in operations)
            {
                try
                {
                    byCloud.Add((CloudFor(op), op));
                }
                catch (ApimDrException ex)
                {
                    callbacks.Abandoned!(op, ex);
                }
            }
            Run(async ct =>
            {
                var waits = byCloud
                    .GroupBy(x => x.Cloud.ResourceManagerUrl.AbsoluteUri, StringComparer.OrdinalIgnoreCase)
                    .Select(group => new OperationPoller(GetClient(group.First().Cloud)).WaitAllAsync(group.Select(x => x.Operation).ToList(), callbacks, Timeout, ct))
                    .ToList();
                await Task.WhenAll(waits).ConfigureAwait(false);
                Task[] pending;
                lock (followUps) pending = followUps.ToArray();
                await Task.WhenAll(pending).ConfigureAwait(false);
                return true;
            });
            progress.Done();
        }

        /// <summary>The user's operation journal (null when APIMDR_JOURNAL turns it off).</summary>
        private protected static OperationJournal? Journal => OperationJournal.ForCurrentUser();

        /// <summary>A journal write that failed is a warning, never a failed operation.</summary>
        private protected void JournalWrite(Func<OperationJournal, string?> write)
        {
            OperationJournal? journal = Journal;
            string? warning = journal == null ? null : write(journal);
            if (warning != null) Post(() => WriteWarning(warning));
        }

        private void EmitTerminal(OperationProgressView progress, ApimOperation op, int done, int total)
        {
            progress.End(op);
            WriteObject(op);
            // ONE ErrorId per failure kind, the same as before the POST (SkuMismatch, BackupExpired, …; docs/errors.md).
            ApimDrException? failure = Operations.ToException(op);
            if (failure != null) WriteFailure(failure, op.ResourceId);
            progress.Overall(done, total);
        }
    }
}
