using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>
    /// Issue 20, item 4: one wait over 1,000 operations while ARM answers a share of the polls 429 with
    /// Retry-After. On virtual time, so what is asserted is behaviour, not speed: every operation ends,
    /// no poll comes before the Retry-After of the answer before it, no operation is over-polled or starved.
    /// </summary>
    public class ThrottledWaitTests
    {
        private const int Count = 1000;

        /// <summary>A fake ARM: operation i ends Duration after its POST; polls are answered 202 + Retry-After, or (a seeded share) 429 + Retry-After.</summary>
        private sealed class ThrottlingApim
        {
            public sealed class Plan
            {
                public TimeSpan Duration;
                public int RetryAfter;
                public DateTimeOffset StartedAt;
                public readonly List<(DateTimeOffset At, int Status, int RetryAfter)> Answers = new();
            }

            private readonly Dictionary<string, Plan> _plans = new();
            private readonly Random _random = new(20);   // seeded: the same 429s every run
            private readonly double _throttledShare;

            public ThrottlingApim(double throttledShare) => _throttledShare = throttledShare;

            public IReadOnlyDictionary<string, Plan> Plans => _plans;

            public void Add(string name, TimeSpan duration, int retryAfter) => _plans[name] = new Plan { Duration = duration, RetryAfter = retryAfter };

            public Reply Handle(RecordedRequest r)
            {
                string name = r.Url.Split("/service/")[1].Split('/', '?')[0];
                lock (_plans)
                {
                    Plan plan = _plans[name];
                    if (r.Method == "POST")
                    {
                        plan.StartedAt = r.At;
                        plan.Answers.Add((r.At, 202, plan.RetryAfter));
                        return Accepted(Location(name), plan.RetryAfter);
                    }
                    if (_random.NextDouble() < _throttledShare)
                    {
                        int wait = 1 + _random.Next(20);   // 1..20 s, sometimes longer than the operation's own Retry-After
                        plan.Answers.Add((r.At, 429, wait));
                        return Reply.ArmError(429, "SubscriptionRequestsThrottled", "Number of 'read' requests exceeded.").With("Retry-After", wait.ToString());
                    }
                    if (r.At < plan.StartedAt + plan.Duration)
                    {
                        plan.Answers.Add((r.At, 202, plan.RetryAfter));
                        return Accepted(Location(name), plan.RetryAfter);
                    }
                    plan.Answers.Add((r.At, 200, 0));
                    return Reply.Of(200, ServiceJson(name));
                }
            }
        }

        [Fact]
        public async Task AThousandOperationsWithThrottledPollsAllEndWithoutEarlyPollsOrStarvation()
        {
            var clock = new VirtualClock();
            var apim = new ThrottlingApim(throttledShare: 0.3);
            for (int i = 0; i < Count; i++)
            {
                // Durations 30 s .. 10 min, Retry-After 5/10/15 s; whole seconds keep the virtual run to few distinct wake-ups.
                apim.Add($"apim-{i:D4}", TimeSpan.FromSeconds(30 + (i * 37 % 571)), new[] { 5, 10, 15 }[i % 3]);
            }
            var transport = new FakeArmTransport(clock, apim.Handle);
            using ArmClient client = Client(clock, transport);

            ApimOperation[] ops = await Run(clock, Task.WhenAll(apim.Plans.Keys.Select(name => client.StartBackupAsync(Service(name), KeyRequest(), default))));
            var recorder = new Recorder();
            await WaitAsync(clock, client, ops, recorder);
            DateTimeOffset waitEnd = clock.GetUtcNow();

            Assert.Equal(Count, recorder.Completed.Count);
            Assert.Empty(recorder.Abandoned);
            Assert.All(ops, op => Assert.Equal(ApimOperation.Succeeded, op.Status));
            int throttledTotal = 0;
            foreach (ApimOperation op in ops)
            {
                ThrottlingApim.Plan plan = apim.Plans[op.Name];
                var answers = plan.Answers;
                int polls = answers.Count - 1;   // the first answer is the POST's
                int throttled = answers.Count(a => a.Status == 429);
                throttledTotal += throttled;
                Assert.Equal(polls, op.PollCount);

                // Never earlier than the Retry-After of the answer before (the POST's 202 included).
                for (int k = 1; k < answers.Count; k++)
                {
                    TimeSpan gap = answers[k].At - answers[k - 1].At;
                    Assert.True(gap >= TimeSpan.FromSeconds(answers[k - 1].RetryAfter), $"{op.Name}: poll {k} came {gap.TotalSeconds} s after an answer that said Retry-After {answers[k - 1].RetryAfter}");
                }

                // Not over-polled, not starved: at most ⌈T/RA⌉ + the 429s it received + 2.
                int bound = (int)Math.Ceiling(plan.Duration.TotalSeconds / plan.RetryAfter) + throttled + 2;
                Assert.True(polls <= bound, $"{op.Name}: {polls} polls, bound {bound} (T {plan.Duration.TotalSeconds} s, RA {plan.RetryAfter} s, {throttled} 429s)");

                // Exactly one non-throttled poll at or after the server-side end: the one that saw it.
                DateTimeOffset serverEnd = plan.StartedAt + plan.Duration;
                Assert.Equal(1, answers.Skip(1).Count(a => a.At >= serverEnd && a.Status != 429));
                Assert.Equal(answers[^1].At, new DateTimeOffset(op.EndTime!.Value, TimeSpan.Zero));
            }
            Assert.InRange(throttledTotal, Count, int.MaxValue);   // the share really throttled (~30 % of the polls)

            // The wait ends with its last operation (virtual time: nothing between the last answer and the return).
            DateTimeOffset lastEnd = ops.Max(op => new DateTimeOffset(op.EndTime!.Value, TimeSpan.Zero));
            Assert.InRange(waitEnd - lastEnd, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        }
    }
}
