using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Journal;
using ApimDr.Engine.Workflow;

namespace ApimDr
{
    /// <summary>
    /// What a command makes of one operation's end (<see cref="ArmSession.WaitAndEmit"/>): the follow-ups' result
    /// when the service gave its verdict, or the error that stopped its wait; returns the writes for the pipeline thread.
    /// </summary>
    internal delegate Task<Action> OperationEnd(ApimOperation operation, FollowUpResult? result, ApimDrException? interrupted, CancellationToken cancellationToken);

    /// <summary>
    /// The ARM side of a command, by composition (Backup, Restore, Wait): the user's cloud, one ArmClient
    /// per ARM endpoint, and THE wait (one poller) with Write-Progress.
    /// </summary>
    internal sealed class ArmSession : IDisposable
    {
        private readonly PSCmdlet _cmdlet;
        private readonly CommandSession _session;
        private readonly string? _environment;
        private readonly Uri? _resourceManagerUrl;
        private readonly SecureString? _accessToken;
        private readonly Dictionary<string, ArmClient> _clients = new Dictionary<string, ArmClient>(StringComparer.OrdinalIgnoreCase);
        private readonly bool _logVerbose;
        private readonly bool _logDebug;

        /// <summary>Refuses a bad -AccessToken at once (InvalidAccessToken, terminating, before any request).</summary>
        public ArmSession(PSCmdlet cmdlet, CommandSession session, string? environment, Uri? resourceManagerUrl, SecureString? accessToken, int timeoutSeconds)
        {
            _cmdlet = cmdlet;
            _session = session;
            _environment = environment;
            _resourceManagerUrl = resourceManagerUrl;
            _accessToken = accessToken;
            // What PowerShell keeps of this command's records. The -Debug switch (not $DebugPreference) makes it write
            // Verbose records too, as Inquire: so does the request log.
            bool? debugSwitch = Given(cmdlet, "Debug");
            _logDebug = debugSwitch ?? Keeps(cmdlet, "DebugPreference");
            _logVerbose = Given(cmdlet, "Verbose") ?? (debugSwitch == true || Keeps(cmdlet, "VerbosePreference"));
            // -TimeoutSeconds, clamped to the longest wait a timer honours (about 49 days).
            Timeout = timeoutSeconds > 0 ? TimeSpan.FromSeconds(Math.Min(timeoutSeconds, OperationPoller.LongestDelay.TotalSeconds)) : (TimeSpan?)null;
            session.RefuseInvalidAccessToken(accessToken);
        }

        public TimeSpan? Timeout { get; }

        /// <summary>A common switch as given (-Verbose:$false too); null when not given.</summary>
        private static bool? Given(PSCmdlet cmdlet, string parameter)
            => cmdlet.MyInvocation.BoundParameters.TryGetValue(parameter, out object? given) ? LanguagePrimitives.IsTrue(given) : (bool?)null;

        /// <summary>Whether the preference variable in the caller's scope keeps a stream's records.</summary>
        private static bool Keeps(PSCmdlet cmdlet, string preferenceVariable)
        {
            object? value = cmdlet.GetVariableValue(preferenceVariable);
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            if (!(value is ActionPreference preference) && !Enum.TryParse(value?.ToString(), true, out preference)) return false;
            return preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore;
        }

        /// <summary>The user's ARM endpoint: -ResourceManagerUrl, else -Environment, else the Az context's cloud, else AzureCloud.</summary>
        public CloudEnvironment ResolveCloud() => _session.ResolveCloud(_environment, _resourceManagerUrl);

        /// <summary>
        /// The cloud to wait on an operation through: the user's choice when they made one, else the
        /// well-known cloud the operation names. An operation's endpoint is never custom here: a live one
        /// carries the endpoint this command resolved, and Wait-ApimOperation keeps only a well-known cloud
        /// recognised from the poll URL (docs/arm-protocol.md §7); the poller then checks every poll URL.
        /// </summary>
        private CloudEnvironment CloudFor(ApimOperation operation)
        {
            bool userChose = _resourceManagerUrl != null || !string.IsNullOrEmpty(_environment);
            return (userChose ? null : CloudEnvironment.KnownFor(operation.ResourceManagerUrl)) ?? ResolveCloud();
        }

        public ArmClient GetClient(CloudEnvironment cloud)
        {
            string key = cloud.ResourceManagerUrl.AbsoluteUri;
            if (_clients.TryGetValue(key, out ArmClient? existing)) return existing;
            var client = new ArmClient(new ArmClientOptions
            {
                Cloud = cloud,
                Credentials = _session.CreateCredentials(_accessToken),
                // No request log at all when PowerShell would drop its records (the default): nothing built, nothing posted.
                Log = _logVerbose || _logDebug
                    ? (level, line) => _session.Post(() =>
                    {
                        if (level == ArmLogLevel.Verbose) _cmdlet.WriteVerbose(line);
                        else _cmdlet.WriteDebug(line);
                    })
                    : (Action<ArmLogLevel, string>?)null,
                LogDebug = _logDebug,
            });
            _clients[key] = client;
            return client;
        }

