using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>Resuming, refusing foreign hosts, timeouts, cancellation and many operations at once.</summary>
    public class OperationPollerTests
    {
        /// <summary>A fake ARM where each service's operation finishes at a fixed virtual time after its POST.</summary>
        private sealed class TimedApim
        {
            private readonly Dictionary<string, (TimeSpan Duration, int RetryAfter)> _plans = new();
            private readonly Dictionary<string, DateTimeOffset> _startedAt = new();

            public void Plan(string name, TimeSpan duration, int retryAfter) => _plans[name] = (duration, retryAfter);

            public Reply Handle(RecordedRequest r)
            {
                string name = r.Url.Split("/service/")[1].Split('/', '?')[0];
                (TimeSpan duration, int retryAfter) = _plans[name];
                lock (_startedAt)
                {
                    if (r.Method == "POST")
                    {
                        _startedAt[name] = r.At;
                        return Accepted(Location(name), retryAfter);
                    }
                    return r.At < _startedAt[name] + duration ? Accepted(Location(name), retryAfter) : Reply.Of(200, ServiceJson(name));
                }
            }
        }

        [Fact]
        public async Task HundredOperationsOfDifferentDurationsCompleteTogetherWithMinimalPolls()
        {
            var clock = new VirtualClock();
            var apim = new TimedApim();
            var plans = new Dictionary<string, (TimeSpan Duration, int RetryAfter)>();
            for (int i = 0; i < 100; i++)
            {
                string name = $"apim-{i:D3}";
                var plan = (Duration: TimeSpan.FromSeconds(45 + (i * 37 % 97) * 20), RetryAfter: new[] { 30, 60, 90 }[i % 3]);
                plans[name] = plan;
                apim.Plan(name, plan.Duration, plan.RetryAfter);
            }
            var transport = new FakeArmTransport(clock, apim.Handle);
            using ArmClient client = Client(clock, transport);
            DateTimeOffset start = clock.GetUtcNow();

            ApimOperation[] ops = await Run(clock, Task.WhenAll(plans.Keys.Select(name => client.StartBackupAsync(Service(name), KeyRequest(), default))));
            var recorder = new Recorder();
            await WaitAsync(clock, client, ops, recorder);

            Assert.All(ops, op => Assert.Equal(ApimOperation.Succeeded, op.Status));
            Assert.Equal(100, recorder.Completed.Count);
            foreach (ApimOperation op in ops)
            {
                (TimeSpan duration, int retryAfter) = plans[op.Name];
                var interval = TimeSpan.FromSeconds(retryAfter);
                int minimal = (int)Math.Ceiling(duration.TotalSeconds / retryAfter);
                Assert.Equal(minimal, op.PollCount);
                Assert.Equal(minimal, transport.Requests.Count(r => r.Method == "GET" && r.Url == Location(op.Name)));
                Assert.InRange(op.EndTime!.Value - op.StartTime, duration, duration + interval);
            }
            TimeSpan slowest = plans.Values.Max(p => p.Duration);
            TimeSpan elapsed = clock.GetUtcNow() - start;
            Assert.InRange(elapsed, slowest, slowest + TimeSpan.FromSeconds(90));
        }

        [Fact]
        public async Task AStateRoundTrippedThroughJsonIsResumedAndCompletes()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" || ++polls <= 5 ? Accepted(Location()) : Reply.Of(200, ServiceJson()));
            using ArmClient first = Client(clock, transport);
            ApimOperation started = await Run(clock, first.StartBackupAsync(Service(), KeyRequest(), default));

            // The first wait is stopped after two polls, like a runbook that ends.
            using var stop = new CancellationTokenSource();
            var recorder = new Recorder();
            var callbacks = recorder.Callbacks;
            callbacks.Progress = p => { if (p.Operation.PollCount == 2) stop.Cancel(); };
            Task<IReadOnlyList<ApimOperation>> firstWait = clock.RunAsync(new OperationPoller(first).WaitAllAsync(new[] { started }, callbacks, null, stop.Token), () => 1);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => firstWait);
            Assert.Equal(ApimOperation.InProgress, started.Status);
            Assert.Equal(2, started.PollCount);

            string json = ToJson(started);
            Assert.DoesNotContain(StorageKey, json);
            Assert.DoesNotContain(StaticToken, json);
            ApimOperation resumed = FromJson(json);
            Assert.Equal(started.PollUrl!.OriginalString, resumed.PollUrl!.OriginalString);
            Assert.Equal(started.CorrelationId, resumed.CorrelationId);
            Assert.Equal(started.NextPollAt, resumed.NextPollAt);

            using ArmClient second = Client(clock, transport);
            await WaitAsync(clock, second, new[] { resumed }, new Recorder());

            Assert.Equal(ApimOperation.Succeeded, resumed.Status);
            Assert.Equal(6, resumed.PollCount);
            var gets = transport.Requests.Where(r => r.Method == "GET").ToList();
            Assert.Equal(6, gets.Count); // no poll wasted by the interruption
            Assert.All(gets, g => Assert.Equal(Location(), g.Url));
            Assert.All(transport.Requests, r => Assert.Equal(started.CorrelationId, r.Header("x-ms-correlation-request-id")));
            Assert.True(gets[2].At - gets[1].At >= TimeSpan.FromSeconds(60));
        }

        [Theory]
        [InlineData("https://evil.example.com/subscriptions/x/operationresults/abc?api-version=2024-05-01")]
        [InlineData("https://management.azure.com.evil.example/operationresults/abc?api-version=2024-05-01")]
        [InlineData("http://management.azure.com/operationresults/abc?api-version=2024-05-01")]
        [InlineData("https://management.azure.com:8443/operationresults/abc?api-version=2024-05-01")]
        public async Task AForeignPollHostIsRefusedWithoutSendingAnything(string pollUrl)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = FromJson("{\"Kind\":\"Backup\",\"ResourceId\":\"" + ServicePath() + "\",\"Name\":\"contoso-apim\",\"PollUrl\":\"" + pollUrl + "\",\"ResourceManagerUrl\":\"https://management.azure.com/\"}");

            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            ApimDrException error = Assert.Single(recorder.Abandoned).Value;
            Assert.Equal(ErrorIds.UntrustedPollHost, error.ErrorId);
            Assert.Equal(ApimErrorCategory.SecurityError, error.Category);
            Assert.Empty(transport.Requests);
        }

        [Fact]
        public async Task AForeignLocationFromThePostIsNeverPolled()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted("https://attacker.example.net/operationresults/x=?api-version=2024-05-01"));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ErrorIds.UntrustedPollHost, Assert.Single(recorder.Abandoned).Value.ErrorId);
            Assert.Single(transport.Requests); // only the POST, to ARM
        }

        [Fact]
        public async Task AnOperationOfAnotherCloudIsNotPolledWithThisCloudsToken()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport);
            var op = new ApimOperation
            {
                Name = "contoso-apim",
                PollUrl = new Uri(Location()),
                ResourceManagerUrl = CloudEnvironment.AzureChinaCloud.ResourceManagerUrl,
            };

            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ErrorIds.UntrustedPollHost, Assert.Single(recorder.Abandoned).Value.ErrorId);
            Assert.Empty(transport.Requests);
        }

        [Fact]
        public async Task TheOverallTimeoutAbandonsWithResumeAdvice()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));

            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder, timeout: TimeSpan.FromMinutes(10.5));

            ApimDrException error = Assert.Single(recorder.Abandoned).Value;
            Assert.Equal(ErrorIds.OperationTimedOut, error.ErrorId);
            Assert.Equal(ApimErrorCategory.OperationTimeout, error.Category);
            Assert.Contains("still running", error.Message);
            Assert.Contains("Wait-ApimOperation", error.Message);
            Assert.Equal(VirtualClock.Epoch + TimeSpan.FromMinutes(10.5), clock.GetUtcNow());
            Assert.Equal(10, op.PollCount); // one a minute until the deadline stopped the wait
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public async Task CancellationWhileSleepingReturnsPromptlyAndLeavesTheStateResumable()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location(), retryAfter: 3600));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            DateTimeOffset? nextPoll = op.NextPollAt;
            using var cancel = new CancellationTokenSource();

            Task wait = new OperationPoller(client).WaitAllAsync(new[] { op }, new PollCallbacks(), null, cancel.Token);
            SpinWait.SpinUntil(() => clock.ArmedTimers == 1, TimeSpan.FromSeconds(5));
            var watch = Stopwatch.StartNew();
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {watch.Elapsed}");
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Equal(nextPoll, op.NextPollAt);
            Assert.Equal(0, op.PollCount);
            Assert.Single(transport.Requests);
        }

        [Fact]
        public async Task CancellationDuringAHangingPollReturnsPromptly()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(Location()) : Reply.Hang());
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            op.NextPollAt = null; // due now
            using var cancel = new CancellationTokenSource();

            Task wait = new OperationPoller(client).WaitAllAsync(new[] { op }, new PollCallbacks(), null, cancel.Token);
            SpinWait.SpinUntil(() => transport.Requests.Count == 2, TimeSpan.FromSeconds(5));
            var watch = Stopwatch.StartNew();
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {watch.Elapsed}");
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public async Task AlreadyFinishedOperationsAreReportedWithoutPolling()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(500));
            using ArmClient client = Client(clock, transport);
            var op = new ApimOperation { Name = "contoso-apim", PollUrl = new Uri(Location()), Status = ApimOperation.Succeeded };

            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Same(op, Assert.Single(recorder.Completed));
            Assert.Empty(transport.Requests);
        }
    }
}
