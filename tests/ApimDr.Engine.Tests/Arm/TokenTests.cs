using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>Waits outlive tokens: refreshing credentials are asked again, static ones end the wait clearly.</summary>
    public class TokenTests
    {
        /// <summary>
        /// Real time, because BearerTokenAuthenticationPolicy judges expiry on the real clock: tokens
        /// living 500 ms across an operation of ~1.6 s polled every 100 ms.
        /// </summary>
        [Fact]
        public async Task ShortLivedTokensAreRefreshedAcrossALongerOperation()
        {
            var lifetime = TimeSpan.FromMilliseconds(500);
            var issued = new ConcurrentDictionary<string, DateTimeOffset>();
            var scopes = new ConcurrentBag<string>();
            int counter = 0;
            var source = new CredentialSource
            {
                TokenProvider = async (requested, cancellationToken) =>
                {
                    await Task.Yield();
                    foreach (string scope in requested) scopes.Add(scope);
                    string token = "refreshing-token-" + Interlocked.Increment(ref counter);
                    DateTimeOffset expires = DateTimeOffset.UtcNow + lifetime;
                    issued[token] = expires;
                    return new ExternalToken(Secure(token), expires);
                },
            };
            int polls = 0;
            var unexpired = new ConcurrentBag<bool>();
            var transport = new FakeArmTransport(TimeProvider.System, r =>
            {
                unexpired.Add(r.BearerToken is string token && issued.TryGetValue(token, out DateTimeOffset expires) && r.RealAt < expires);
                return r.Method == "POST" || ++polls < 16 ? Accepted(Location(), retryAfter: 0) : Reply.Of(200, ServiceJson());
            });
            using ArmClient client = Client(TimeProvider.System, transport, o =>
            {
                o.Credentials = source;
                o.MinimumPollInterval = TimeSpan.FromMilliseconds(100);
            });

            var watch = Stopwatch.StartNew();
            ApimOperation op = await client.StartBackupAsync(Service(), KeyRequest(), default);
            await new OperationPoller(client).WaitAllAsync(new[] { op }, new PollCallbacks(), TimeSpan.FromSeconds(20), default);

            Assert.Equal(ApimOperation.Succeeded, op.Status);
            Assert.True(watch.Elapsed > 3 * lifetime, $"the operation ({watch.Elapsed}) must outlive several tokens");
            Assert.Equal(17, unexpired.Count);
            Assert.All(unexpired, Assert.True);
            Assert.True(transport.Requests.Select(r => r.BearerToken).Distinct().Count() >= 3, "tokens must have been refreshed");
            Assert.All(scopes, s => Assert.Equal("https://management.azure.com/.default", s));
        }

        [Fact]
        public async Task AStaticJwtThatExpiresMidWaitEndsTheWaitWithAuthenticationExpired()
        {
            var clock = new VirtualClock();
            DateTimeOffset expires = VirtualClock.Epoch + TimeSpan.FromHours(1);
            string token = Jwt(expires, salt: "static");
            var transport = new FakeArmTransport(clock, r => r.At < VirtualClock.Epoch + TimeSpan.FromHours(3) ? Accepted(Location()) : Reply.Of(200, ServiceJson()));
            using ArmClient client = Client(clock, transport, o => o.Credentials = new CredentialSource { AccessToken = Secure(token) });

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            ApimDrException error = Assert.Single(recorder.Abandoned).Value;
            Assert.Equal(ErrorIds.AuthenticationExpired, error.ErrorId);
            Assert.Equal(ApimErrorCategory.AuthenticationError, error.Category);
            Assert.Contains("still running", error.Message);
            Assert.Contains("Wait-ApimOperation", error.Message);
            Assert.Equal(op.CorrelationId, error.CorrelationId);
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Empty(recorder.Completed);
            Assert.All(transport.Requests, r => Assert.True(r.At < expires, "a dead token was sent"));
            Assert.Equal(60, transport.Requests.Count); // the POST and 59 polls, one a minute, until it died
        }

        [Fact]
        public async Task A401ExpiredAuthenticationTokenEndsTheWaitWithAuthenticationExpired()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" || ++polls < 3 ? Accepted(Location())
                : Reply.ArmError(401, "ExpiredAuthenticationToken", "The access token expiry UTC time '1/1/2026 1:00:00 AM' is earlier than current UTC time '1/1/2026 1:02:00 AM'."));
            using ArmClient client = Client(clock, transport);

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            var recorder = new Recorder();
            await WaitAsync(clock, client, new[] { op }, recorder);

            ApimDrException error = Assert.Single(recorder.Abandoned).Value;
            Assert.Equal(ErrorIds.AuthenticationExpired, error.ErrorId);
            Assert.Equal(401, error.HttpStatus);
            Assert.Contains("still running", error.Message);
            Assert.Contains("Wait-ApimOperation", error.Message);
            Assert.Equal(3, transport.Requests.Count(r => r.Method == "GET"));
            Assert.Equal(ApimOperation.InProgress, op.Status);
        }

        [Fact]
        public async Task AStaticTokenAlreadyExpiredIsNeverSent()
        {
            var clock = new VirtualClock();
            clock.Advance(TimeSpan.FromHours(2));
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport, o => o.Credentials = new CredentialSource { AccessToken = Secure(Jwt(VirtualClock.Epoch + TimeSpan.FromHours(1))) });

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));

            Assert.Equal(ErrorIds.AuthenticationExpired, error.ErrorId);
            Assert.Empty(transport.Requests);
        }

        [Fact]
        public void TheExpiryOfAStaticJwtIsRead()
        {
            DateTimeOffset expires = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
            Assert.Equal(expires, new CredentialSource { AccessToken = Secure(Jwt(expires)) }.GetAccessTokenExpiry());
            Assert.Null(new CredentialSource { AccessToken = Secure("not-a-jwt") }.GetAccessTokenExpiry());
            Assert.Null(new CredentialSource { AccessToken = Secure("a.b!!.c") }.GetAccessTokenExpiry());
            Assert.Null(new CredentialSource().GetAccessTokenExpiry());
        }

        [Fact]
        public void DefaultAzureCredentialIsCreatedWithoutTouchingTheNetwork()
        {
            // Only constructed: tests never let DefaultAzureCredential probe IMDS or login hosts.
            var credential = CredentialFactory.Create(new CredentialSource { ManagedIdentityClientId = Guid.NewGuid().ToString() }, Clouds.CloudEnvironment.AzureChinaCloud, TimeProvider.System);
            Assert.IsType<Azure.Identity.DefaultAzureCredential>(credential);
            Assert.Equal(new Uri("https://login.chinacloudapi.cn/"), Clouds.CloudEnvironment.AzureChinaCloud.AuthorityHost);
            Assert.Equal(new Uri("https://login.microsoftonline.us/"), Clouds.CloudEnvironment.AzureUSGovernment.AuthorityHost);
        }
    }
}
