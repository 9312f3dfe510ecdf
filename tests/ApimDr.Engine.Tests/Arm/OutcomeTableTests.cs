using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>
    /// The outcome table of docs/arm-protocol.md, one test per row: what each answer to a poll means.
    /// Succeeded and Failed only on the service's word; everything else leaves the operation resumable.
    /// </summary>
    public class OutcomeTableTests
    {
        private static async Task<(ApimOperation Op, Recorder Recorder, FakeArmTransport Transport)> PollWith(Func<int, Reply> poll, Action<ArmClientOptions>? configure = null, TimeSpan? timeout = null)
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(Location(), 10) : poll(++polls));
            using ArmClient client = Client(clock, transport, configure);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder, timeout);
            return (op, recorder, transport);
        }

        [Theory]
        [InlineData(200)]
        [InlineData(201)]
        [InlineData(204)]
        public async Task Poll2xxIsSucceeded(int status)
        {
            var (op, recorder, _) = await PollWith(n => n == 1 ? Accepted(Location(), 10) : Reply.Of(status, status == 204 ? "" : ServiceJson()));
            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Single(recorder.Completed);
        }

        [Fact]
        public async Task Poll202FollowsTheNewestLocationAsInTheRealRecording()
        {
            // azure-sdk-for-net BackupAndRestoreService.json: the POST's Location had "//operationresults",
            // the first poll answered 202 with the corrected single-slash Location.
            string doubled = Location().Replace("/operationresults/", "//operationresults/");
            string corrected = Location();
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(doubled, 10)
                : ++polls == 1 ? Accepted(corrected, 10) : polls < 3 ? Accepted(corrected, 10) : Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            Assert.Equal(doubled, op.PollUrl!.OriginalString);

            await WaitAsync(clock, client, new[] { op }, new Recorder());

            var gets = transport.Requests.Where(r => r.Method == "GET").Select(r => r.Url).ToList();
            Assert.Equal(doubled, gets[0]);
            Assert.All(gets.Skip(1), url => Assert.Equal(corrected, url));
            Assert.Equal(ApimOperation.Succeeded, op.Status);
        }

        [Fact]
        public async Task A202LocationOnAnotherHostIsRefusedAndNeverPolled()
        {
            string foreign = Location().Replace("https://management.azure.com", "https://attacker.example");
            var (op, recorder, transport) = await PollWith(n => Accepted(foreign, 10));
            Assert.Equal(ErrorIds.UntrustedPollHost, recorder.Abandoned[op].ErrorId);
            Assert.DoesNotContain(transport.Requests, r => r.Url.Contains("attacker"));
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public async Task Poll401IsOutcomeUnknownAndResumable()
        {
            var (op, recorder, _) = await PollWith(n => Reply.ArmError(401, "InvalidAuthenticationToken", "The access token is invalid."));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            ApimDrException error = recorder.Abandoned[op];
            Assert.Equal(ErrorIds.AuthenticationFailed, error.ErrorId);
            Assert.Contains("Wait-ApimOperation", error.Message);
        }

        [Fact]
        public async Task Poll403FromArmAuthorizationIsOutcomeUnknownNamingThePermission()
        {
            var (op, recorder, _) = await PollWith(n => Reply.ArmError(403, "AuthorizationFailed",
                "The client 'x' with object id 'x' does not have authorization to perform action 'Microsoft.ApiManagement/service/read' over scope '/subscriptions/s'."));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            ApimDrException error = recorder.Abandoned[op];
            Assert.Equal(ErrorIds.AuthorizationFailed, error.ErrorId);
            Assert.Contains("Microsoft.ApiManagement/service/read", error.Message);
            Assert.Contains("outcome of the backup is unknown", error.Message);
        }

        [Fact]
        public async Task Poll403FromTheOperationItselfIsFailed()
        {
            // The emulator's (and APIM's) answer when the service's identity has no role on the storage account.
            var (op, recorder, _) = await PollWith(n => Reply.ArmError(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."));
            Assert.Equal(ApimOperation.Failed, op.Status);
            Assert.Equal("AuthorizationPermissionMismatch", op.ErrorCode);
            Assert.Empty(recorder.Abandoned);
        }

        [Fact]
        public async Task Poll404IsOperationNotFoundNotAVerdict()
        {
            var (op, recorder, _) = await PollWith(n => Reply.ArmError(404, "ResourceNotFound", "The operation was not found."));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Equal(ErrorIds.OperationNotFound, recorder.Abandoned[op].ErrorId);
            Assert.Contains("Get-ApimBackup", recorder.Abandoned[op].Message);
        }

        /// <summary>Before: ARM's front door refusing the poll REQUEST (400 about its api-version or provider) made the operation Failed.</summary>
        [Theory]
        [InlineData("MissingApiVersionParameter")]
        [InlineData("InvalidApiVersionParameter")]
        [InlineData("NoRegisteredProviderFound")]
        public async Task Poll400AboutTheRequestIsNoVerdictButResumable(string code)
        {
            var (op, recorder, transport) = await PollWith(n => Reply.ArmError(400, code, "about the request"));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Null(op.ErrorCode);
            ApimDrException error = recorder.Abandoned[op];
            Assert.Equal(ErrorIds.InvalidPollUrl, error.ErrorId);
            Assert.Equal(400, error.HttpStatus);
            Assert.Equal(code, error.ArmCode);
            Assert.Contains("outcome of the backup is unknown", error.Message);
            Assert.Contains("Wait-ApimOperation", error.Message);
            Assert.Empty(recorder.Completed);
            Assert.Single(transport.Requests, r => r.Method == "GET");   // the wait stops once, it does not hammer
        }

        [Theory]
        [InlineData(400, "InvalidParameters")]
        [InlineData(409, "Conflict")]
        [InlineData(422, "RestoreFailed")]
        public async Task PollOther4xxIsFailedWithTheServicesCode(int status, string code)
        {
            var (op, recorder, _) = await PollWith(n => Reply.ArmError(status, code, "it went wrong"));
            Assert.Equal(ApimOperation.Failed, op.Status);
            Assert.Equal(code, op.ErrorCode);
            Assert.Equal("it went wrong", op.ErrorMessage);
            Assert.Empty(recorder.Abandoned);
        }

        [Fact]
        public async Task SevenConsecutive5xxOnPollsAreNoVerdict()
        {
            // Defect 6: seven 503/500 answers used to end in Failed while the backup succeeded.
            var (op, recorder, transport) = await PollWith(n => n <= 7 ? (n % 2 == 0 ? Reply.Of(500) : Reply.Of(503).With("Retry-After", "2")) : Reply.Of(200, ServiceJson()));
            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Empty(recorder.Abandoned);
            Assert.Equal(8, transport.Requests.Count(r => r.Method == "GET"));
        }

        [Fact]
        public async Task TransportErrorsOnPollsAreNoVerdict()
        {
            var (op, recorder, _) = await PollWith(n => n <= 3 ? Reply.Throw(new System.Net.Http.HttpRequestException("reset", new System.IO.IOException("Connection reset by peer"))) : Reply.Of(200, ServiceJson()));
            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.Empty(recorder.Abandoned);
        }

        [Fact]
        public async Task A5xxStreakStopsAsOutcomeUnknownWithTheLastErrorAndCappedBackoff()
        {
            var (op, recorder, transport) = await PollWith(n => Reply.ArmError(500, "InternalServerError", "Something broke inside."),
                o => o.MaxUnhealthyPollStreak = TimeSpan.FromMinutes(15));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            ApimDrException error = recorder.Abandoned[op];
            Assert.Equal(ErrorIds.OperationOutcomeUnknown, error.ErrorId);
            Assert.Contains("Something broke inside", error.Message);
            Assert.Contains("Wait-ApimOperation", error.Message);
            var gets = transport.Requests.Where(r => r.Method == "GET").ToList();
            Assert.True(gets.Last().At - gets.First().At >= TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(61));
            var gaps = gets.Zip(gets.Skip(1), (a, b) => b.At - a.At).ToList();
            Assert.All(gaps, g => Assert.True(g <= TimeSpan.FromSeconds(60), $"gap {g} exceeds the 60 s cap"));
            Assert.True(gaps.Last() == TimeSpan.FromSeconds(60));
        }

        [Fact]
        public async Task ATimeoutDuringA5xxStreakSaysTheChecksFailed()
        {
            var (op, recorder, _) = await PollWith(n => Reply.Of(503).With("Retry-After", "5"), timeout: TimeSpan.FromSeconds(40));
            ApimDrException error = recorder.Abandoned[op];
            Assert.Equal(ErrorIds.OperationTimedOut, error.ErrorId);
            Assert.Contains("checks failed", error.Message);
            Assert.Contains("outcome of the backup is unknown", error.Message);
        }

        [Fact]
        public async Task A429OnAPollWaitsItsRetryAfter()
        {
            var (op, _, transport) = await PollWith(n => n == 1 ? Reply.ArmError(429, "TooManyRequests", "slow").With("Retry-After", "23") : Reply.Of(200, ServiceJson()));
            var gets = transport.Requests.Where(r => r.Method == "GET").ToList();
            Assert.Equal(TimeSpan.FromSeconds(23), gets[1].At - gets[0].At);
            Assert.Equal(ApimOperation.Succeeded, op.Status);
        }

        [Theory]
        [InlineData(400, "InvalidParameters", ErrorIds.ApimOperationFailed)]
        [InlineData(409, "Conflict", ErrorIds.ServiceBusy)]
        [InlineData(404, "ResourceNotFound", ErrorIds.ServiceNotFound)]
        [InlineData(403, "AuthorizationFailed", ErrorIds.AuthorizationFailed)]
        public async Task Post4xxIsNotStartedAndNotResent(int status, string code, string errorId)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.ArmError(status, code, "no"));
            using ArmClient client = Client(clock, transport);
            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));
            Assert.Equal(errorId, error.ErrorId);
            Assert.Single(transport.Requests);
        }

        [Fact]
        public async Task Post200IsDoneWithNothingToPoll()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            Assert.Equal(ApimOperation.Succeeded, op.Status);
        }

        [Fact]
        public async Task CtrlCWhileThePostIsInFlightWaitsForItsAnswer()
        {
            // Defect 10: Ctrl+C during the POST used to abandon it with nothing recorded while the backup ran.
            var clock = new VirtualClock();
            using var stop = new CancellationTokenSource();
            var transport = new FakeArmTransport(clock, r =>
            {
                stop.Cancel();                 // the user presses Ctrl+C while the service is still answering
                return Accepted(Location());
            });
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), stop.Token));
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.NotNull(op.PollUrl);
            Assert.Single(transport.Requests);
        }

        [Fact]
        public async Task CtrlCBeforeThePostSendsNothing()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport);
            using var stop = new CancellationTokenSource();
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), stop.Token)));
            Assert.Empty(transport.Requests);
        }
    }
}
