using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// THE poll loop: inline waits of Backup/Restore and Wait-ApimOperation all come here. Every
    /// operation is an async loop (no thread each), honouring its own Retry-After; all waiting goes
    /// through the client's TimeProvider. Each answer is read by the outcome table of
    /// docs/arm-protocol.md: only the service's word makes an operation Succeeded or Failed;
    /// everything else leaves it resumable.
    /// </summary>
    public sealed class OperationPoller
    {
        /// <summary>The longest single wait a TimeProvider timer accepts (about 49 days).</summary>
        public static readonly TimeSpan LongestDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 2);

        private static readonly TimeSpan MaxUnhealthyBackoff = TimeSpan.FromSeconds(60);
        private readonly ArmClient _client;

        public OperationPoller(ArmClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

        /// <summary>
        /// Polls every operation until it ends, is abandoned (see <see cref="PollCallbacks.Abandoned"/>)
        /// or <paramref name="timeout"/> passes. The states are updated in place and returned.
        /// Cancellation throws <see cref="OperationCanceledException"/> promptly, leaving each state resumable.
        /// </summary>
        public async Task<IReadOnlyList<ApimOperation>> WaitAllAsync(IReadOnlyList<ApimOperation> operations, PollCallbacks? callbacks, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            if (operations == null) throw new ArgumentNullException(nameof(operations));
            callbacks ??= new PollCallbacks();
            TimeProvider time = _client.Options.Time;
            bool hasTimeout = timeout.HasValue && timeout.Value >= TimeSpan.Zero && timeout.Value != Timeout.InfiniteTimeSpan;
            using CancellationTokenSource timeoutSource = hasTimeout ? time.CreateCancellationTokenSource(Clamp(timeout!.Value)) : new CancellationTokenSource();
            using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            var wait = new Wait(callbacks, timeout, stop.Token, timeoutSource.Token, cancellationToken);
            // Distinct: one loop per state object, so a state listed twice is not mutated by two loops.
            await Task.WhenAll(operations.Distinct().Select(operation => WaitOneAsync(operation, wait))).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return operations;
        }

        /// <summary>Whether the operation may be polled through this client at all (host, scheme, shape); null when it may.</summary>
        public ApimDrException? CheckTrust(ApimOperation operation)
        {
            Uri arm = _client.Options.Cloud.ResourceManagerUrl;
            string what = Describe(operation);
            if (operation.ResourceManagerUrl != null && !PollUrlRules.SameServer(operation.ResourceManagerUrl, arm))
            {
                return new ApimDrException(ErrorIds.UntrustedPollHost, ApimErrorCategory.SecurityError,
                    $"The {what} was started on {PollUrlRules.Authority(operation.ResourceManagerUrl)}, but this wait uses {PollUrlRules.Authority(arm)}. Wait with the matching -Environment or -ResourceManagerUrl.",
                    operation.ResourceId) { CorrelationId = operation.CorrelationId };
            }
            ApimDrException? refused = PollUrlRules.Check(operation.PollUrl, operation.ResourceId, arm, "the " + what);
            if (refused != null) refused.CorrelationId = operation.CorrelationId;
            return refused;
        }

        private async Task WaitOneAsync(ApimOperation operation, Wait wait)
        {
            if (operation.IsTerminal)
            {
                wait.Callbacks.Completed?.Invoke(operation);
                return;
            }
            ApimDrException? untrusted = CheckTrust(operation);
            if (untrusted != null)
            {
                wait.Callbacks.Abandoned?.Invoke(operation, untrusted);
                return;
            }

            TimeProvider time = _client.Options.Time;
            var health = new Health(time);
            try
            {
                while (true)
                {
                    TimeSpan delay = operation.NextPollAt.HasValue ? operation.NextPollAt.Value - time.GetUtcNow() : TimeSpan.Zero;
                    if (delay > TimeSpan.Zero) await time.Delay(Clamp(delay), wait.Stop).ConfigureAwait(false);

                    // A static token we know is dead is never sent: say so instead of collecting a 401.
                    if (_client.StaticTokenExpiry is DateTimeOffset expiry && time.GetUtcNow() >= expiry)
                    {
                        throw Credentials.CredentialFactory.Expired(expiry);
                    }

                    TimeSpan next;
                    try
                    {
                        PollAnswer answer = await _client.PollAsync(operation, wait.Stop).ConfigureAwait(false);
                        operation.PollCount++;
                        operation.RequestId = answer.RequestId ?? operation.RequestId;
                        if (Apply(operation, answer, health))
                        {
                            operation.NextPollAt = null;
                            operation.EndTime = time.GetUtcNow().UtcDateTime;
                            wait.Callbacks.Completed?.Invoke(operation);
                            return;
                        }
                        next = health.Failing ? answer.RetryAfter ?? health.Backoff() : answer.NextInterval;   // the service's Retry-After wins
                    }
                    catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.ConnectionFailed)
                    {
                        // A transport error on a read is no verdict: keep asking, with a capped backoff.
                        operation.PollCount++;
                        health.Record(ex.Message);
                        next = health.Backoff();
                    }
                    if (next < _client.Options.MinimumPollInterval) next = _client.Options.MinimumPollInterval;
                    if (health.Failing && time.GetUtcNow() - health.Since!.Value >= _client.Options.MaxUnhealthyPollStreak)
                    {
                        throw new ApimDrException(ErrorIds.OperationOutcomeUnknown, ApimErrorCategory.ConnectionError,
                            $"For {FormatSpan(_client.Options.MaxUnhealthyPollStreak)} every check failed ({health.Count} in a row; the last: {health.LastError})." , operation.ResourceId);
                    }
                    operation.NextPollAt = (time.GetUtcNow() + next).UtcDateTime;
                    wait.Callbacks.Progress?.Invoke(new OperationProgress(operation, operation.Status, time.GetUtcNow() - operation.StartTime, operation.NextPollAt));
                }
            }
            catch (OperationCanceledException) when (wait.Stop.IsCancellationRequested)
            {
                if (wait.Timeout.IsCancellationRequested && !wait.User.IsCancellationRequested)
                {
                    string lastErrors = health.Failing ? $" The last {health.Count} checks failed (the last: {health.LastError})." : string.Empty;
                    wait.Callbacks.Abandoned?.Invoke(operation, Resumable(operation,
                        new ApimDrException(ErrorIds.OperationTimedOut, ApimErrorCategory.OperationTimeout, $"The wait timed out after {wait.TimeoutValue}.{lastErrors}"), knownRunning: !health.Failing));
                }
                // Cancelled by the caller: the state stays as it was, ready to resume.
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.OperationNotFound)
            {
                // ARM forgot the operation: asking again would only get 404 again. Look, once, at what can be seen.
                ApimDrException? ended = await ConcludeAfterNotFoundAsync(operation, ex, wait).ConfigureAwait(false);
                if (ended == null)
                {
                    operation.NextPollAt = null;
                    operation.EndTime = time.GetUtcNow().UtcDateTime;
                    wait.Callbacks.Completed?.Invoke(operation);
                }
                else
                {
                    wait.Callbacks.Abandoned?.Invoke(operation, ended);
                }
            }
            catch (ApimDrException ex)
            {
                // Refused before sending (expired token, a URL we will not poll): it was running at the last poll.
                // An InvalidPollUrl that ARM answered (HttpStatus set) is not known to be running.
                bool knownRunning = ex.ErrorId == ErrorIds.AuthenticationExpired || ex.ErrorId == ErrorIds.UntrustedPollHost
                    || (ex.ErrorId == ErrorIds.InvalidPollUrl && ex.HttpStatus == null);
                wait.Callbacks.Abandoned?.Invoke(operation, Resumable(operation, ex, knownRunning));
            }
        }

        /// <summary>
        /// After a 404 at a poll: the target's provisioningState and (for a backup, when the caller can reach storage)
        /// whether the backup blob exists. A backup is Failed (<see cref="ErrorIds.BackupNotCreated"/>) only when that
        /// PROVES it: the service is no longer busy and no backup blob exists (APIM writes the blob as a backup's last
        /// step). Then null is returned and the operation is Failed; otherwise the OperationNotFound that ends this wait,
        /// saying what was found. It does not invite a resume: ARM would answer 404 again.
        /// </summary>
        private async Task<ApimDrException?> ConcludeAfterNotFoundAsync(ApimOperation operation, ApimDrException notFound, Wait wait)
        {
            string kind = operation.Kind.ToLowerInvariant();
            string? state = null;
            string serviceFinding;
            try
            {
                ServiceInfo service = await _client.GetServiceAsync(ServiceId.Parse(operation.ResourceId), wait.Stop).ConfigureAwait(false);
                state = service.ProvisioningState;
                serviceFinding = $"the service's provisioningState is '{state}'";
            }
            catch (Exception ex) when (ex is ApimDrException || ex is OperationCanceledException)
            {
                serviceFinding = $"the service's provisioningState could not be read ({(ex is ApimDrException e ? e.ErrorId : "stopped")})";
            }
            bool idle = string.Equals(state, "Succeeded", StringComparison.OrdinalIgnoreCase);
            bool? blob = null;
            string blobName = $"'{operation.StorageAccountName}/{operation.ContainerName}/{operation.BackupName}'";
            if (wait.Callbacks.BackupBlobExists != null && operation.BackupName.Length > 0)
            {
                try
                {
                    blob = await wait.Callbacks.BackupBlobExists(operation, wait.Stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ApimDrException || ex is OperationCanceledException)
                {
                    blob = null;
                }
            }
            string blobFinding = blob == true ? $"the backup blob {blobName} exists"
                : blob == false ? $"no backup blob {blobName} exists"
                : $"whether the backup blob {blobName} exists could not be checked";
            if (operation.Kind == nameof(OperationKind.Backup) && idle && blob == false)
            {
                operation.Status = ApimOperation.Failed;
                operation.HttpStatus = 404;
                operation.ErrorCode = notFound.ArmCode ?? "OperationNotFound";
                operation.ErrorMessage = $"Resource Manager no longer knows the backup, the service is no longer busy ({serviceFinding}) and {blobFinding}: APIM writes the blob as a backup's last step, so this backup did not complete.";
                operation.ErrorId = ErrorIds.BackupNotCreated;
                return null;
            }
            string verdict = operation.Kind == nameof(OperationKind.Backup) && blob == true
                ? $" A backup blob by that name exists: the {kind} most likely succeeded (Get-ApimBackup shows it)."
                : !idle && state != null
                    ? $" The service is busy: the {kind} may still be running; when provisioningState is 'Succeeded' again, check the result (Get-ApimBackup, or the restored configuration)."
                    : $" Check the result: Get-ApimBackup for a backup, the service's configuration for a restore.";
            return notFound.Rephrase(
                $"Stopped waiting for the {kind} of '{operation.Name}': {notFound.Message} What ApimDr found: {serviceFinding}; {(operation.Kind == nameof(OperationKind.Backup) || blob != null ? blobFinding : $"the backup blob {blobName} was not checked")}.{verdict} " +
                "Waiting again would only get 404 again, so this operation is no longer resumable (ApimDr removes it from the operation journal).",
                operation.CorrelationId);
        }

        /// <summary>Reads one answer into the state by the outcome table; true when the operation reached a terminal status.</summary>
        private bool Apply(ApimOperation operation, PollAnswer answer, Health health)
        {
            int status = answer.Status;
            if (status == 408 || status == 429 || status >= 500 || (status >= 300 && status < 400) || status < 200)
            {
                // Throttled, or the service could not answer: no verdict. 429 is not ill health.
                if (status != 429) health.Record($"HTTP {status} {Describe(ArmError.Parse(answer.Body, status, answer.ReasonPhrase))}");
                return false;
            }
            if (status >= 400)
            {
                health.Reset();
                ArmError error = ArmError.Parse(answer.Body, status, answer.ReasonPhrase);
                ThrowIfNoVerdict(operation, status, error, answer);
                Fail(operation, status, error);
                return true;
            }
            return string.Equals(operation.PollStyle, ApimOperation.AzureAsyncOperationStyle, StringComparison.OrdinalIgnoreCase)
                ? ApplyStatusResource(operation, answer, health)
                : ApplyLocation(operation, answer, health);
        }

        /// <summary>401, ARM's own authorization failures, 404 and ARM refusing the request itself (400 about its api-version or provider) say nothing about the operation: outcome unknown.</summary>
        private static void ThrowIfNoVerdict(ApimOperation operation, int status, ArmError error, PollAnswer answer)
        {
            if (status == 400 && PollUrlRules.IsRequestRefusal(error.Code))
            {
                throw new ApimDrException(ErrorIds.InvalidPollUrl, ApimErrorCategory.InvalidArgument,
                    $"Resource Manager refused the poll request itself (400 {error.Code}: {error.Message}); that is about the poll URL, not a verdict on the operation.",
                    operation.ResourceId)
                { HttpStatus = 400, ArmCode = error.Code, RequestId = answer.RequestId, CorrelationId = operation.CorrelationId };
            }
            if (status == 401 || (status == 403 && ArmErrorMapping.IsArmAuthorizationFailure(error.Code)))
            {
                ApimDrException denied = ArmErrorMapping.ToException(status, error, "Checking the " + Describe(operation), operation.ResourceId, answer.RequestId, operation.CorrelationId);
                throw denied.Rephrase(denied.Message + (status == 403 ? " The identity needs read access to the service's operations (e.g. Microsoft.ApiManagement/service/read, as in the API Management Service Contributor or Reader role)." : string.Empty));
            }
            if (status == 404)
            {
                throw new ApimDrException(ErrorIds.OperationNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Resource Manager no longer knows this operation (404 {error.Code}: {error.Message}). ARM forgets finished operations after a while.",
                    operation.ResourceId)
                { HttpStatus = 404, ArmCode = error.Code, RequestId = answer.RequestId, CorrelationId = operation.CorrelationId };
            }
        }

        // Location: 202 running (follow the newest Location), 2xx done.
        private bool ApplyLocation(ApimOperation operation, PollAnswer answer, Health health)
        {
            health.Reset();
            if (answer.Status == 202)
            {
                if (answer.Location != null && !Uri.Equals(answer.Location, operation.PollUrl))
                {
                    ApimDrException? refused = PollUrlRules.Check(answer.Location, operation.ResourceId, _client.Options.Cloud.ResourceManagerUrl, "the " + Describe(operation));
                    if (refused != null) throw refused;
                    operation.PollUrl = answer.Location;   // ARM's contract: poll the latest Location.
                }
                return false;
            }
            operation.Status = ApimOperation.Succeeded;
            operation.Sku = ReadSku(answer.Body) ?? operation.Sku;
            return true;
        }

        // Azure-AsyncOperation: 200 {"status": …}; an unreadable body is no verdict.
        private static bool ApplyStatusResource(ApimOperation operation, PollAnswer answer, Health health)
        {
            if (answer.Status == 202)
            {
                health.Reset();
                return false;
            }
            string? status = null;
            ArmError? error = null;
            try
            {
                using JsonDocument document = JsonDocument.Parse(answer.Body);
                status = JsonRead.GetString(document.RootElement, "status");
                if (document.RootElement.ValueKind == JsonValueKind.Object && JsonRead.TryGetProperty(document.RootElement, "error", out JsonElement _))
                {
                    error = ArmError.Parse(answer.Body, answer.Status);
                }
            }
            catch (JsonException)
            {
                health.Record($"HTTP {answer.Status} with an unreadable status body");
                return false;
            }
            health.Reset();
            if (string.Equals(status, ApimOperation.Succeeded, StringComparison.OrdinalIgnoreCase))
            {
                operation.Status = ApimOperation.Succeeded;
                return true;
            }
            if (string.Equals(status, ApimOperation.Failed, StringComparison.OrdinalIgnoreCase))
            {
                Fail(operation, null, error ?? new ArmError("Failed", "The operation failed without an error description."));
                return true;
            }
            if (string.Equals(status, ApimOperation.Canceled, StringComparison.OrdinalIgnoreCase))
            {
                operation.Status = ApimOperation.Canceled;
                operation.ErrorCode = error?.Code;
                operation.ErrorMessage = error?.Message;
                return true;
            }
            return false;
        }

        private static void Fail(ApimOperation operation, int? httpStatus, ArmError error)
        {
            operation.Status = ApimOperation.Failed;
            operation.HttpStatus = httpStatus;
            operation.ErrorCode = error.Code;
            operation.ErrorMessage = error.Message;
            operation.ErrorId = ArmErrorMapping.ClassifyOperationFailure(error).ErrorId;
        }

        private static string? ReadSku(string body)
        {
            if (string.IsNullOrWhiteSpace(body)) return null;
            try
            {
                string sku = ServiceInfo.Parse(body).SkuName;
                return sku.Length == 0 ? null : sku;
            }
            catch (ApimDrException)
            {
                return null;
            }
        }

        private static string Describe(ApimOperation operation) => $"{operation.Kind.ToLowerInvariant()} of '{operation.Name}'";

        private static string Describe(ArmError error) => $"{error.Code}: {error.Message}";

        /// <summary>Why the wait stopped, plus the two facts the user needs: what is known of the operation, and how to resume.</summary>
        private static ApimDrException Resumable(ApimOperation operation, ApimDrException reason, bool knownRunning)
        {
            string kind = operation.Kind.ToLowerInvariant();
            string state = knownRunning
                ? $"The {kind} is still running on the service"
                : $"The outcome of the {kind} is unknown: it may still be running or have ended (check Get-ApimBackup or the service's provisioningState)";
            return reason.Rephrase(
                $"Stopped waiting for the {kind} of '{operation.Name}': {reason.Message} {state}; " +
                "resume the wait with Wait-ApimOperation, passing this operation object (it survives Export-Clixml/Import-Clixml and ConvertTo-Json; Get-ApimOperation lists it too).",
                operation.CorrelationId);
        }

        internal static TimeSpan Clamp(TimeSpan delay) => delay > LongestDelay ? LongestDelay : delay;

        private static string FormatSpan(TimeSpan span) => span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} minutes" : $"{span.TotalSeconds:0.#} seconds";

        /// <summary>A streak of answers that were no verdict (5xx, transport errors, unreadable bodies).</summary>
        private sealed class Health
        {
            public DateTimeOffset? Since { get; private set; }
            public int Count { get; private set; }
            public string? LastError { get; private set; }
            public bool Failing => Count > 0;
            private readonly TimeProvider _time;

            public Health(TimeProvider time) => _time = time;

            public void Record(string error)
            {
                if (Count == 0) Since = _time.GetUtcNow();
                Count++;
                LastError = error;
            }

            public void Reset()
            {
                Count = 0;
                Since = null;
                LastError = null;
            }

            public TimeSpan Backoff()
            {
                TimeSpan delay = TimeSpan.FromSeconds(Math.Pow(2, Math.Min(Math.Max(Count - 1, 0), 6)));
                return delay < MaxUnhealthyBackoff ? delay : MaxUnhealthyBackoff;
            }
        }

        private sealed class Wait
        {
            public Wait(PollCallbacks callbacks, TimeSpan? timeout, CancellationToken stop, CancellationToken timeoutToken, CancellationToken user)
            {
                Callbacks = callbacks;
                TimeoutValue = timeout;
                Stop = stop;
                Timeout = timeoutToken;
                User = user;
            }

            public PollCallbacks Callbacks { get; }
            public TimeSpan? TimeoutValue { get; }
            public CancellationToken Stop { get; }
            public CancellationToken Timeout { get; }
            public CancellationToken User { get; }
        }
    }
}