        /// <summary>
        /// Waits for all operations together (grouped by ARM endpoint), emitting each when it reaches a
        /// terminal state; a Failed/Canceled one also gets a non-terminating error with its failure kind's
        /// ErrorId (<see cref="Operations.ToException"/>); one whose wait stopped gets the reason, resumable.
        /// THE place follow-ups run: whatever an ended operation carries (<see cref="ApimOperation.FollowUps"/>)
        /// is done before it is emitted — for operations started in this call, piped from a file, the journal
        /// or the catalog alike; an input that already ended is not polled again, only completed.
        /// </summary>
        /// <param name="end">
        /// Instead of emitting the operation and its follow-ups' outputs, what a command makes of each END
        /// (Test-ApimBackup: one result per source): called off the pipeline thread once the follow-ups ran (or
        /// with the reason the wait stopped), it returns the writes to do on the pipeline thread, at once.
        /// </param>
        public void WaitAndEmit(IReadOnlyList<StartedOperation> started, OperationEnd? end = null)
        {
            if (started.Count == 0) return;
            var storage = started.ToDictionary(s => s.Operation, s => s.Storage);
            var replicas = started.ToDictionary(s => s.Operation, s => s.ReplicaStorage);
            var clients = new Dictionary<ApimOperation, ArmClient>();
            int total = started.Count;
            int done = 0;
            var progress = new OperationProgressView(_cmdlet.WriteProgress);
            var endings = new List<Task>();
            async Task EndAsync(ApimOperation op)
            {
                FollowUpResult result = await FollowUpRunner.RunAsync(op, clients[op], storage[op], _session.CancelToken, replicas[op]).ConfigureAwait(false);
                // Ended with nothing left to do: forgotten. Follow-ups still to do: kept, so Get-ApimOperation offers it.
                JournalWrite(j => op.HasPendingFollowUps ? j.RecordStarted(op) : j.Remove(op));
                int count = Interlocked.Increment(ref done);
                if (end != null)
                {
                    Action write = await end(op, result, null, _session.CancelToken).ConfigureAwait(false);
                    _session.Post(() =>
                    {
                        progress.End(op);
                        write();
                        foreach (string warning in result.Warnings) _cmdlet.WriteWarning(warning);
                        progress.Overall(count, total);
                    });
                    return;
                }
                _session.Post(() =>
                {
                    EmitTerminal(progress, op, count, total);
                    foreach ((object output, ApimDrException? failure) in result.Outputs)
                    {
                        _cmdlet.WriteObject(output);
                        if (failure != null) _session.WriteFailure(failure, op.ResourceId);
                    }
                    foreach (string warning in result.Warnings) _cmdlet.WriteWarning(warning);
                });
            }
            void Ended(ApimOperation op)
            {
                lock (endings) endings.Add(EndAsync(op));
            }
            var stopped = new HashSet<ApimOperation>();
            void Interrupted(ApimOperation op, ApimDrException error, bool journal)
            {
                lock (stopped) stopped.Add(op);
                Interlocked.Increment(ref done);
                // Journaled as running only when its wait was interrupted (timeout, token expiry, outcome unknown…):
                // an operation ApimDr refused to poll is no evidence that anything runs, and its poll URL not one to offer again.
                // After a 404 ARM would answer 404 again: the journal no longer offers it for resuming.
                if (op.PollUrl != null && error.ErrorId == ErrorIds.OperationNotFound) JournalWrite(j => j.Remove(op));
                else if (journal && op.PollUrl != null) JournalWrite(j => j.RecordStarted(op));
                if (end != null)
                {
                    async Task EndInterruptedAsync()
                    {
                        Action write = await end(op, null, error, _session.CancelToken).ConfigureAwait(false);
                        _session.Post(() =>
                        {
                            progress.End(op);
                            write();
                        });
                    }
                    lock (endings) endings.Add(EndInterruptedAsync());
                    return;
                }
                _session.Post(() =>
                {
                    progress.End(op);
                    _cmdlet.WriteObject(op);
                    _session.WriteFailure(error, op.ResourceId);
                });
            }
            var callbacks = new PollCallbacks
            {
                Progress = p => _session.Post(() => progress.Progress(p, done, total)),
                Completed = Ended,
                // After a 404: whether the backup blob is there, where this wait reaches storage (null: cannot tell).
                BackupBlobExists = (op, ct) => storage.TryGetValue(op, out Func<Engine.Storage.StorageLocation>? at) && at != null ? BackupBlobExistsAsync(at, op.BackupName, ct) : Task.FromResult<bool?>(null),
                Abandoned = (op, error) => Interrupted(op, error, journal: !RefusedToPoll(error)),
            };
            var byCloud = new List<(CloudEnvironment Cloud, ApimOperation Operation)>();
            foreach (ApimOperation op in started.Select(s => s.Operation))
            {
                try
                {
                    CloudEnvironment cloud = CloudFor(op);
                    clients[op] = GetClient(cloud);
                    // The endpoint this wait uses is the one the operation belongs to (a saved object's own is never trusted, so it may be unset).
                    op.ResourceManagerUrl ??= cloud.ResourceManagerUrl;
                    byCloud.Add((cloud, op));
                }
                catch (ApimDrException ex)
                {
                    Interrupted(op, ex, journal: false);   // not waited for at all
                }
            }
            try
            {
                _session.Run(async ct =>
                {
                    foreach (ApimOperation ended in byCloud.Select(x => x.Operation).Where(op => op.IsTerminal)) Ended(ended);   // only its follow-ups are left
                    var waits = byCloud
                        .Where(x => !x.Operation.IsTerminal)
                        .GroupBy(x => x.Cloud.ResourceManagerUrl.AbsoluteUri, StringComparer.OrdinalIgnoreCase)
                        .Select(group => new OperationPoller(clients[group.First().Operation]).WaitAllAsync(group.Select(x => x.Operation).ToList(), callbacks, Timeout, ct))
                        .ToList();
                    try
                    {
                        await Task.WhenAll(waits).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        // Ctrl+C: what was still being polled may run on; journaled with its latest poll URL and next check.
                        foreach (ApimOperation op in byCloud.Select(x => x.Operation).Where(op => !op.IsTerminal && op.PollUrl != null))
                        {
                            bool wasStopped;
                            lock (stopped) wasStopped = stopped.Contains(op);
                            if (!wasStopped) Journal?.RecordStarted(op);   // the call is ending: a failed write can no longer be shown
                        }
                        throw;
                    }
                    Task[] pending;
                    lock (endings) pending = endings.ToArray();
                    await Task.WhenAll(pending).ConfigureAwait(false);
                    return true;
                });
            }
            catch (PipelineStoppedException)
            {
                throw Stopped(started.Select(s => s.Operation));   // Ctrl+C: say how to resume what still runs
            }
            progress.Done();
        }

