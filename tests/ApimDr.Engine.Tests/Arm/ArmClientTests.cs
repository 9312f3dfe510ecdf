using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>Starting operations and reading the service: the POST retry rule, request ids, error mapping.</summary>
    public class ArmClientTests
    {
        [Fact]
        public async Task A429OnThePostIsRetriedAfterRetryAfter()
        {
            var clock = new VirtualClock();
            int posts = 0;
            var transport = new FakeArmTransport(clock, r => ++posts == 1
                ? Reply.ArmError(429, "SubscriptionRequestsThrottled", "Number of write requests exceeded the limit").With("Retry-After", "7")
                : Accepted(Location()));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await clock.RunAsync(client.StartBackupAsync(Service(), KeyRequest(), default), () => 1);

            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Equal(2, transport.Requests.Count);
            Assert.Equal(TimeSpan.FromSeconds(7), transport.Requests[1].At - transport.Requests[0].At);
        }

        [Theory]
        [InlineData(503, "3")]
        [InlineData(503, null)]
        [InlineData(500, null)]
        [InlineData(502, "1")]
        public async Task A5xxOnThePostIsNeverResentAndItsOutcomeIsUnknown(int status, string? retryAfter)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => retryAfter == null ? Reply.Of(status) : Reply.Of(status).With("Retry-After", retryAfter));
            using ArmClient client = Client(clock, transport);

            var error = await Assert.ThrowsAsync<ApimDrException>(() => clock.RunAsync(client.StartBackupAsync(Service(), KeyRequest(), default), () => 1));

            Assert.Single(transport.Requests);   // the service may have taken it: a resend could start a second backup
            Assert.Equal(ErrorIds.OperationOutcomeUnknown, error.ErrorId);
            Assert.Equal(status, error.HttpStatus);
            Assert.Contains("did not send it again", error.Message);
            Assert.Contains("Get-ApimBackup", error.Message);
        }

        [Fact]
        public async Task A429OnThePostIsResentAfterRetryAfter()
        {
            var clock = new VirtualClock();
            int posts = 0;
            var transport = new FakeArmTransport(clock, r => ++posts == 1 ? Reply.ArmError(429, "TooManyRequests", "slow down").With("Retry-After", "7") : Accepted(Location()));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await clock.RunAsync(client.StartBackupAsync(Service(), KeyRequest(), default), () => 1);

            Assert.Equal(2, transport.Requests.Count);
            Assert.Equal(TimeSpan.FromSeconds(7), transport.Requests[1].At - transport.Requests[0].At);
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public async Task AConnectFailureBeforeAnyByteWasSentIsRetried()
        {
            var clock = new VirtualClock();
            int posts = 0;
            var transport = new FakeArmTransport(clock, r => ++posts == 1
                ? Reply.Throw(new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)))
                : Accepted(Location()));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await clock.RunAsync(client.StartBackupAsync(Service(), KeyRequest(), default), () => 1);

            Assert.Equal(2, transport.Requests.Count(r => r.Method == "POST"));
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public async Task AConnectionResetAfterThePostWasSentIsNotRetriedAndTheNextTryReportsBusy()
        {
            var clock = new VirtualClock();
            int posts = 0;
            var transport = new FakeArmTransport(clock, r => ++posts == 1
                ? Reply.Throw(new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset))))
                : Reply.ArmError(409, "Conflict", "The API Management service is transitioning: an operation is in progress"));
            using ArmClient client = Client(clock, transport);

            var ambiguous = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));
            Assert.Equal(ErrorIds.OperationOutcomeUnknown, ambiguous.ErrorId);
            Assert.Contains("may have started it", ambiguous.Message);
            Assert.Single(transport.Requests);

            var busy = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));
            Assert.Equal(ErrorIds.ServiceBusy, busy.ErrorId);
            Assert.Equal(ApimErrorCategory.ResourceBusy, busy.Category);
            Assert.Contains("an operation is already running on this service", busy.Message);
            Assert.Equal(409, busy.HttpStatus);
            Assert.Equal(2, transport.Requests.Count);
        }

        [Fact]
        public async Task GetsAreRetriedOnTransportErrorsAnd5xx()
        {
            var clock = new VirtualClock();
            int gets = 0;
            var transport = new FakeArmTransport(clock, r => ++gets switch
            {
                1 => Reply.Throw(new HttpRequestException("reset", new IOException("Connection reset by peer"))),
                2 => Reply.Of(502),
                _ => Reply.Of(200, ServiceJson(sku: "Premium", state: "Updating", target: "Succeeded")),
            });
            using ArmClient client = Client(clock, transport);

            ServiceInfo info = await clock.RunAsync(client.GetServiceAsync(Service(), default), () => 1);

            Assert.Equal(3, transport.Requests.Count);
            Assert.Equal("Premium", info.SkuName);
            Assert.False(info.IsIdle);
        }

        [Fact]
        public async Task GetServiceReadsWhatTheCmdletsNeed()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson(sku: "StandardV2")));
            using ArmClient client = Client(clock, transport);

            ServiceInfo info = await Run(clock, client.GetServiceAsync(Service(), default));

            Assert.Equal(ServicePath(), info.ResourceId);
            Assert.Equal("contoso-apim", info.Name);
            Assert.Equal("West Europe", info.Location);
            Assert.Equal("StandardV2", info.SkuName);
            Assert.Equal(1, info.SkuCapacity);
            Assert.Equal("SystemAssigned", info.IdentityType);
            Assert.True(info.IsIdle);
            Assert.False(info.SupportsBackup);
            Assert.Equal($"{ArmUrl}{ServicePath()}?api-version=2024-05-01", transport.Requests.Single().Url);
        }

        [Fact]
        public async Task AMissingServiceIsServiceNotFound()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.ArmError(404, "ResourceNotFound", "The Resource 'Microsoft.ApiManagement/service/contoso-apim' was not found."));
            using ArmClient client = Client(clock, transport);

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.GetServiceAsync(Service(), default)));

            Assert.Equal(ErrorIds.ServiceNotFound, error.ErrorId);
            Assert.Equal(ApimErrorCategory.ObjectNotFound, error.Category);
            Assert.Equal(ServicePath(), error.Target);
            Assert.Equal("ResourceNotFound", error.ArmCode);
        }

        [Fact]
        public async Task EveryRequestHasItsOwnClientRequestIdAndTheOperationOneCorrelationId()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" || ++polls < 3 ? Accepted(Location()) : Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            var requests = transport.Requests;
            Assert.Equal(4, requests.Count);
            Assert.All(requests, r => Assert.True(Guid.TryParse(r.Header("x-ms-client-request-id"), out _)));
            Assert.Equal(requests.Count, requests.Select(r => r.Header("x-ms-client-request-id")).Distinct().Count());
            Assert.All(requests, r => Assert.Equal(op.CorrelationId, r.Header("x-ms-correlation-request-id")));
            Assert.True(Guid.TryParse(op.CorrelationId, out _));
        }

        [Fact]
        public async Task InvalidRequestsFailBeforeAnyRequest()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport);
            BackupRestoreRequest request = KeyRequest();
            request.BackupName = "folder/";   // account and container cannot be wrong here: the request's location checked them

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), request, default)));

            Assert.Equal(ErrorIds.InvalidBackupName, error.ErrorId);
            Assert.Empty(transport.Requests);
        }

        [Fact]
        public void PipelinesAreSharedPerCloudAndCredentialButNotForStaticTokens()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson()));
            var provider = new Func<string[], System.Threading.CancellationToken, Task<Credentials.ExternalToken>>((s, c) => Task.FromResult(new Credentials.ExternalToken(Secure("t"), DateTimeOffset.MaxValue)));
            ArmClientOptions Options(Credentials.CredentialSource source) => new() { Credentials = source, Time = clock, Transport = transport };

            var shared = new Credentials.CredentialSource { TokenProvider = provider, IdentityKey = "alice|tenant|AzureCloud" };
            Assert.Same(ArmPipelineFactory.Get(Options(shared)), ArmPipelineFactory.Get(Options(new Credentials.CredentialSource { TokenProvider = (s, c) => provider(s, c), IdentityKey = "alice|tenant|AzureCloud" })));
            Assert.NotSame(ArmPipelineFactory.Get(Options(shared)), ArmPipelineFactory.Get(Options(new Credentials.CredentialSource { TokenProvider = provider, IdentityKey = "bob|tenant|AzureCloud" })));
            // A provider nobody keyed is never cached: a per-call delegate would pin its caller and grow the cache.
            var unkeyed = new Credentials.CredentialSource { TokenProvider = provider };
            int before = ArmPipelineFactory.CachedCount;
            Assert.NotSame(ArmPipelineFactory.Get(Options(unkeyed)), ArmPipelineFactory.Get(Options(unkeyed)));
            Assert.Equal(before, ArmPipelineFactory.CachedCount);
            var staticToken = new Credentials.CredentialSource { AccessToken = Secure("x") };
            Assert.NotSame(ArmPipelineFactory.Get(Options(staticToken)), ArmPipelineFactory.Get(Options(staticToken)));
            var china = Options(shared);
            china.Cloud = Clouds.CloudEnvironment.AzureChinaCloud;
            Assert.NotSame(ArmPipelineFactory.Get(Options(shared)), ArmPipelineFactory.Get(china));
        }
    }
}
