using System;
using System.Collections.Generic;
using System.Linq;
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

        // Tickets: every paced request sent gets the next number. Refused ones (429: no token taken) are remembered
        // by ticket, for the refill estimate only: the budget itself never credits a refusal back (it resyncs at the next reading).
        private long _sent;
        private readonly List<long> _refusedTickets = new List<long>();
        private int _inFlight;
        private int _mostInFlight;
        private double _reserve = 2;   // tokens left unused: grows with each new round of 429s (the model's error, measured)
        private const double MostReserve = 50;
        private readonly HashSet<long> _inFlightTickets = new HashSet<long>();
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
                        _inFlightTickets.Add(ticket);
                        if (_inFlight > _mostInFlight) _mostInFlight = _inFlight;
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
                string? note = null;
                lock (_gate)
                {
                    _inFlight--;
                    _inFlightTickets.Remove(ticket);
                    if (message.HasResponse) note = Observe(message.Response, ticket);
                }
                if (note != null && ArmLogPolicy.SinkOf(message) is Action<ArmLogLevel, string> log) log(ArmLogLevel.Verbose, note);
            }
        }

        /// <summary>How long to wait before sending one more read; zero or less: send now. Under the lock.</summary>
        private TimeSpan WaitFor(DateTimeOffset now)
        {
            if (now < _notBefore) return _notBefore - now;
            double? tokens = Tokens(now);
            double need = 1 + _reserve;
            if (tokens == null || tokens.Value >= need) return TimeSpan.Zero;
            if (PacingRate() is double rate) return TimeSpan.FromSeconds(Math.Max((need - tokens.Value) / rate, 0.001));
            // The bucket is empty and the refill is not known yet: one probe at a time, its answer (429 + Retry-After or a reading) tells more.
            return _inFlight == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(50);
        }

        /// <summary>
        /// The measured refill, less a margin for the estimate's own error: a reading's time is when its answer arrived
        /// (off by up to a request's transit, <see cref="ReadingError"/>, at each end of the span), and reads sent before
        /// a reading may reach ARM after it (up to the most in flight at once): both shrink as the span grows
        /// (at 25/s with 8 in flight: 10 % until about 4 s, 2 % at 20 s, under 0.5 % after 90 s).
        /// </summary>
        private static readonly TimeSpan ReadingError = TimeSpan.FromMilliseconds(50);

        private double? PacingRate()
        {
            if (!(_rate is double rate) || rate <= 0 || _anchor == null || _latest == null) return null;
            double span = (_latest.At - _anchor.At).TotalSeconds;
            double error = 2 * ReadingError.TotalSeconds + _mostInFlight / rate;
            double margin = span > 0 ? Math.Min(0.1, error / span) : 0.1;
            return rate * (1 - margin);
        }

        /// <summary>Tokens in the bucket now by the newest reading, the refill since, and what was sent after it; null when unknown.</summary>
        private double? Tokens(DateTimeOffset now)
        {
            if (_latest == null || now - _latest.At > StaleAfter) return null;
            double refill = PacingRate() is double rate ? rate * (now - _latest.At).TotalSeconds : 0;
            // Everything sent after the reading counts as taken, refused or not, and so does what was sent before it and is
            // still in flight (it may reach ARM after the reading): conservative, a constant reserve, not a slower rate.
            long earlierInFlight = _inFlightTickets.Count(t => t < _latest.Ticket);
            return _latest.Remaining + refill - (_sent - _latest.Ticket) - earlierInFlight;
        }

        /// <summary>Reads one answer into the model; a line for -Verbose when it was a 429.</summary>
        private string? Observe(Response response, long ticket)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (response.Status == 429)
            {
                // No token was taken; nobody sends before the Retry-After has passed, and the bucket was empty when
                // this request reached ARM: what was sent before it is counted, what was sent after it is not.
                _refusedTickets.Add(ticket);
                TimeSpan retryAfter = RetryAfter.Read(response, _time) ?? TimeSpan.FromSeconds(1);
                // A 429 after the last pause ended is a new round: the model was off by about what was in flight; keep more in reserve.
                // (A reserve costs its size ÷ the refill once, not a slower pace.)
                if (now >= _notBefore) _reserve = Math.Min(MostReserve, _reserve + Math.Max(2, _mostInFlight / 2.0));
                if (now + retryAfter > _notBefore) _notBefore = now + retryAfter;
                double? before = _latest == null ? null : Tokens(now);
                string basis = _latest == null ? "no reading" : $"last reading {_latest.Remaining} left {(now - _latest.At).TotalMilliseconds:0} ms ago, {_sent - _latest.Ticket} sent since, this ticket {ticket - _latest.Ticket:+0;-0;0} from it";
                if (_latest != null && ticket >= _latest.Ticket)
                {
                    _latest = new Reading { At = now, Remaining = 0, Ticket = ticket };
                }
                return $"Read budget: 429 (Retry-After {retryAfter.TotalSeconds:0.###} s); reads paused until {_notBefore:HH:mm:ss.fff}, reserve now {_reserve:0} reads. The budget had estimated {(before is double b ? b.ToString("0.0", CultureInfo.InvariantCulture) : "unknown")} reads left, refill {(_rate is double r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "/s" : "not yet measured")}; {_inFlight} reads in flight ({basis}).";
            }
            if (!response.Headers.TryGetValue(RemainingReadsHeader, out string? text)
                || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long remaining))
            {
                return null;
            }
            var reading = new Reading { At = now, Remaining = remaining, Ticket = ticket };
            if (_latest != null && ticket < _latest.Ticket && now - _latest.At < StaleAfter) return null;   // an older request answering late
            if (_anchor == null || _latest == null || now - _latest.At > StaleAfter)
            {
                _anchor = reading;
                _rate = null;
                _refusedTickets.Clear();
            }
            else if (now - _anchor.At >= MinimumRateSpan)
            {
                long anchorTicket = _anchor.Ticket;
                long taken = (reading.Ticket - anchorTicket) - _refusedTickets.Count(t => t > anchorTicket && t <= ticket);
                double rate = (reading.Remaining - _anchor.Remaining + taken) / (now - _anchor.At).TotalSeconds;
                if (rate > 0) _rate = rate;
            }
            _latest = reading;
            return null;
        }
    }
}
