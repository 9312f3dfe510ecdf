using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Configuration
{
    /// <summary>
    /// Issue 20, item 5: a snapshot at ARM's read floor. A fake ARM with ARM's read token bucket on virtual
    /// time (Microsoft Learn, "Understand how Azure Resource Manager throttles requests": per subscription and
    /// principal, e.g. 250 reads refilled 25/s; 429 + Retry-After when empty; x-ms-ratelimit-remaining-subscription-reads
    /// on every answer). The reader must finish near the floor (burst + requests ÷ refill) and not run into the bucket.
    /// </summary>
    public class ReadPacingTests
    {
        private sealed class ReadBucket
        {
            private readonly TimeProvider _clock;
            private readonly double _capacity, _refill;
            private double _tokens;
            private DateTimeOffset _last;

            public TimeSpan Latency { get; init; }

            public ReadBucket(TimeProvider clock, double capacity, double refill)
            {
                _clock = clock;
                _capacity = capacity;
                _refill = refill;
                _tokens = capacity;
                _last = clock.GetUtcNow();
            }

            public int Throttled { get; private set; }
            public int Taken { get; private set; }

            /// <summary>The emulator's rule (tests/ApimDr.Emulator/Arm/Throttle.cs), on virtual time. POSTs (listValue) count as writes: not here.</summary>
            public Func<RecordedRequest, Reply> Wrap(Func<RecordedRequest, Reply> inner) => r =>
            {
                if (r.Method != "GET") return inner(r).AfterVirtual(Latency);
                lock (this)
                {
                    DateTimeOffset now = _clock.GetUtcNow();
                    _tokens = Math.Min(_capacity, _tokens + (now - _last).TotalSeconds * _refill);
                    _last = now;
                    if (_tokens < 1)
                    {
                        Throttled++;
                        int retryAfter = Math.Max(1, (int)Math.Ceiling((1 - _tokens) / _refill));
                        return Reply.ArmError(429, "SubscriptionRequestsThrottled", "Number of 'read' requests exceeded.")
                            .With("Retry-After", retryAfter.ToString()).With(ReadPacingPolicy.RemainingReadsHeader, "0").AfterVirtual(Latency);
                    }
                    _tokens -= 1;
                    Taken++;
                    return inner(r).With(ReadPacingPolicy.RemainingReadsHeader, ((int)_tokens).ToString()).AfterVirtual(Latency);
                }
            };
        }

        /// <summary>Drives the task on virtual time: when no request has arrived for a few real milliseconds, jump to the next timer.</summary>
        private static async Task<T> Drive<T>(VirtualClock clock, FakeArmTransport transport, Task<T> task)
        {
            var watchdog = Stopwatch.StartNew();
            int last = -1, stable = 0;
            while (!task.IsCompleted)
            {
                int count = transport.Requests.Count;
                stable = count == last ? stable + 1 : 0;
                last = count;
                if (stable >= 2 && clock.AdvanceToNextTimer()) stable = 0;
                await Task.Delay(1);
                if (watchdog.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"Virtual run did not finish at {clock.GetUtcNow():O}.");
            }
            return await task;
        }

        private static FakeApim Large(int apis, int operationsPerApi)
        {
            FakeApim apim = FakeApim.Small();
            apim.PageSize = 3;
            for (int i = 0; i < apis; i++)
            {
                apim.Add("apis", $"api{i}", new JsonObject { ["displayName"] = $"API {i}", ["path"] = $"api{i}" });
                apim.Collections[$"apis/api{i}/operations"] = new();
                for (int o = 0; o < operationsPerApi; o++)
                {
                    apim.Add($"apis/api{i}/operations", $"op{o}", new JsonObject { ["displayName"] = $"Op {o}", ["method"] = "GET", ["urlTemplate"] = $"/items/{o}" });
                    apim.Policies[$"apis/api{i}/operations/op{o}/policies/policy"] = "<policies><inbound><base /></inbound></policies>";
                }
            }
            return apim;
        }

        [Theory]
        [InlineData(250, 25, 0)]    // ARM's published read bucket
        [InlineData(100, 25, 0)]    // a smaller burst: more of the snapshot is paced
        [InlineData(250, 25, 50)]   // 50 ms per answer: reads are in flight when the bucket runs dry
        public async Task ASnapshotFinishesNearTheBucketsFloorWithoutRunningIntoIt(int capacity, int refill, int latencyMs)
        {
            var clock = new VirtualClock();
            FakeApim apim = Large(apis: 60, operationsPerApi: 10);
            var bucket = new ReadBucket(clock, capacity, refill) { Latency = TimeSpan.FromMilliseconds(latencyMs) };
            var transport = new FakeArmTransport(clock, bucket.Wrap(apim.Handle));
            using ArmClient client = Client(clock, transport);
            DateTimeOffset start = clock.GetUtcNow();

            ApimConfiguration snapshot = await Drive(clock, transport, new ConfigurationReader(client).ReadAsync(Service(), null, default));
            TimeSpan took = clock.GetUtcNow() - start;

            Assert.Equal(600, snapshot.Entities["apiOperations"].Count);
            int reads = bucket.Taken;
            // The floor: the burst is free, the rest comes at the refill rate.
            double floor = Math.Max(0, reads - capacity) / (double)refill;
            Assert.True(took.TotalSeconds >= floor - 1, $"faster than the bucket allows? {took.TotalSeconds:N1} s vs floor {floor:N1} s");
            Assert.True(took.TotalSeconds <= floor * 1.15, $"{took.TotalSeconds:N1} s for {reads} reads; floor {floor:N1} s (+15 % = {floor * 1.15:N1} s)");
            // What the bucket forces: the reader learns the refill from ARM's answers, so at most the reads in flight when it first ran dry.
            Assert.True(bucket.Throttled <= ConfigurationReader.MaxInFlight, $"{bucket.Throttled} answers were 429");
        }
    }
}