        /// <summary>
        /// Whether a backup blob exists, for the check after a 404 (<see cref="PollCallbacks.BackupBlobExists"/>):
        /// null when it cannot be told (no access, a token refused over http, a missing container…).
        /// </summary>
        private static async Task<bool?> BackupBlobExistsAsync(Func<Engine.Storage.StorageLocation> at, string backupName, CancellationToken cancellationToken)
        {
            try
            {
                Engine.Storage.StorageLocation storage = at();
                storage.ValidateCredentials();
                await Engine.Storage.BackupCatalog.GetAsync(storage, backupName, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (ApimDrException ex)
            {
                return ex.ErrorId == ErrorIds.BackupNotFound ? false : (bool?)null;
            }
        }

        private bool _stopReported;

        /// <summary>
        /// The exception that ends a stopped command (Ctrl+C, or a downstream Select-Object -First), after telling
        /// the user how to resume each operation that was still running at its last check. PowerShell drops a
        /// stopped command's writes (WriteWarning throws), so the lines go straight to the host's UI as a warning,
        /// and ride on the exception's message for a hosting program. Once per command.
        /// </summary>
        public PipelineStoppedException Stopped(IEnumerable<ApimOperation> operations)
        {
            List<string> lines = operations.Where(op => op != null && !op.IsTerminal && op.PollUrl != null).Distinct()
                .Select(op => $"The wait was stopped; the {op.Kind.ToLowerInvariant()} of '{op.Name}' was still running at its last check. {op}").ToList();
            if (lines.Count == 0 || _stopReported) return new PipelineStoppedException();
            _stopReported = true;
            string text = string.Join(System.Environment.NewLine, lines);
            try
            {
                foreach (string line in lines) _cmdlet.Host?.UI?.WriteWarningLine(line);
            }
            catch (Exception ex) when (ex is System.Management.Automation.Host.HostException || ex is NotImplementedException || ex is InvalidOperationException || ex is System.IO.IOException)
            {
                // A host without a UI to write to: the exception's message and the journal still carry it.
            }
            return new PipelineStoppedException(text);
        }

        /// <summary>The wait never polled it: its poll URL (or its endpoint) is not one this command sends a token to (docs/arm-protocol.md §7).</summary>
        private static bool RefusedToPoll(ApimDrException error)
            => error.ErrorId == ErrorIds.UntrustedPollHost || error.ErrorId == ErrorIds.InvalidPollUrl;

        /// <summary>The user's operation journal (null when APIMDR_JOURNAL turns it off).</summary>
        public static OperationJournal? Journal => OperationJournal.ForCurrentUser();

        /// <summary>A journal write that failed is a warning, never a failed operation.</summary>
        private void JournalWrite(Func<OperationJournal, string?> write)
        {
            OperationJournal? journal = Journal;
            _session.PostWarning(journal == null ? null : write(journal));
        }

        private void EmitTerminal(OperationProgressView progress, ApimOperation op, int done, int total)
        {
            progress.End(op);
            _cmdlet.WriteObject(op);
            // ONE ErrorId per failure kind, the same as before the POST (SkuMismatch, BackupExpired, …; docs/errors.md).
            ApimDrException? failure = Operations.ToException(op);
            if (failure != null) _session.WriteFailure(failure, op.ResourceId);
            progress.Overall(done, total);
        }

        public void Dispose()
        {
            foreach (ArmClient client in _clients.Values) client.Dispose();
            _clients.Clear();
        }
    }
}
