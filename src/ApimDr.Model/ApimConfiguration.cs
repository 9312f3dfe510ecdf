using System;
using System.Collections.Generic;
using System.Linq;

namespace ApimDr
{
    /// <summary>
    /// A snapshot of an API Management service's configuration, read through ARM (Get-ApimConfiguration).
    /// Plain data: every entity is a kind, a name and its properties flattened to
    /// <c>path → canonical text</c> (ids, etags, systemData and read-only timestamps dropped; policies
    /// as whitespace-normalised XML; the service's own resource id replaced by <c>~</c>), so two services
    /// compare property by property and the snapshot round-trips through JSON and CliXml.
    /// It never holds a secret: a secret value is kept only as <c>hmac-sha256:</c> + an HMAC under
    /// <see cref="Salt"/> (docs/design.md, "Configuration snapshots").
    /// </summary>
    public sealed class ApimConfiguration
    {
        public const string CurrentFormat = "apimdr-configuration/1";

        /// <summary>The prefix of a secret's HMAC in a property value.</summary>
        public const string SecretPrefix = "hmac-sha256:";

        public string Format { get; set; } = CurrentFormat;

        /// <summary>The service's ARM resource id.</summary>
        public string ServiceId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;

        /// <summary>When the read started (UTC).</summary>
        public DateTime TakenAt { get; set; }

        /// <summary>The api-version the entities were read with.</summary>
        public string ApiVersion { get; set; } = string.Empty;

        /// <summary>Base64 key of the secrets' HMACs: random per snapshot, or the reference's when read to be compared with it.</summary>
        public string Salt { get; set; } = string.Empty;

        /// <summary>Entity kind (apis, apiOperations, namedValues, …) → its entities, sorted by name.</summary>
        public SortedDictionary<string, List<ApimConfigurationEntity>> Entities { get; set; } = new SortedDictionary<string, List<ApimConfigurationEntity>>(StringComparer.Ordinal);

        /// <summary>
        /// What a restore does not carry (Microsoft's DR article), flattened like an entity's properties:
        /// sku.*, gatewayUrl, identity.type, identity.userAssignedIdentities[…], virtualNetworkType,
        /// virtualNetworkConfiguration.subnetResourceId, hostnameConfigurations[…].*, customProperties.*.
        /// </summary>
        public SortedDictionary<string, string> NotRestored { get; set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        public int EntityCount => Entities.Values.Sum(list => list.Count);

        /// <summary>The entities of one kind (empty when none).</summary>
        public IReadOnlyList<ApimConfigurationEntity> Of(string kind)
            => Entities.TryGetValue(kind, out List<ApimConfigurationEntity>? list) ? list : (IReadOnlyList<ApimConfigurationEntity>)Array.Empty<ApimConfigurationEntity>();

        public override string ToString() => $"{Name} {TakenAt:u} ({EntityCount} entities)";
    }

    /// <summary>One entity of a snapshot: an api, an operation (<c>api/operation</c>), a policy, a product's link to an api (<c>product/api</c>), …</summary>
    public sealed class ApimConfigurationEntity
    {
        public string Kind { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;

        /// <summary>Flattened property path (<c>serviceUrl</c>, <c>protocols[0]</c>, <c>keyVault.secretIdentifier</c>) → canonical text.</summary>
        public SortedDictionary<string, string> Properties { get; set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        public override string ToString() => $"{Kind}/{Name}";
    }
}
