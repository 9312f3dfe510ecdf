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
    /// <summary>The trust boundary: a poll URL is followed only on the chosen ARM host and only if it is an operation of that very service.</summary>
    public class PollUrlRulesTests
    {
        private static readonly Uri Arm = new Uri("https://management.azure.com/");

        [Theory]
        [InlineData("/operationresults/abc=?api-version=2024-05-01")]
        [InlineData("//operationresults/abc==?api-version=2024-05-01")]       // the recorded double slash
        [InlineData("/OperationResults/abc?foo=1&API-VERSION=2024-05-01")]
        public void AnOperationOfTheServiceIsAccepted(string tail)
            => Assert.Null(PollUrlRules.Check(new Uri(ArmUrl + ServicePath() + tail), ServicePath(), Arm, "x"));

        [Fact]
        public void TheProviderLevelStatusOfTheSameSubscriptionIsAccepted()
        {
            var url = new Uri($"{ArmUrl}/subscriptions/{SubscriptionId}/providers/Microsoft.ApiManagement/locations/westeurope/operationsStatus/op1?api-version=2024-05-01");
            Assert.Null(PollUrlRules.Check(url, ServicePath(), Arm, "x"));
        }

        [Theory]
        [InlineData("{arm}{svc}?api-version=2024-05-01")]                                       // the service's own GET (defect 2)
        [InlineData("{arm}{other}/operationresults/abc")]                                       // another service's operation (defect 2)
        [InlineData("{arm}{svc}/operationresults/abc/extra")]
        [InlineData("{arm}{svc}/backup")]
        [InlineData("{arm}/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.ApiManagement/locations/w/operationsStatus/op")]
        public void AnythingElseOnTheArmHostIsInvalidPollUrl(string template)
        {
            var url = new Uri(template.Replace("{arm}", ArmUrl).Replace("{svc}", ServicePath()).Replace("{other}", ServicePath("other-apim")));
            Assert.Equal(ErrorIds.InvalidPollUrl, PollUrlRules.Check(url, ServicePath(), Arm, "x")!.ErrorId);
        }

        [Theory]
        [InlineData("https://attacker.example")]
        [InlineData("http://management.azure.com")]
        [InlineData("https://management.azure.com:8443")]
        [InlineData("https://user:pass@management.azure.com")]
        public void AnotherHostSchemeOrPortIsUntrusted(string authority)
        {
            ApimDrException error = PollUrlRules.Check(new Uri(authority + ServicePath() + "/operationresults/abc"), ServicePath(), Arm, "x")!;
            Assert.Equal(ErrorIds.UntrustedPollHost, error.ErrorId);
            Assert.DoesNotContain("pass", error.Message.Replace("passing", ""));
        }

        /// <summary>Before: sent, and ARM's 400 MissingApiVersionParameter became the operation's verdict (Failed).</summary>
        [Theory]
        [InlineData("/operationresults/abc")]
        [InlineData("/operationresults/abc?")]
        [InlineData("/operationresults/abc?api-version=")]
        [InlineData("/operationresults/abc?apiversion=2024-05-01")]
        [InlineData("/operationresults/abc?x=api-version%3D2024-05-01")]
        public void APollUrlWithoutApiVersionIsInvalidPollUrl(string tail)
        {
            ApimDrException error = PollUrlRules.Check(new Uri(ArmUrl + ServicePath() + tail), ServicePath(), Arm, "x")!;
            Assert.Equal(ErrorIds.InvalidPollUrl, error.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, error.Category);
            Assert.Contains("api-version", error.Message);
        }

        [Fact]
        public void ResumingAnOperationWithoutApiVersionIsRefusedUnlessItIsFinal()
        {
            var running = new ApimOperation { ResourceId = ServicePath(), Kind = "Backup", PollUrl = new Uri(ArmUrl + ServicePath() + "/operationresults/abc"), Status = ApimOperation.InProgress };
            Assert.Equal(ErrorIds.InvalidPollUrl, Assert.Throws<ApimDrException>(() => Operations.ValidateForResume(running)).ErrorId);
            var done = new ApimOperation { ResourceId = ServicePath(), Kind = "Backup", PollUrl = new Uri(ArmUrl + ServicePath() + "/operationresults/abc"), Status = ApimOperation.Succeeded };
            Operations.ValidateForResume(done);   // nothing is polled for a final one
        }

        [Fact]
        public async Task A202LocationWithoutApiVersionIsNeverPolled()
        {
            var clock = new VirtualClock();
            string bare = Location().Split('?')[0];
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(Location(), 10) : Accepted(bare, 10));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);
            Assert.Equal(ErrorIds.InvalidPollUrl, recorder.Abandoned[op].ErrorId);
            Assert.DoesNotContain(transport.Requests, r => r.Url == bare);
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public void ARelativePollUrlIsInvalid()
            => Assert.Equal(ErrorIds.InvalidPollUrl, PollUrlRules.Check(new Uri("/x", UriKind.Relative), ServicePath(), Arm, "x")!.ErrorId);

        [Fact]
        public async Task TheWaitSendsNothingForAForeignPollUrl()
        {
            // Defect 1: a saved operation edited to name another host got the bearer token.
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport);
            var op = new ApimOperation
            {
                ResourceId = ServicePath(), Name = "contoso-apim", PollUrl = new Uri("https://attacker.example" + ServicePath() + "/operationresults/abc"),
                ResourceManagerUrl = new Uri("https://attacker.example/"), CorrelationId = "c",
            };
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);
            Assert.Empty(transport.Requests);
            Assert.Equal(ErrorIds.UntrustedPollHost, recorder.Abandoned[op].ErrorId);
        }
    }
}
