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

        // Tickets: every paced request sent gets the next number; refusals (429: no token taken) are counted apart.
        private long _sent;
        private long _refused;
        private int _inFlight;
        private DateTimeOffset _notBefore;
        private Reading? _anchor;   // the first reading of the current estimate
        private Reading? _latest;   // the newest reading
        private double? _rate;      // tokens per second, as measured

        /// <summary>What ARM said the bucket held right after the request with this ticket took its token.</summary>
        private sealed class Reading
        {
            public DateTimeOffset At;
            public long Remaining;
            public long Ticket;     // requests sent after it (higher tickets) are not in Remaining
            public long Refused;    // _refused when it was read: later refusals took no token

            /// <summary>Tokens taken since this reading, by what was sent after it and not refused.</summary>
            public long TakenSince(long sent, long refused) => (sent - Ticket) - (refused - Refused);
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
                        ticket = ++_sent;
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
            if (PacingRate() is double rate) return TimeSpan.FromSeconds(Math.Max((1 - tokens.Value) / rate, 0.001));
            // The bucket is empty and the refill is not known yet: one probe at a time, its answer (429 + Retry-After or a reading) tells more.
            return _inFlight == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(50);
        }

        /// <summary>
        /// The measured refill, less a margin for the estimate's own error: each reading's time is when its answer
        /// arrived, off by up to a request's transit, about <see cref="ReadingError"/> at each end of the span.
        /// The margin shrinks as the span grows (5 % at 2 s, 0.2 % after a minute).
        /// </summary>
        private double? PacingRate()
        {
            if (!(_rate is double rate) || rate <= 0 || _anchor == null || _latest == null) return null;
            double span = (_latest.At - _anchor.At).TotalSeconds;
            double margin = span > 0 ? Math.Min(0.1, 2 * ReadingError.TotalSeconds / span) : 0.1;
            return rate * (1 - margin);
        }

        private static readonly TimeSpan ReadingError = TimeSpan.FromMilliseconds(50);

        /// <summary>Tokens in the bucket now by the newest reading, the refill since, and what was sent after it; null when unknown.</summary>
        private double? Tokens(DateTimeOffset now)
        {
            if (_latest == null || now - _latest.At > StaleAfter) return null;
            double refill = PacingRate() is double rate ? rate * (now - _latest.At).TotalSeconds : 0;
            return _latest.Remaining + refill - _latest.TakenSince(_sent, _refused);
        }

        private void Observe(Response response, long ticket)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (response.Status == 429)
            {
                // No token was taken; nobody sends before the Retry-After has passed, and the bucket was empty when
                // this request reached ARM: what was sent before it is counted, what was sent after it is not.
                _refused++;
                TimeSpan retryAfter = RetryAfter.Read(response, _time) ?? TimeSpan.FromSeconds(1);
                if (now + retryAfter > _notBefore) _notBefore = now + retryAfter;
                if (_latest != null && ticket >= _latest.Ticket)
                {
                    _latest = new Reading { At = now, Remaining = 0, Ticket = ticket, Refused = _refused };
                }
                return;
            }
            if (!response.Headers.TryGetValue(RemainingReadsHeader, out string? text)
                || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long remaining))
            {
                return;
            }
            var reading = new Reading { At = now, Remaining = remaining, Ticket = ticket, Refused = _refused };
            if (_latest != null && ticket < _latest.Ticket && now - _latest.At < StaleAfter) return;   // an older request answering late
            if (_anchor == null || _latest == null || now - _latest.At > StaleAfter)
            {
                _anchor = reading;
                _rate = null;
            }
            else if (now - _anchor.At >= MinimumRateSpan)
            {
                double rate = (reading.Remaining - _anchor.Remaining + _anchor.TakenSince(reading.Ticket, reading.Refused)) / (now - _anchor.At).TotalSeconds;
                if (rate > 0) _rate = rate;
            }
            _latest = reading;
        }
    }
}
