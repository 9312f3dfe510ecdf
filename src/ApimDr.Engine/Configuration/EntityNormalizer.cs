using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Configuration
{
    /// <summary>
    /// Turns ARM JSON into a snapshot's flattened, comparable properties (docs/design.md, "Configuration
    /// snapshots"): drops what differs between two equal services (ids, etags, systemData, read-only
    /// timestamps and states), replaces the service's own resource id by <c>~</c>, keeps secret-looking
    /// values only as an HMAC, and never keeps a subscription key.
    /// </summary>
    internal sealed class EntityNormalizer
    {
        // Read-only: set by the service, not by whoever configured it.
        private static readonly HashSet<string> Dropped = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "id", "etag", "systemData", "provisioningState", "createdDate", "registrationDate", "startDate", "notificationDate", "lastStatus",
            // Subscription keys are never read (GET does not return them); if one ever came back it is dropped, not even hashed.
            "primaryKey", "secondaryKey",
        };

        // Values under these names may be credentials: kept as an HMAC only.
        private static readonly HashSet<string> Secret = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "credentials", "password", "clientSecret", "connectionString", "instrumentationKey", "accessKey", "sasToken",
        };

        private static readonly Regex BetweenTags = new Regex(@">\s+<", RegexOptions.Compiled);
        private static readonly Regex Whitespace = new Regex(@"\s+", RegexOptions.Compiled);

        private readonly string _serviceId;
        private readonly byte[] _key;

        public EntityNormalizer(string serviceId, byte[] key)
        {
            _serviceId = serviceId;
            _key = key;
        }

        /// <summary>An entity from a list item: its <c>name</c> and flattened <c>properties</c>.</summary>
        public ApimConfigurationEntity Entity(string kind, string name, JsonElement item)
        {
            var entity = new ApimConfigurationEntity { Kind = kind, Name = name };
            if (JsonRead.TryGetProperty(item, "properties", out JsonElement properties)) Flatten(properties, string.Empty, false, entity.Properties);
            return entity;
        }

        /// <summary>A policy (or fragment) document: its XML text with whitespace normalised, under <c>value</c>.</summary>
        public ApimConfigurationEntity Policy(string kind, string name, string xml)
        {
            var entity = new ApimConfigurationEntity { Kind = kind, Name = name };
            entity.Properties["value"] = NormalizeXml(xml);
            return entity;
        }

        /// <summary>The settings a restore does not carry, from the service GET.</summary>
        public SortedDictionary<string, string> NotRestored(JsonElement service)
        {
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (JsonRead.TryGetProperty(service, "sku", out JsonElement sku)) Flatten(sku, "sku", false, result);
            // Always on the carry-over list: a service without an identity says None (ARM omits it or sends null).
            result["identity.type"] = "None";
            if (JsonRead.TryGetProperty(service, "identity", out JsonElement identity) && identity.ValueKind == JsonValueKind.Object)
            {
                if (JsonRead.GetString(identity, "type") is string type) result["identity.type"] = type;
                if (JsonRead.TryGetProperty(identity, "userAssignedIdentities", out JsonElement assigned) && assigned.ValueKind == JsonValueKind.Object)
                {
                    string ids = string.Join(", ", assigned.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.OrdinalIgnoreCase));
                    if (ids.Length > 0) result["identity.userAssignedIdentities"] = ids;
                }
            }
            if (JsonRead.TryGetProperty(service, "properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (string name in new[] { "gatewayUrl", "virtualNetworkType", "virtualNetworkConfiguration", "hostnameConfigurations", "customProperties" })
                {
                    if (JsonRead.TryGetProperty(properties, name, out JsonElement value)) Flatten(value, name, false, result);
                }
            }
            return result;
        }

        /// <summary>A secret value as its HMAC under the snapshot's salt; never the value.</summary>
        public string Hash(string value)
        {
            using var hmac = new HMACSHA256(_key);
            return ApimConfiguration.SecretPrefix + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(value)));
        }

        public static string NormalizeXml(string xml) => Whitespace.Replace(BetweenTags.Replace(xml.Trim(), "><"), " ");

        private void Flatten(JsonElement element, string path, bool secret, IDictionary<string, string> into)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (JsonProperty property in element.EnumerateObject())
                    {
                        if (Dropped.Contains(property.Name)) continue;
                        Flatten(property.Value, Join(path, property.Name), secret || Secret.Contains(property.Name), into);
                    }
                    break;
                case JsonValueKind.Array:
                    JsonElement[] items = element.EnumerateArray().ToArray();
                    if (items.All(IsScalar))
                    {
                        // A list of values (protocols, tags) is a set: order is not configuration.
                        string[] texts = items.Select(Text).Where(t => t != null).Select(t => t!).OrderBy(t => t, StringComparer.Ordinal).ToArray();
                        for (int i = 0; i < texts.Length; i++) Put(into, $"{path}[{i}]", texts[i], secret);
                        break;
                    }
                    for (int i = 0; i < items.Length; i++) Flatten(items[i], $"{path}[{KeyOf(items[i]) ?? i.ToString(CultureInfo.InvariantCulture)}]", secret, into);
                    break;
                default:
                    if (Text(element) is string text) Put(into, path, text, secret);
                    break;
            }
        }

        private void Put(IDictionary<string, string> into, string path, string text, bool secret)
        {
            if (secret) into[path] = Hash(text);
            else into[path] = text.StartsWith(_serviceId, StringComparison.OrdinalIgnoreCase) ? "~" + text.Substring(_serviceId.Length) : text;
        }

        /// <summary>Array items that name themselves (hostName, name) are keyed by it, so order does not matter.</summary>
        private static string? KeyOf(JsonElement item) => item.ValueKind != JsonValueKind.Object ? null : JsonRead.GetString(item, "hostName") ?? JsonRead.GetString(item, "name");

        private static bool IsScalar(JsonElement e) => e.ValueKind != JsonValueKind.Object && e.ValueKind != JsonValueKind.Array;

        private static string? Text(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };

        private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;
    }
}
