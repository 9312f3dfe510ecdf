using System;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// ARM's retry rules (docs/arm-protocol.md, outcome table). Reads (the pre-flight GET, the configuration
    /// reader's GETs and its read-only listValue POSTs) are retried
    /// on 408/429/5xx and transport errors, honouring Retry-After. The backup/restore POST is resent
    /// only when the service surely did not take it: 429, or a connection that never opened — never
    /// on a 5xx (even with Retry-After) or after bytes left. Polls are not retried here: the poller
    /// is their retry loop. Waits go through the TimeProvider (Azure.Core's RetryPolicy sleeps on the real clock).
    /// </summary>
    internal sealed class ArmRetryPolicy : HttpPipelinePolicy
    {
        private const string NoRetryProperty = "ApimDr.NoRetry";

        /// <summary>Marks a request the poller retries itself (one poll = one request).</summary>
        public static void DisableFor(HttpMessage message) => message.SetProperty(NoRetryProperty, true);

        private const string ReadOnlyProperty = "ApimDr.ReadOnly";

        /// <summary>Marks a POST that changes nothing (<c>namedValues/{id}/listValue</c>): retried like a GET.</summary>
        public static void MarkReadOnly(HttpMessage message) => message.SetProperty(ReadOnlyProperty, true);

        private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
        private readonly TimeProvider _time;
        private readonly int _maxRetries;

        public ArmRetryPolicy(TimeProvider time, int maxRetries)
        {
            _time = time;
            _maxRetries = Math.Max(0, maxRetries);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
            => ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
            => ProcessAsync(message, pipeline, async: true);

        private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            for (int attempt = 0; ; attempt++)
            {
                Exception? failure = null;
                try
                {
                    if (async) await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                    else ProcessNext(message, pipeline);
                }
                catch (Exception ex) when (!message.CancellationToken.IsCancellationRequested && !(ex is ApimDrException))
                {
                    failure = ex;
                }

                if (attempt >= _maxRetries || !ShouldRetry(message, failure))
                {
                    if (failure != null) ExceptionDispatchInfo.Capture(failure).Throw();
                    return;
                }

                TimeSpan delay = (failure == null ? RetryAfter.Read(message.Response, _time) : null) ?? Backoff(attempt);
                Task wait = _time.Delay(delay, message.CancellationToken);
                if (async) await wait.ConfigureAwait(false);
                else wait.GetAwaiter().GetResult();
            }
        }

        internal bool ShouldRetry(HttpMessage message, Exception? failure)
        {
            if (message.TryGetProperty(NoRetryProperty, out object? _)) return false;
            bool isPost = message.Request.Method == RequestMethod.Post && !message.TryGetProperty(ReadOnlyProperty, out object? _);
            if (failure != null)
            {
                // After bytes left, a POST may have been accepted: retrying could start a second backup.
                return !isPost || IsConnectFailure(failure);
            }
            int status = message.Response.Status;
            if (isPost)
            {
                // A 503 — even with Retry-After — may come from a front end after the service took the request.
                return status == 429;
            }
            return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
        }

        /// <summary>A failure to open the connection: no byte of the request reached the service.</summary>
        internal static bool IsConnectFailure(Exception failure)
        {
            for (Exception? e = failure; e != null; e = e.InnerException)
            {
                if (e is SocketException socket)
                {
                    switch (socket.SocketErrorCode)
                    {
                        case SocketError.ConnectionRefused:
                        case SocketError.HostNotFound:
                        case SocketError.HostUnreachable:
                        case SocketError.NetworkUnreachable:
                        case SocketError.TryAgain:
                        case SocketError.NoData:
                        case SocketError.AddressNotAvailable:
                            return true;
                    }
                }
            }
            return false;
        }

        private static TimeSpan Backoff(int attempt)
        {
            TimeSpan delay = TimeSpan.FromSeconds(Math.Pow(2, Math.Min(attempt, 10)));
            return delay < MaxBackoff ? delay : MaxBackoff;
        }
    }
}
