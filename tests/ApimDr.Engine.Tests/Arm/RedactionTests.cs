using System;
using System.Collections.Concurrent;
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
    /// <summary>-Verbose and -Debug show the conversation, never a secret.</summary>
    public class RedactionTests
    {
        private const string SasSignature = "sv2025SASsignatureSECRETvalue%3D";

        [Fact]
        public async Task FullDebugLoggingNeverShowsTheKeyOrAnyToken()
        {
            var clock = new VirtualClock();
            var tokens = new ConcurrentBag<string>();
            int issued = 0;
            var source = new CredentialSource
            {
                TokenProvider = (scopes, ct) =>
                {
                    string token = "eyJ0eXAiOiJKV1Qi.provider-token-" + Interlocked.Increment(ref issued) + ".signature";
                    tokens.Add(token);
                    return Task.FromResult(new ExternalToken(Secure(token), DateTimeOffset.UtcNow.AddHours(1)));
                },
            };
            string location = Location() + "&sig=" + SasSignature;
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(location).With("Set-Cookie", "session=" + StorageKey)
                : ++polls switch
                {
                    1 => Reply.ArmError(429, "SubscriptionRequestsThrottled", "slow down").With("Retry-After", "5"),
                    2 => Accepted(location).With("x-ms-request-id", "rid-poll-2"),
                    _ => Reply.ArmError(400, "RestoreFailed", "Cannot restore: backup expired").With("x-ms-request-id", "rid-final"),
                });
            var log = new ConcurrentQueue<(ArmLogLevel Level, string Text)>();
            using ArmClient client = Client(clock, transport, o =>
            {
                o.Credentials = source;
                o.Log = (level, text) => log.Enqueue((level, text));
            });

            ApimOperation op = await Run(clock, client.StartRestoreAsync(Service(), KeyRequest(), default));
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            string all = string.Join("\n", log.Select(l => l.Text));
            // The secrets were really on the wire...
            Assert.Contains(transport.Requests, r => r.Body.Contains(StorageKey));
            Assert.All(transport.Requests, r => Assert.StartsWith("Bearer eyJ", r.Header("Authorization")));
            Assert.NotEmpty(tokens);
            // ...and nowhere in the log.
            Assert.DoesNotContain(StorageKey, all);
            Assert.DoesNotContain(SasSignature, all);
            foreach (string token in tokens) Assert.DoesNotContain(token, all);
            Assert.DoesNotContain("provider-token", all);
            Assert.DoesNotContain("Bearer", all);
            // The log still says what happened.
            Assert.Contains(log, l => l.Level == ArmLogLevel.Verbose && l.Text.StartsWith($"POST {ArmUrl}{ServicePath()}/restore?api-version=2024-05-01 -> 202"));
            Assert.Contains(log, l => l.Level == ArmLogLevel.Verbose && l.Text.Contains("-> 429") && l.Text.Contains("sig=REDACTED"));
            Assert.Contains(log, l => l.Level == ArmLogLevel.Verbose && l.Text.Contains("x-ms-request-id: ") && l.Text.Contains("rid-poll-2"));
            Assert.Contains(log, l => l.Level == ArmLogLevel.Debug && l.Text.Contains("accessKey=REDACTED") && l.Text.Contains("storageAccount=backupstore"));
            Assert.Contains(log, l => l.Level == ArmLogLevel.Debug && l.Text.Contains("Authorization: REDACTED"));
            Assert.Contains(log, l => l.Level == ArmLogLevel.Debug && l.Text.Contains("Set-Cookie: REDACTED"));
            Assert.Contains(log, l => l.Level == ArmLogLevel.Debug && l.Text.Contains("RestoreFailed: Cannot restore: backup expired"));
            Assert.Equal(4, log.Count(l => l.Level == ArmLogLevel.Verbose)); // one line per request: POST, 429, its retry, the failure
            Assert.DoesNotContain(StorageKey, ToJson(op));
        }

        [Fact]
        public async Task WithoutDebugNoDebugLineIsBuiltAndVerboseStillSaysEveryRequest()
        {
            var clock = new VirtualClock();
            int polls = 0;
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(Location())
                : ++polls == 1 ? Accepted(Location()) : Reply.ArmError(400, "BackupFailed", "the container is gone"));
            var log = new ConcurrentQueue<(ArmLogLevel Level, string Text)>();
            using ArmClient client = Client(clock, transport, o =>
            {
                o.Log = (level, text) => log.Enqueue((level, text));
                o.LogDebug = false;   // -Verbose without -Debug
            });

            ApimOperation op = await Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default));
            await WaitAsync(clock, client, new[] { op }, new Recorder());

            Assert.Equal(3, transport.Requests.Count);
            Assert.Equal(3, log.Count(l => l.Level == ArmLogLevel.Verbose));   // the POST and both polls, each once
            Assert.DoesNotContain(log, l => l.Level == ArmLogLevel.Debug);
        }

        [Fact]
        public async Task ErrorsNeverCarryTheKeyOrToken()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.ArmError(400, "InvalidParameters", "Requested value 'GET,HEAD' was not found. Parameter name: backupStorageAccount"));
            using ArmClient client = Client(clock, transport);

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, client.StartBackupAsync(Service(), KeyRequest(), default)));

            Assert.DoesNotContain(StorageKey, error.ToString());
            Assert.DoesNotContain(StaticToken, error.ToString());
        }

        [Theory]
        [InlineData("https://a.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef&se=2026", "https://a.blob.core.windows.net/c/b?sv=REDACTED&sig=REDACTED&se=REDACTED")]
        [InlineData("https://management.azure.com/x/operationresults/abc==?api-version=2024-05-01", "https://management.azure.com/x/operationresults/abc==?api-version=2024-05-01")]
        [InlineData("https://management.azure.com/x?api-version=2024-05-01&code=secret&flag", "https://management.azure.com/x?api-version=2024-05-01&code=REDACTED&flag")]
        [InlineData("https://management.azure.com/x", "https://management.azure.com/x")]
        public void UrlsKeepOnlyAllowListedQueryValues(string url, string expected) => Assert.Equal(expected, ArmLogPolicy.SanitizeUrl(url));
    }
}
