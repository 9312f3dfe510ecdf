using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>Replays of what the real service does for a backup/restore (docs/arm-protocol.md §2).</summary>
    public class RealSequenceTests
    {
        [Theory]
        [InlineData(0)]
        [InlineData(4)]
        [InlineData(12)]
        public async Task Post202ThenNTimes202Then200Succeeds(int n)
        {
            var clock = new VirtualClock();
            string location = Location();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r =>
                r.Method == "POST" ? Accepted(location)
                : ++polls <= n ? Accepted(location)
                : Reply.Of(200, ServiceJson(sku: "Developer")).With("x-ms-request-id", "final-request").With("x-ms-request-id", "final-request-again"));
            // A short default proves the 60 s spacing comes from the service's Retry-After.
            using ArmClient client = Client(clock, transport, o => o.DefaultRetryAfter = TimeSpan.FromSeconds(5));

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Equal(ApimOperation.LocationStyle, op.PollStyle);
            Assert.Equal(location, op.PollUrl!.OriginalString);

            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Equal("Developer", op.Sku);
            Assert.Equal("final-request", op.RequestId);
            var post = transport.Requests.Single(r => r.Method == "POST");
            var gets = transport.Requests.Where(r => r.Method == "GET").ToList();
            Assert.Equal(n + 1, gets.Count);
            Assert.Equal(n + 1, op.PollCount);
            Assert.All(gets, g => Assert.Equal(location, g.Url));
            // Each poll at least Retry-After (60 s) after the previous answer, and no later than needed.
            var times = new[] { post.At }.Concat(gets.Select(g => g.At)).ToList();
            for (int i = 1; i < times.Count; i++) Assert.Equal(TimeSpan.FromSeconds(60), times[i] - times[i - 1]);
            Assert.Equal(op.StartTime + TimeSpan.FromSeconds(60 * (n + 1)), op.EndTime);
            Assert.Equal(n, recorder.Progress.Count);
            Assert.Same(op, Assert.Single(recorder.Completed));
            Assert.Empty(recorder.Abandoned);
        }

        [Fact]
        public async Task PostSendsTheDocumentedRequest()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport);

            await Run(clock, client.StartRestoreAsync(Service(), KeyRequest(), default));

            RecordedRequest post = Assert.Single(transport.Requests);
            Assert.Equal("POST", post.Method);
            Assert.Equal($"{ArmUrl}{ServicePath()}/restore?api-version=2024-05-01", post.Url);
            Assert.Equal("application/json", post.Header("Content-Type"));
            Assert.Equal($"Bearer {StaticToken}", post.Header("Authorization"));
            using JsonDocument body = JsonDocument.Parse(post.Body);
            Assert.Equal("backupstore", body.RootElement.GetProperty("storageAccount").GetString());
            Assert.Equal("apim-backups", body.RootElement.GetProperty("containerName").GetString());
            Assert.Equal("contoso-2026-01-01.apimbackup", body.RootElement.GetProperty("backupName").GetString());
            Assert.Equal("AccessKey", body.RootElement.GetProperty("accessType").GetString());
            Assert.Equal(StorageKey, body.RootElement.GetProperty("accessKey").GetString());
            Assert.False(body.RootElement.TryGetProperty("clientId", out _));
        }

        [Fact]
        public async Task AsyncFailureAtTheLastPollKeepsCodeAndMessage()
        {
            var clock = new VirtualClock();
            const string reason = "Cannot restore: current SKU is 'StandardV2', backup SKU is 'Standard'";
            int polls = 0;
            var transport = new FakeArmTransport(clock, r =>
                r.Method == "POST" ? Accepted(Location())
                : ++polls <= 2 ? Accepted(Location())
                : Reply.ArmError(400, "RestoreFailed", reason).With("x-ms-request-id", "failing-request"));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartRestoreAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            Assert.Equal(ApimOperation.Failed, op.Status);
            Assert.Equal("RestoreFailed", op.ErrorCode);
            Assert.Equal(reason, op.ErrorMessage);
            Assert.Equal(ErrorIds.SkuMismatch, op.ErrorId);
            Assert.Equal(400, op.HttpStatus);
            Assert.Equal(3, transport.Requests.Count(r => r.Method == "GET"));
            Assert.Same(op, Assert.Single(recorder.Completed));
            ApimDrException error = Operations.ToException(op)!;
            Assert.Equal(ErrorIds.SkuMismatch, error.ErrorId);
            Assert.Equal("failing-request", error.RequestId);
            Assert.Equal(op.CorrelationId, error.CorrelationId);
            Assert.Contains(reason, error.Message);
        }

        [Fact]
        public async Task SynchronousBadRequestOnThePostIsAnErrorWithoutPolling()
        {
            var clock = new VirtualClock();
            const string message = "Invalid container name: invalid characters. Parameter name: backupContainerName";
            var transport = new FakeArmTransport(clock, r => Reply.ArmError(400, "InvalidParameters", message).With("x-ms-request-id", "rid-1"));
            using ArmClient client = Client(clock, transport);

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));

            Assert.Equal(ErrorIds.ApimOperationFailed, error.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidOperation, error.Category);
            Assert.Equal(400, error.HttpStatus);
            Assert.Equal("InvalidParameters", error.ArmCode);
            Assert.Equal("rid-1", error.RequestId);
            Assert.False(string.IsNullOrEmpty(error.CorrelationId));
            Assert.Contains(message, error.Message);
            Assert.Single(transport.Requests);
        }

        [Fact]
        public async Task AnOperationStartedWhileAnotherRunsIsReportedAsBusy()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.ArmError(409, "Conflict", "Another operation is in progress"));
            using ArmClient client = Client(clock, transport);

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));

            Assert.Equal(ErrorIds.ServiceBusy, error.ErrorId);
            Assert.Equal(ApimErrorCategory.ResourceBusy, error.Category);
            Assert.Contains("an operation is already running on this service", error.Message);
            Assert.Single(transport.Requests);
        }
    }
}
