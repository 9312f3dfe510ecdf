using System;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>The Azure-AsyncOperation style and the failures a poll can meet on the way (docs/arm-protocol.md §3).</summary>
    public class PollingStyleTests
    {
        private static string StatusUrl => $"{ArmUrl}/subscriptions/{SubscriptionId}/providers/Microsoft.ApiManagement/locations/westeurope/operationsStatus/op-1==?api-version=2024-05-01";

        private static Reply AcceptedWithStatusResource()
            => Reply.Of(202).With("Location", StatusUrl).With("Azure-AsyncOperation", StatusUrl).With("Retry-After", "30");

        private static Reply Status(string status, string? error = null)
            => Reply.Of(200, "{\"status\":\"" + status + "\"" + (error == null ? "" : ",\"error\":" + error) + "}").With("Retry-After", "30");

        [Fact]
        public async Task AzureAsyncOperationStatusResourceIsFollowedToSucceeded()
        {
            var clock = new VirtualClock();
            var answers = new[] { Status("InProgress"), Status("inprogress"), Status("Running"), Status("succeeded") };
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? AcceptedWithStatusResource() : answers[polls++]);
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            Assert.Equal(ApimOperation.AzureAsyncOperationStyle, op.PollStyle);
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Equal(4, transport.Requests.Count(r => r.Method == "GET"));
            Assert.All(transport.Requests.Where(r => r.Method == "GET"), r => Assert.Equal(StatusUrl, r.Url));
        }

        [Fact]
        public async Task AzureAsyncOperationFailedCarriesTheError()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? AcceptedWithStatusResource()
                : ++polls < 2 ? Status("InProgress")
                : Status("Failed", "{\"code\":\"BackupFailed\",\"message\":\"Cannot restore: backup expired\",\"details\":null,\"innerError\":null}"));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartRestoreAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ApimOperation.Failed, op.Status);
            Assert.Equal("BackupFailed", op.ErrorCode);
            Assert.Equal("Cannot restore: backup expired", op.ErrorMessage);
            Assert.Equal(ErrorIds.BackupExpired, op.ErrorId);
            Assert.Single(recorder.Completed);
        }

        [Fact]
        public async Task AzureAsyncOperationCanceledIsTerminal()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? AcceptedWithStatusResource() : Status("Canceled"));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            Assert.Equal(ApimOperation.Canceled, op.Status);
            Assert.Equal(1, op.PollCount);
            Assert.NotNull(Operations.ToException(op));
        }

        [Fact]
        public async Task A500WhileReadingTheStatusResourceIsRetriedNotTakenAsFailure()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? AcceptedWithStatusResource()
                : ++polls switch
                {
                    1 => Status("InProgress"),
                    2 => Reply.ArmError(500, "InternalServerError", "Something went wrong"),
                    3 => Reply.Of(500, "<html>oops</html>"),
                    _ => Status("Succeeded"),
                });
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Equal(4, transport.Requests.Count(r => r.Method == "GET"));
            Assert.Empty(recorder.Abandoned);
        }

        [Fact]
        public async Task ThrottlingAndUnavailabilityOnPollsAreSurvived()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(Location())
                : ++polls switch
                {
                    1 => Accepted(Location()),
                    2 => Reply.ArmError(429, "SubscriptionRequestsThrottled", "Number of read requests exceeded the limit").With("Retry-After", "17"),
                    3 => Reply.Of(503).With("Retry-After", "5"),
                    4 => Reply.Of(503),
                    5 => Accepted(Location()),
                    _ => Reply.Of(200, ServiceJson()),
                });
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ApimOperation.Succeeded, op.Status);
            var gets = transport.Requests.Where(r => r.Method == "GET").ToList();
            Assert.Equal(6, gets.Count);
            Assert.Equal(6, op.PollCount); // every poll is one request: the poller, not the retry policy, retries polls
            Assert.Equal(TimeSpan.FromSeconds(17), gets[2].At - gets[1].At); // Retry-After of the 429
            Assert.Equal(TimeSpan.FromSeconds(5), gets[3].At - gets[2].At);  // Retry-After of the 503
            Assert.True(gets[4].At - gets[3].At > TimeSpan.Zero);             // back-off without Retry-After
            Assert.Empty(recorder.Abandoned);
        }

        [Fact]
        public async Task AnswersWithoutRetryAfterWaitTheDefaultAndNeverLessThanTheFloor()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Reply.Of(202).With("Location", Location())
                : ++polls == 1 ? Reply.Of(202).With("Location", Location()).With("Retry-After", "1")
                : Reply.Of(204));
            using ArmClient client = Client(clock, transport, o =>
            {
                o.DefaultRetryAfter = TimeSpan.FromSeconds(60);
                o.MinimumPollInterval = TimeSpan.FromSeconds(10);
            });

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            var times = transport.Requests.Select(r => r.At).ToList();
            Assert.Equal(TimeSpan.FromSeconds(60), times[1] - times[0]); // no Retry-After: the default
            Assert.Equal(TimeSpan.FromSeconds(10), times[2] - times[1]); // Retry-After 1 s, floored at 10 s
            Assert.Equal(ApimOperation.Succeeded, op.Status);
        }
    }
}
