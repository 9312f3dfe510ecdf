using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// THE poll loop: inline waits of Backup/Restore and Wait-ApimOperation all come here. Every
    /// operation is an async loop (no thread each), honouring its own Retry-After; all waiting goes
    /// through the client's TimeProvider.
    /// </summary>
    public sealed class OperationPoller
    {
        private readonly ArmClient _client;

        public OperationPoller(ArmClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

        /// <summary>
        /// Polls every operation until it ends, is abandoned (see <see cref="PollCallbacks.Abandoned"/>)
        /// or <paramref name="timeout"/> passes. The states are updated in place and returned.
        /// Cancellation throws <see cref="OperationCanceledException"/> promptly, leaving each state resumable.
        /// </summary>
        public async Task<IReadOnlyList<OperationState>> WaitAllAsync(IReadOnlyList<OperationState> operations, PollCallbacks? callbacks, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            if (operations == null) throw new ArgumentNullException(nameof(operations));
            callbacks ??= new PollCallbacks();
            TimeProvider time = _client.Options.Time;
            bool hasTimeout = timeout.HasValue && timeout.Value >= TimeSpan.Zero && timeout.Value != Timeout.InfiniteTimeSpan;
            using CancellationTokenSource timeoutSource = hasTimeout ? time.CreateCancellationTokenSource(timeout!.Value) : new CancellationTokenSource();
            using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            var wait = new Wait(callbacks, timeout, stop.Token, timeoutSource.Token, cancellationToken);
            // Distinct: one loop per state object, so a state listed twice is not mutated by two loops.
            await Task.WhenAll(operations.Distinct().Select(operation => WaitOneAsync(operation, wait))).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return operations;
        }

        private async Task WaitOneAsync(OperationState operation, Wait wait)
        {
            if (operation.IsTerminal)
            {
                wait.Callbacks.Completed?.Invoke(operation);
                return;
            }
            ApimDrException? untrusted = CheckPollHost(operation);
            if (untrusted != null)
            {
                wait.Callbacks.Abandoned?.Invoke(operation, untrusted);
                return;
            }

            TimeProvider time = _client.Options.Time;
            try
            {
                while (true)
                {
                    TimeSpan delay = operation.NextPollAt.HasValue ? operation.NextPollAt.Value - time.GetUtcNow() : TimeSpan.Zero;
                    if (delay > TimeSpan.Zero) await time.Delay(delay, wait.Stop).ConfigureAwait(false);

                    // A static token we know is dead is never sent: say so instead of collecting a 401.
                    if (_client.StaticTokenExpiry is DateTimeOffset expiry && time.GetUtcNow() >= expiry)
                    {
                        throw Credentials.CredentialFactory.Expired(expiry);
                    }

                    PollAnswer answer = await _client.PollAsync(operation, wait.Stop).ConfigureAwait(false);
                    operation.PollCount++;
                    if (Apply(operation, answer))
                    {
                        operation.NextPollAt = null;
                        operation.EndTime = time.GetUtcNow();
                        wait.Callbacks.Completed?.Invoke(operation);
                        return;
                    }
                    operation.NextPollAt = time.GetUtcNow() + answer.NextInterval;
                    wait.Callbacks.Progress?.Invoke(new OperationProgress(operation, operation.Status, time.GetUtcNow() - operation.StartTime, operation.NextPollAt));
                }
            }
            catch (OperationCanceledException) when (wait.Stop.IsCancellationRequested)
            {
                if (wait.Timeout.IsCancellationRequested && !wait.User.IsCancellationRequested)
                {
                    wait.Callbacks.Abandoned?.Invoke(operation, StillRunning(operation,
                        new ApimDrException(ErrorIds.OperationTimedOut, ApimErrorCategory.OperationTimeout, $"The wait timed out after {wait.TimeoutValue}.")));
                }
                // Cancelled by the caller: the state stays as it was, ready to resume.
            }
            catch (ApimDrException ex)
            {
                wait.Callbacks.Abandoned?.Invoke(operation, StillRunning(operation, ex));
            }
        }

        /// <summary>Reads one answer into the state; true when the operation reached a terminal status.</summary>
        private static bool Apply(OperationState operation, PollAnswer answer)
        {
            int status = answer.Status;
            operation.RequestId = answer.RequestId ?? operation.RequestId;
            if (status == 401 || status == 403)
            {
                // Not the operation's fault: we may no longer look at it.
                throw ArmErrorMapping.ToException(status, ArmError.Parse(answer.Body, status, answer.ReasonPhrase), "Checking the operation", operation.ResourceId, answer.RequestId, operation.CorrelationId);
            }
            if (status == 408 || status == 429)
            {
                return false; // still throttled after the retry policy gave up: ask again after Retry-After.
            }
            return string.Equals(operation.PollStyle, OperationState.AzureAsyncOperationStyle, StringComparison.OrdinalIgnoreCase)
                ? ApplyStatusResource(operation, answer)
                : ApplyLocation(operation, answer);
        }

        // Location: 202 running, 200/204 done, 4xx/5xx the operation failed with the ARM error.
        private static bool ApplyLocation(OperationState operation, PollAnswer answer)
        {
            if (answer.Status == 202) return false;
            if (answer.Status >= 200 && answer.Status < 300)
            {
                operation.Status = OperationState.Succeeded;
                operation.Sku = ReadSku(answer.Body) ?? operation.Sku;
                return true;
            }
            if (answer.Status >= 400)
            {
                Fail(operation, answer.Status, ArmError.Parse(answer.Body, answer.Status, answer.ReasonPhrase));
                return true;
            }
            throw new ApimDrException(ErrorIds.ArmProtocolError, ApimErrorCategory.ProtocolError, $"Resource Manager answered the poll with an unexpected HTTP {answer.Status}.");
        }

        // Azure-AsyncOperation: 200 {"status": …}; a 4xx/5xx is a failure to READ the status, not of the operation.
        private static bool ApplyStatusResource(OperationState operation, PollAnswer answer)
        {
            if (answer.Status >= 500 || answer.Status == 202) return false;
            if (answer.Status >= 400)
            {
                ArmError unreadable = ArmError.Parse(answer.Body, answer.Status, answer.ReasonPhrase);
                throw new ApimDrException(ErrorIds.ArmProtocolError, ApimErrorCategory.ProtocolError,
                    $"Could not read the operation status: HTTP {answer.Status} {unreadable.Code}: {unreadable.Message}") { HttpStatus = answer.Status, ArmCode = unreadable.Code, RequestId = answer.RequestId };
            }
            string? status = null;
            ArmError? error = null;
            try
            {
                using JsonDocument document = JsonDocument.Parse(answer.Body);
                status = ArmError.GetString(document.RootElement, "status");
                if (document.RootElement.ValueKind == JsonValueKind.Object && ArmError.TryGetProperty(document.RootElement, "error", out JsonElement _))
                {
                    error = ArmError.Parse(answer.Body, answer.Status);
                }
            }
            catch (JsonException)
            {
                return false; // an unreadable status is no verdict; ask again.
            }
            if (string.Equals(status, OperationState.Succeeded, StringComparison.OrdinalIgnoreCase))
            {
                operation.Status = OperationState.Succeeded;
                return true;
            }
            if (string.Equals(status, OperationState.Failed, StringComparison.OrdinalIgnoreCase))
            {
                Fail(operation, null, error ?? new ArmError("Failed", "The operation failed without an error description."));
                return true;
            }
            if (string.Equals(status, OperationState.Canceled, StringComparison.OrdinalIgnoreCase))
            {
                operation.Status = OperationState.Canceled;
                operation.ErrorCode = error?.Code;
                operation.ErrorMessage = error?.Message;
                return true;
            }
            return false;
        }

        private static void Fail(OperationState operation, int? httpStatus, ArmError error)
        {
            operation.Status = OperationState.Failed;
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

        /// <summary>A token for this cloud goes only to this cloud's ARM host (ARCHITECTURE.md §6).</summary>
        private ApimDrException? CheckPollHost(OperationState operation)
        {
            Uri arm = _client.Options.Cloud.ResourceManagerUrl;
            Uri? poll = operation.PollUrl;
            string kind = operation.Kind.ToString().ToLowerInvariant();
            if (operation.ResourceManagerUrl != null && !SameAuthority(operation.ResourceManagerUrl, arm))
            {
                return Untrusted(operation, $"The {kind} of '{operation.Name}' was started on {operation.ResourceManagerUrl.GetLeftPart(UriPartial.Authority)}, but this wait uses {arm.GetLeftPart(UriPartial.Authority)}. Wait with the matching -Environment or -ResourceManagerUrl.");
            }
            if (poll == null || !poll.IsAbsoluteUri || poll.Scheme != Uri.UriSchemeHttps || !SameAuthority(poll, arm))
            {
                return Untrusted(operation, $"Refusing to poll the {kind} of '{operation.Name}' at '{poll?.GetLeftPart(UriPartial.Authority)}': it is not the Resource Manager host {arm.GetLeftPart(UriPartial.Authority)}, and polling would send it your token.");
            }
            return null;
        }

        private static bool SameAuthority(Uri a, Uri b)
            => string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

        private static ApimDrException Untrusted(OperationState operation, string message)
            => new ApimDrException(ErrorIds.UntrustedPollHost, ApimErrorCategory.SecurityError, message, operation.ResourceId) { CorrelationId = operation.CorrelationId };

        /// <summary>Why the wait stopped, plus the two facts the user needs: it still runs, and how to resume.</summary>
        private static ApimDrException StillRunning(OperationState operation, ApimDrException reason)
        {
            string kind = operation.Kind.ToString().ToLowerInvariant();
            return new ApimDrException(reason.ErrorId, reason.Category,
                $"Stopped waiting for the {kind} of '{operation.Name}': {reason.Message} The {kind} is still running on the service; " +
                "resume the wait with Wait-ApimOperation, passing this operation object (it survives Export-Clixml/Import-Clixml and ConvertTo-Json).",
                operation.ResourceId, reason)
            {
                HttpStatus = reason.HttpStatus,
                ArmCode = reason.ArmCode,
                ArmTarget = reason.ArmTarget,
                RequestId = reason.RequestId,
                CorrelationId = operation.CorrelationId,
            };
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
