using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Configuration
{
    /// <summary>The configuration reader against a fake APIM: paging, the in-flight bound, Retry-After, normalisation, secrets.</summary>
    public class ConfigurationReaderTests
    {
        private const string SecretValue = "Sup3r-S3cret-Named-Value-0042";

        internal static FakeApim Sample(string name = "contoso-apim")
        {
            FakeApim apim = FakeApim.Small(name);
            string sid = ServicePath(name);
            for (int i = 1; i <= 5; i++)
            {
                apim.Add("apis", $"api{i}", new JsonObject { ["displayName"] = $"API {i}", ["path"] = $"api{i}", ["serviceUrl"] = $"https://backend{i}.example", ["protocols"] = new JsonArray("https", "http"), ["isCurrent"] = true });
                apim.Collections[$"apis/api{i}/operations"] = new();
                for (int o = 1; o <= 3; o++)
                {
                    apim.Add($"apis/api{i}/operations", $"op{o}", new JsonObject { ["displayName"] = $"Op {o}", ["method"] = "GET", ["urlTemplate"] = $"/items/{o}" });
                }
                apim.Policies[$"apis/api{i}/policies/policy"] = $"<policies>\r\n  <inbound>\r\n    <base />\r\n    <set-header name=\"x-api\" exists-action=\"override\"><value>{i}</value></set-header>\r\n  </inbound>\r\n</policies>";
            }
            apim.Policies["apis/api1/operations/op1/policies/policy"] = "<policies><inbound><base /></inbound></policies>";
            apim.Policies["policies/policy"] = "<policies>\n\t<inbound>\n\t\t<cors />\n\t</inbound>\n</policies>";
            apim.Add("products", "starter", new JsonObject { ["displayName"] = "Starter", ["state"] = "published", ["subscriptionRequired"] = true });
            apim.Add("products/starter/apis", "api1", new JsonObject { ["path"] = "api1" });
            apim.Add("products/starter/groups", "developers", new JsonObject { ["displayName"] = "Developers", ["builtIn"] = true });
            apim.Policies["products/starter/policies/policy"] = "<policies><inbound><rate-limit calls=\"5\" renewal-period=\"60\" /></inbound></policies>";
            apim.Add("namedValues", "environment", new JsonObject { ["displayName"] = "environment", ["value"] = "production", ["secret"] = false });
            apim.Add("namedValues", "backend-key", new JsonObject { ["displayName"] = "backend-key", ["secret"] = true });
            apim.Add("namedValues", "kv-secret", new JsonObject
            {
                ["displayName"] = "kv-secret", ["secret"] = true,
                ["keyVault"] = new JsonObject { ["secretIdentifier"] = "https://contoso.vault.azure.net/secrets/aadSecret", ["lastStatus"] = new JsonObject { ["code"] = "Success", ["timeStampUtc"] = "2020-09-11T00:54:31.8024882Z" } },
            });
            apim.Secrets["backend-key"] = SecretValue;
            apim.Add("subscriptions", "sub1", new JsonObject { ["ownerId"] = sid + "/users/1", ["scope"] = sid + "/products/starter", ["state"] = "active", ["createdDate"] = "2015-09-22T01:57:40.3Z" });
            apim.Add("backends", "orders", new JsonObject { ["url"] = "https://orders.example", ["protocol"] = "http", ["credentials"] = new JsonObject { ["header"] = new JsonObject { ["x-key"] = new JsonArray("backend-header-secret") } } });
            return apim;
        }

        internal static async Task<ApimConfiguration> Read(VirtualClock clock, FakeArmTransport transport, string? salt = null, Action<ArmClientOptions>? configure = null, string name = "contoso-apim")
        {
            using ArmClient client = Client(clock, transport, configure);
            return await clock.RunAsync(new ConfigurationReader(client).ReadAsync(Service(name), salt, default), () => 1);
        }

        [Fact]
        public async Task ReadsEveryKindFollowingNextLinkUntilItIsEmpty()
        {
            var clock = new VirtualClock();
            FakeApim apim = Sample();
            var transport = new FakeArmTransport(clock, apim.Handle);

            ApimConfiguration snapshot = await Read(clock, transport);

            Assert.Equal(5, snapshot.Of("apis").Count);
            Assert.Equal(15, snapshot.Of("apiOperations").Count);
            Assert.Contains(snapshot.Of("apiOperations"), e => e.Name == "api3/op2" && e.Properties["urlTemplate"] == "/items/2");
            Assert.Equal(5, snapshot.Of("apiPolicies").Count);
            Assert.Equal(new[] { "api1/op1" }, snapshot.Of("operationPolicies").Select(e => e.Name));
            Assert.Equal(new[] { "starter/api1" }, snapshot.Of("productApis").Select(e => e.Name));
            Assert.Equal(new[] { "starter/developers" }, snapshot.Of("productGroups").Select(e => e.Name));
            Assert.Single(snapshot.Of("productPolicies"));
            Assert.Single(snapshot.Of("policy"));
            Assert.Equal(3, snapshot.Of("namedValues").Count);
            // 5 apis in pages of 2: three GETs of the list, the 2nd and 3rd by nextLink.
            Assert.Equal(3, transport.Requests.Count(r => new Uri(r.Url).AbsolutePath == apim.ServicePath + "/apis"));
            Assert.Contains(transport.Requests, r => r.Url.Contains("$skip=4"));
            Assert.All(transport.Requests, r => Assert.Contains("api-version=2024-05-01", r.Url));
            Assert.All(transport.Requests.Where(r => r.Url.Contains("/policies/policy")), r => Assert.Contains("format=rawxml", r.Url));
            Assert.Single(transport.Requests.Select(r => r.Header("x-ms-correlation-request-id")).Distinct());
            Assert.Equal(Service().ResourceId, snapshot.ServiceId);
            Assert.Equal(VirtualClock.Epoch.UtcDateTime, snapshot.TakenAt);
            Assert.Equal(DateTimeKind.Utc, snapshot.TakenAt.Kind);
        }

        [Fact]
        public async Task NormalisesIdsTimestampsSetsPoliciesAndTheServiceItsOwnId()
        {
            var clock = new VirtualClock();
            ApimConfiguration snapshot = await Read(clock, new FakeArmTransport(clock, Sample().Handle));

            ApimConfigurationEntity api = snapshot.Of("apis").First(e => e.Name == "api1");
            Assert.Equal(new[] { "displayName", "isCurrent", "path", "protocols[0]", "protocols[1]", "serviceUrl" }, api.Properties.Keys);
            Assert.Equal("http", api.Properties["protocols[0]"]);
            Assert.Equal("<policies><inbound><base /><set-header name=\"x-api\" exists-action=\"override\"><value>1</value></set-header></inbound></policies>",
                snapshot.Of("apiPolicies").First(e => e.Name == "api1").Properties["value"]);
            Assert.Equal("<policies><inbound><cors /></inbound></policies>", snapshot.Of("policy")[0].Properties["value"]);
            ApimConfigurationEntity sub = snapshot.Of("subscriptions")[0];
            Assert.Equal("~/users/1", sub.Properties["ownerId"]);
            Assert.Equal("~/products/starter", sub.Properties["scope"]);
            Assert.False(sub.Properties.ContainsKey("createdDate"));
            Assert.Equal("https://contoso.vault.azure.net/secrets/aadSecret", snapshot.Of("namedValues").First(e => e.Name == "kv-secret").Properties["keyVault.secretIdentifier"]);
            Assert.DoesNotContain(snapshot.Of("namedValues").SelectMany(e => e.Properties.Keys), k => k.Contains("lastStatus"));
            Assert.Equal("Premium", snapshot.NotRestored["sku.name"]);
            Assert.Equal("KeyVault", snapshot.NotRestored["hostnameConfigurations[api.contoso.example].certificateSource"]);
            Assert.Equal("False", snapshot.NotRestored["customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"]);
            Assert.Equal("SystemAssigned", snapshot.NotRestored["identity.type"]);
            Assert.Equal("https://contoso-apim.azure-api.net", snapshot.NotRestored["gatewayUrl"]);
        }

        [Fact]
        public async Task SecretsAreOnlyHmacsAndAppearInNoSnapshotNorLog()
        {
            var clock = new VirtualClock();
            var log = new ConcurrentQueue<string>();
            var transport = new FakeArmTransport(clock, Sample().Handle);
            ApimConfiguration snapshot = await Read(clock, transport, configure: o => o.Log = (_, line) => log.Enqueue(line));

            string json = ConfigurationJson.Serialize(snapshot);
            Assert.DoesNotContain(SecretValue, json);
            Assert.DoesNotContain("backend-header-secret", json);
            Assert.DoesNotContain(log, line => line.Contains(SecretValue) || line.Contains("backend-header-secret"));
            Assert.Contains(log, line => line.Contains("/listValue"));
            Assert.StartsWith(ApimConfiguration.SecretPrefix, snapshot.Of("namedValues").First(e => e.Name == "backend-key").Properties["value"]);
            Assert.StartsWith(ApimConfiguration.SecretPrefix, snapshot.Of("backends")[0].Properties["credentials.header.x-key[0]"]);
            // listValue only for the secret that is not in Key Vault; subscription keys never asked for.
            Assert.Equal(new[] { "backend-key" }, transport.Requests.Where(r => r.Url.Contains("/listValue")).Select(r => new Uri(r.Url).AbsolutePath.Split('/')[^2]));
            Assert.All(transport.Requests.Where(r => r.Method == "POST"), r => Assert.Contains("/listValue", r.Url));
            Assert.DoesNotContain(transport.Requests, r => r.Url.Contains("listSecrets", StringComparison.OrdinalIgnoreCase));
        }

        [Fact]
        public async Task NeverMoreThanEightRequestsInFlight()
        {
            var clock = new VirtualClock();
            FakeApim apim = Sample();
            apim.Latency = TimeSpan.FromMilliseconds(15);
            var transport = new FakeArmTransport(clock, apim.Handle);

            await Read(clock, transport);

            Assert.Equal(ConfigurationReader.MaxInFlight, transport.MaxInFlight);
        }

        [Fact]
        public async Task A429IsRetriedAfterItsRetryAfter()
        {
            var clock = new VirtualClock();
            FakeApim apim = Sample();
            int apiLists = 0;
            var transport = new FakeArmTransport(clock, r => new Uri(r.Url).AbsolutePath == apim.ServicePath + "/apis" && ++apiLists == 1
                ? Reply.ArmError(429, "SubscriptionRequestsThrottled", "Number of 'read' requests exceeded").With("Retry-After", "17")
                : apim.Handle(r));

            ApimConfiguration snapshot = await Read(clock, transport);

            Assert.Equal(5, snapshot.Of("apis").Count);
            var lists = transport.Requests.Where(r => new Uri(r.Url).AbsolutePath == apim.ServicePath + "/apis").ToList();
            Assert.Equal(TimeSpan.FromSeconds(17), lists[1].At - lists[0].At);
        }

        [Fact]
        public async Task ANextLinkOffTheArmHostIsRefusedAndNotFollowed()
        {
            var clock = new VirtualClock();
            FakeApim apim = Sample();
            var transport = new FakeArmTransport(clock, r => new Uri(r.Url).AbsolutePath.EndsWith("/groups")
                ? Reply.Of(200, "{\"value\":[],\"nextLink\":\"https://evil.example" + apim.ServicePath + "/groups?api-version=2024-05-01&$skip=2\"}")
                : apim.Handle(r));

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Read(clock, transport));

            Assert.Equal(ErrorIds.UntrustedNextLink, error.ErrorId);
            Assert.DoesNotContain(transport.Requests, r => r.Url.Contains("evil.example"));
        }

        [Fact]
        public async Task AMissingServiceIsServiceNotFound()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, _ => Reply.ArmError(404, "ResourceNotFound", "The Resource 'Microsoft.ApiManagement/service/x' was not found."));

            var error = await Assert.ThrowsAsync<ApimDrException>(() => Read(clock, transport));

            Assert.Equal(ErrorIds.ServiceNotFound, error.ErrorId);
            Assert.Single(transport.Requests);
        }
    }
}
