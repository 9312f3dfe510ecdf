using System;
using System.Globalization;
using System.Threading.Tasks;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// Paces the configuration reader's GETs by ARM's read token bucket (Microsoft Learn, "Understand how
    /// Azure Resource Manager throttles requests": a bucket per subscription and principal, e.g. 250 reads
    /// refilled 25 per second). One budget for every paced read of the pipeline, i.e. shared by all reads in
    /// flight. What it knows comes from ARM: <c>x-ms-ratelimit-remaining-subscription-reads</c> on each answer
    /// (the bucket after that request), the refill rate estimated from two such readings, and a 429's
    /// Retry-After (nobody sends before it has passed). Without the header it paces by 429s alone.
    /// Runs per attempt (inside the retry loop), so a retried read is paced too.
    /// </summary>
    internal sealed class ReadPacingPolicy : HttpPipelinePolicy
    {
        public const string RemainingReadsHeader = "x-ms-ratelimit-remaining-subscription-reads";
        private const string PacedProperty = "ApimDr.Paced";
        private const string TicketProperty = "ApimDr.PacedTicket";

        /// <summary>A reading older than this (no answer in between) no longer says much: start estimating afresh.</summary>
        private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

        /// <summary>The shortest span over which a refill rate is estimated.</summary>
        private static readonly TimeSpan MinimumRateSpan = TimeSpan.FromSeconds(1);

        private readonly TimeProvider _time;
        private readonly object _gate = new object();

        // Requests counted against the bucket so far (sent, minus those answered 429, which took no token).
        private long _taken;
        private int _inFlight;
        private DateTimeOffset _notBefore;
        private Reading? _anchor;   // the first reading of the current estimate
        private Reading? _latest;   // the newest reading
        private double? _rate;      // tokens per second

        private sealed class Reading
        {
            public DateTimeOffset At;
            public long Remaining;
            public long TakenAtSend;   // _taken right after this request was counted
        }

        public ReadPacingPolicy(TimeProvider time) => _time = time;

        /// <summary>Marks a read to pace (the configuration reader's GETs).</summary>
        public static void MarkPaced(HttpMessage message) => message.SetProperty(PacedProperty, true);

        /// <summary>The current estimate (for tests and the log): remaining tokens now, refill per second.</summary>
        internal (double? Tokens, double? Rate) Estimate()
        {
            lock (_gate) return (Tokens(_time.GetUtcNow()), _rate);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
            => ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
            => ProcessAsync(message, pipeline, async: true);

        private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            if (!message.TryGetProperty(PacedProperty, out object? _) || message.Request.Method != RequestMethod.Get)
            {
                if (async) await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                else ProcessNext(message, pipeline);
                return;
            }

            long ticket;
            while (true)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    wait = WaitFor(_time.GetUtcNow());
                    if (wait <= TimeSpan.Zero)
                    {
                        ticket = ++_taken;
                        _inFlight++;
                        break;
                    }
                }
                Task delay = _time.Delay(wait, message.CancellationToken);
                if (async) await delay.ConfigureAwait(false);
                else delay.GetAwaiter().GetResult();
            }
            message.SetProperty(TicketProperty, ticket);

            try
            {
                if (async) await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                else ProcessNext(message, pipeline);
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight--;
                    if (message.HasResponse) Observe(message.Response, ticket);
                }
            }
        }

        /// <summary>How long to wait before sending one more read; zero or less: send now. Under the lock.</summary>
        private TimeSpan WaitFor(DateTimeOffset now)
        {
            if (now < _notBefore) return _notBefore - now;
            double? tokens = Tokens(now);
            if (tokens == null || tokens.Value >= 1) return TimeSpan.Zero;
            if (_rate is double rate && rate > 0) return TimeSpan.FromSeconds(Math.Max((1 - tokens.Value) / rate, 0.001));
            // The bucket is empty and the refill is not known yet: one probe at a time, its answer (429 + Retry-After or a reading) tells more.
            return _inFlight == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(50);
        }

        /// <summary>Tokens in the bucket now by the newest reading, the refill since, and what was sent after it; null when unknown.</summary>
        private double? Tokens(DateTimeOffset now)
        {
            if (_latest == null || now - _latest.At > StaleAfter) return null;
            double refill = _rate is double rate ? rate * (now - _latest.At).TotalSeconds : 0;
            return _latest.Remaining + refill - (_taken - _latest.TakenAtSend);
        }

        private void Observe(Response response, long ticket)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (response.Status == 429)
            {
                // No token was taken; nobody sends before the Retry-After has passed, and the bucket is empty.
                _taken--;
                TimeSpan retryAfter = RetryAfter.Read(response, _time) ?? TimeSpan.FromSeconds(1);
                if (now + retryAfter > _notBefore) _notBefore = now + retryAfter;
                if (_latest != null)
                {
                    _latest = new Reading { At = now, Remaining = 0, TakenAtSend = _taken };
                }
                return;
            }
            if (!response.Headers.TryGetValue(RemainingReadsHeader, out string? text)
                || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long remaining))
            {
                return;
            }
            var reading = new Reading { At = now, Remaining = remaining, TakenAtSend = ticket };
            if (_latest != null && ticket < _latest.TakenAtSend && now - _latest.At < StaleAfter) return;   // an older request answering late
            if (_anchor == null || _latest == null || now - _latest.At > StaleAfter)
            {
                _anchor = reading;
                _rate = null;
            }
            else if (now - _anchor.At >= MinimumRateSpan)
            {
                double rate = (reading.Remaining - _anchor.Remaining + (reading.TakenAtSend - _anchor.TakenAtSend)) / (now - _anchor.At).TotalSeconds;
                if (rate > 0) _rate = rate;
            }
            _latest = reading;
        }
    }
}
