using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Json;
using Azure.Core;

namespace ApimDr.Engine.Configuration
{
    /// <summary>
    /// Reads an API Management service's configuration through ARM into an <see cref="ApimConfiguration"/>
    /// (docs/arm-protocol.md §9): every list followed through <c>nextLink</c>, at most
    /// <see cref="MaxInFlight"/> requests in flight, each through the client's pipeline (retry with
    /// Retry-After, token, redacting log). Secret named values are read with <c>listValue</c> and kept
    /// only as an HMAC; subscription keys are never asked for.
    /// </summary>
    public sealed class ConfigurationReader
    {
        /// <summary>At most this many requests per service at a time.</summary>
        public const int MaxInFlight = 8;

        /// <summary>Lists read as they are (no children): the kind is the ARM collection's name.</summary>
        private static readonly string[] FlatKinds =
        {
            "policyFragments", "backends", "groups", "users", "subscriptions", "certificates", "apiVersionSets", "loggers", "tags",
        };

        private readonly ArmClient _client;

        public ConfigurationReader(ArmClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

        /// <summary>
        /// Takes a snapshot of <paramref name="service"/>. <paramref name="salt"/>: null for a fresh random
        /// one; the reference snapshot's <see cref="ApimConfiguration.Salt"/> when this snapshot will be
        /// compared with it (secrets compare only under the same salt). Empty is the same as null.
        /// </summary>
        public async Task<ApimConfiguration> ReadAsync(ServiceId service, string? salt, CancellationToken cancellationToken)
        {
            if (service == null) throw new ArgumentNullException(nameof(service));
            // Empty counts as none: PowerShell passes $null to a string parameter as "".
            byte[] key = string.IsNullOrEmpty(salt) ? NewSalt() : SaltBytes(salt!);
            var run = new Run(_client, service, key, cancellationToken);
            DateTime takenAt = _client.Options.Time.GetUtcNow().UtcDateTime;
            using JsonDocument serviceJson = await run.GetJsonAsync(_client.ServiceUrl(service, null), notFoundIsNull: false).ConfigureAwait(false) ?? throw new InvalidOperationException();
            var tasks = new List<Task> { run.ApisAsync(), run.ProductsAsync(), run.NamedValuesAsync(), run.PolicyAsync("policy", "policy", "policies/policy") };
            tasks.AddRange(FlatKinds.Select(kind => run.FlatAsync(kind)));
            await Task.WhenAll(tasks).ConfigureAwait(false);

            var snapshot = new ApimConfiguration
            {
                ServiceId = service.ResourceId,
                Name = service.Name,
                TakenAt = takenAt,
                ApiVersion = ArmClient.ApiVersion,
                Salt = Convert.ToBase64String(key),
                NotRestored = run.Normalizer.NotRestored(serviceJson.RootElement),
            };
            foreach (IGrouping<string, ApimConfigurationEntity> kind in run.Entities.GroupBy(e => e.Kind))
            {
                snapshot.Entities[kind.Key] = kind.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            }
            return snapshot;
        }

        private static byte[] NewSalt()
        {
            var salt = new byte[32];
            using (var random = RandomNumberGenerator.Create()) random.GetBytes(salt);
            return salt;
        }

        private static byte[] SaltBytes(string salt)
        {
            try
            {
                byte[] bytes = Convert.FromBase64String(salt);
                if (bytes.Length >= 16) return bytes;
            }
            catch (FormatException)
            {
            }
            throw new ApimDrException(ErrorIds.InvalidConfigurationSnapshot, ApimErrorCategory.InvalidData, "The reference snapshot's salt is not base64 of at least 16 bytes.", null);
        }

        /// <summary>One snapshot in progress: the gate, the correlation id all its requests share, what was read.</summary>
        private sealed class Run
        {
            private readonly ArmClient _client;
            private readonly ServiceId _service;
            private readonly CancellationToken _cancellationToken;
            private readonly SemaphoreSlim _gate = new SemaphoreSlim(MaxInFlight, MaxInFlight);
            private readonly string _correlationId = Guid.NewGuid().ToString();
            private readonly List<ApimConfigurationEntity> _entities = new List<ApimConfigurationEntity>();

            public Run(ArmClient client, ServiceId service, byte[] key, CancellationToken cancellationToken)
            {
                _client = client;
                _service = service;
                _cancellationToken = cancellationToken;
                Normalizer = new EntityNormalizer(service.ResourceId, key);
            }

            public EntityNormalizer Normalizer { get; }

            public IReadOnlyList<ApimConfigurationEntity> Entities
            {
                get { lock (_entities) return _entities.ToList(); }
            }

            public async Task ApisAsync()
            {
                IReadOnlyList<(string Name, JsonElement Item)> apis = await ListAsync("apis", "apis").ConfigureAwait(false);
                await Task.WhenAll(apis.Select(async api =>
                {
                    string path = "apis/" + Escape(api.Name);
                    Task policy = PolicyAsync("apiPolicies", api.Name, path + "/policies/policy");
                    IReadOnlyList<(string Name, JsonElement Item)> operations = await ListAsync("apiOperations", path + "/operations", api.Name + "/").ConfigureAwait(false);
                    await Task.WhenAll(operations.Select(o => PolicyAsync("operationPolicies", o.Name, path + "/operations/" + Escape(o.Name.Substring(api.Name.Length + 1)) + "/policies/policy"))
                        .Concat(new[] { policy })).ConfigureAwait(false);
                })).ConfigureAwait(false);
            }

            public async Task ProductsAsync()
            {
                IReadOnlyList<(string Name, JsonElement Item)> products = await ListAsync("products", "products").ConfigureAwait(false);
                await Task.WhenAll(products.Select(p =>
                {
                    string path = "products/" + Escape(p.Name);
                    // Links: which apis and groups a product holds (their own properties live in apis and groups).
                    return Task.WhenAll(LinksAsync("productApis", path + "/apis", p.Name + "/"), LinksAsync("productGroups", path + "/groups", p.Name + "/"),
                        PolicyAsync("productPolicies", p.Name, path + "/policies/policy"));
                })).ConfigureAwait(false);
            }

            /// <summary>Named values; a secret one's value comes from listValue and is kept as an HMAC. Key Vault ones are compared by their secret identifier.</summary>
            public async Task NamedValuesAsync()
            {
                IReadOnlyList<(string Name, JsonElement Item)> values = await ListAsync(null, "namedValues").ConfigureAwait(false);
                await Task.WhenAll(values.Select(async v =>
                {
                    ApimConfigurationEntity entity = Normalizer.Entity("namedValues", v.Name, v.Item);
                    if (IsSecretWithoutKeyVault(v.Item))
                    {
                        using JsonDocument? secret = await GetJsonAsync(_client.ServiceUrl(_service, "namedValues/" + Escape(v.Name) + "/listValue"), notFoundIsNull: false, RequestMethod.Post).ConfigureAwait(false);
                        if (secret != null && JsonRead.GetString(secret.RootElement, "value") is string value) entity.Properties["value"] = Normalizer.Hash(value);
                    }
                    Add(entity);
                })).ConfigureAwait(false);
            }

            public Task FlatAsync(string kind) => ListAsync(kind, kind);

            /// <summary>A policy as raw XML (<c>?format=rawxml</c>); none (404) is no entity.</summary>
            public async Task PolicyAsync(string kind, string name, string path)
            {
                using JsonDocument? policy = await GetJsonAsync(_client.ServiceUrl(_service, path, "format=rawxml"), notFoundIsNull: true).ConfigureAwait(false);
                if (policy == null || !JsonRead.TryGetProperty(policy.RootElement, "properties", out JsonElement properties)) return;
                Add(Normalizer.Policy(kind, name, JsonRead.GetString(properties, "value") ?? string.Empty));
            }

            private async Task LinksAsync(string kind, string path, string prefix)
            {
                foreach ((string name, JsonElement _) in await ListAsync(null, path, prefix).ConfigureAwait(false))
                {
                    Add(new ApimConfigurationEntity { Kind = kind, Name = name });
                }
            }

            /// <summary>
            /// Every item of a collection, page after page until <c>nextLink</c> is absent (or empty, as the
            /// spec examples send it). Each becomes an entity of <paramref name="kind"/> named
            /// <paramref name="prefix"/> + its name, unless <paramref name="kind"/> is null.
            /// </summary>
            private async Task<IReadOnlyList<(string Name, JsonElement Item)>> ListAsync(string? kind, string path, string prefix = "")
            {
                var items = new List<(string, JsonElement)>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                Uri? url = _client.ServiceUrl(_service, path);
                while (url != null)
                {
                    using JsonDocument page = await GetJsonAsync(url, notFoundIsNull: false).ConfigureAwait(false) ?? throw new InvalidOperationException();
                    if (JsonRead.TryGetProperty(page.RootElement, "value", out JsonElement value) && value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (JsonElement item in value.EnumerateArray())
                        {
                            string name = prefix + (JsonRead.GetString(item, "name") ?? throw Protocol($"an item of '{path}' has no name"));
                            JsonElement copy = item.Clone();
                            items.Add((name, copy));
                            if (kind != null) Add(Normalizer.Entity(kind, name, copy));
                        }
                    }
                    string? next = JsonRead.GetString(page.RootElement, "nextLink");
                    url = string.IsNullOrEmpty(next) ? null : NextLink(next!, path);
                    if (url != null && !seen.Add(url.AbsoluteUri)) throw Protocol($"the pages of '{path}' loop (nextLink repeats)");
                }
                return items;
            }

            /// <summary>A nextLink gets our token: only https on our ARM host and port, below this service.</summary>
            private Uri NextLink(string next, string path)
            {
                Uri arm = _client.Options.Cloud.ResourceManagerUrl;
                if (!Uri.TryCreate(next, UriKind.Absolute, out Uri? url) || url.Scheme != Uri.UriSchemeHttps || !string.IsNullOrEmpty(url.UserInfo)
                    || !string.Equals(url.Host, arm.Host, StringComparison.OrdinalIgnoreCase) || url.Port != arm.Port
                    || !url.AbsolutePath.StartsWith(_service.ResourceId + "/", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ApimDrException(ErrorIds.UntrustedNextLink, ApimErrorCategory.SecurityError,
                        $"Reading the configuration of '{_service.Name}': the next page of '{path}' is not on {arm.GetLeftPart(UriPartial.Authority)} below the service; nothing was sent to it.", _service.ResourceId)
                    { CorrelationId = _correlationId };
                }
                return url;
            }

            public async Task<JsonDocument?> GetJsonAsync(Uri url, bool notFoundIsNull, RequestMethod? method = null)
            {
                string? body;
                await _gate.WaitAsync(_cancellationToken).ConfigureAwait(false);
                try
                {
                    body = await _client.ReadAsync(method ?? RequestMethod.Get, url, _service, _correlationId, notFoundIsNull, _cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }
                if (body == null) return null;
                try
                {
                    return JsonDocument.Parse(body);
                }
                catch (JsonException ex)
                {
                    throw Protocol("an answer is not valid JSON", ex);
                }
            }

            private static bool IsSecretWithoutKeyVault(JsonElement item)
                => JsonRead.TryGetProperty(item, "properties", out JsonElement p) && JsonRead.TryGetProperty(p, "secret", out JsonElement secret)
                   && secret.ValueKind == JsonValueKind.True && !(JsonRead.TryGetProperty(p, "keyVault", out JsonElement kv) && kv.ValueKind == JsonValueKind.Object);

            private void Add(ApimConfigurationEntity entity)
            {
                lock (_entities) _entities.Add(entity);
            }

            private ApimDrException Protocol(string what, Exception? inner = null)
                => new ApimDrException(ErrorIds.ArmProtocolError, ApimErrorCategory.ProtocolError, $"Reading the configuration of '{_service.Name}': {what}.", _service.ResourceId, inner)
                { CorrelationId = _correlationId };

            private static string Escape(string name) => Uri.EscapeDataString(name);
        }
    }
}
