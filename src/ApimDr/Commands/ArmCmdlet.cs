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

namespace ApimDr.Commands
{
    /// <summary>
    /// Base of the cmdlets that talk to ARM: cloud and identity parameters, one ArmClient per ARM
    /// endpoint, and THE wait (one poller) with Write-Progress, used by Backup, Restore and Wait.
    /// </summary>
    public abstract class ArmCmdlet : ApimDrCmdlet
    {
        private const int OverallActivityId = 1;
        private readonly Dictionary<string, IDisposable> _clients = new Dictionary<string, IDisposable>(StringComparer.OrdinalIgnoreCase);
        private int _nextActivityId = OverallActivityId + 1;
        private readonly Dictionary<string, int> _activityIds = new Dictionary<string, int>(StringComparer.Ordinal);

        [Parameter]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string? Environment { get; set; }

        /// <summary>A custom ARM endpoint (private clouds, the test emulator); overrides -Environment.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
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

        /// <summary>The ARM endpoint: an operation's own, else -ResourceManagerUrl, else -Environment's.</summary>
        private protected CloudEnvironment ResolveCloud(Uri? operationEndpoint = null)
        {
            Uri? custom = operationEndpoint ?? ResourceManagerUrl;
            if (custom != null) return CloudEnvironment.ForResourceManagerUrl(custom);
            return CloudEnvironment.Get(Environment);
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

        private protected TimeSpan? Timeout => TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null;

        /// <summary>
        /// Waits for all operations together (grouped by ARM endpoint), emitting each when it reaches a
        /// terminal state; a Failed/Canceled one also gets a non-terminating ApimOperationFailed error.
        /// </summary>
        private protected void WaitAndEmit(IReadOnlyList<OperationState> operations, Func<OperationState, CancellationToken, Task>? onSucceeded = null)
        {
            if (operations.Count == 0) return;
            int total = operations.Count;
            int done = 0;
            var followUps = new List<Task>();
            var callbacks = new PollCallbacks
            {
                Progress = p => Post(() => WriteOperationProgress(p, done, total)),
                Completed = op =>
                {
                    Interlocked.Increment(ref done);
                    if (onSucceeded != null && op.Status == "Succeeded")
                    {
                        lock (followUps) followUps.Add(onSucceeded(op, CancelToken));
                    }
                    Post(() => EmitTerminal(op, done, total));
                },
                Abandoned = (op, error) =>
                {
                    Interlocked.Increment(ref done);
                    Post(() =>
                    {
                        CompleteProgress(op);
                        WriteObject(OperationMapper.ToPublic(op));
                        WriteFailure(error, op.ResourceId);
                    });
                },
            };
            Run(async ct =>
            {
                var waits = operations
                    .GroupBy(op => (op.ResourceManagerUrl ?? op.PollUrl!).GetLeftPart(UriPartial.Authority), StringComparer.OrdinalIgnoreCase)
                    .Select(group => new OperationPoller(GetClient(ResolveCloud(group.First().ResourceManagerUrl))).WaitAllAsync(group.ToList(), callbacks, Timeout, ct))
                    .ToList();
                await Task.WhenAll(waits).ConfigureAwait(false);
                Task[] pending;
                lock (followUps) pending = followUps.ToArray();
                await Task.WhenAll(pending).ConfigureAwait(false);
                return true;
            });
            WriteProgress(new ProgressRecord(OverallActivityId, "Waiting for APIM operations", "Done") { RecordType = ProgressRecordType.Completed });
        }

        private void EmitTerminal(OperationState op, int done, int total)
        {
            CompleteProgress(op);
            WriteObject(OperationMapper.ToPublic(op));
            if (op.Status != "Succeeded")
            {
                var error = new ApimDrException(ErrorIds.ApimOperationFailed, ApimErrorCategory.InvalidResult,
                    $"{op.Kind} of '{op.Name}' {op.Status.ToLowerInvariant()}: {op.ErrorCode}: {op.ErrorMessage}", op.ResourceId)
                {
                    ArmCode = op.ErrorCode,
                    CorrelationId = op.CorrelationId,
                };
                WriteFailure(error, op.ResourceId);
            }
            WriteOverallProgress(done, total);
        }

        private void WriteOperationProgress(OperationProgress p, int done, int total)
        {
            OperationState op = p.Operation;
            var record = new ProgressRecord(ActivityIdFor(op), $"{op.Kind} {op.Name}",
                p.NextPollAt.HasValue
                    ? $"{p.Status}, {FormatElapsed(p.Elapsed)} elapsed, next check {p.NextPollAt.Value.ToLocalTime():HH:mm:ss}"
                    : $"{p.Status}, {FormatElapsed(p.Elapsed)} elapsed")
            {
                ParentActivityId = OverallActivityId,
            };
            WriteOverallProgress(done, total);
            WriteProgress(record);
        }

        private void WriteOverallProgress(int done, int total)
        {
            WriteProgress(new ProgressRecord(OverallActivityId, "Waiting for APIM operations", $"{done} of {total} finished")
            {
                PercentComplete = total == 0 ? 100 : (int)(100.0 * done / total),
            });
        }

        private void CompleteProgress(OperationState op)
        {
            WriteProgress(new ProgressRecord(ActivityIdFor(op), $"{op.Kind} {op.Name}", op.Status)
            {
                ParentActivityId = OverallActivityId,
                RecordType = ProgressRecordType.Completed,
            });
        }

        private int ActivityIdFor(OperationState op)
        {
            string key = op.PollUrl?.AbsoluteUri ?? op.ResourceId;
            if (!_activityIds.TryGetValue(key, out int id))
            {
                id = _nextActivityId++;
                _activityIds[key] = id;
            }
            return id;
        }

        private static string FormatElapsed(TimeSpan elapsed)
            => elapsed.TotalHours >= 1 ? elapsed.ToString(@"h\:mm\:ss") : elapsed.ToString(@"m\:ss");
    }
}
