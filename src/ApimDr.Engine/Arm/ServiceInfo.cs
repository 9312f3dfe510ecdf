using System;
using System.Linq;
using System.Text.Json;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Arm
{
    /// <summary>What ApimDr needs to know about a service, read from a GET of its ARM resource.</summary>
    public sealed class ServiceInfo
    {
        private static readonly string[] BackupTiers = { "Developer", "Basic", "Standard", "Premium", "Isolated" };

        public string ResourceId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Location { get; set; } = string.Empty;
        public string SkuName { get; set; } = string.Empty;
        public int SkuCapacity { get; set; }
        public string ProvisioningState { get; set; } = string.Empty;
        public string TargetProvisioningState { get; set; } = string.Empty;
        /// <summary>The service's managed identity kinds (identity.type: None, SystemAssigned, UserAssigned, "SystemAssigned, UserAssigned"); null when the GET has none.</summary>
        public string? IdentityType { get; set; }

        /// <summary>The client ids of the user-assigned identities on the service (identity.userAssignedIdentities[*].clientId).</summary>
        public string[] UserAssignedClientIds { get; set; } = Array.Empty<string>();

        /// <summary>identity.type names SystemAssigned: the service can reach storage as itself.</summary>
        public bool HasSystemAssignedIdentity => IdentityType != null && IdentityType.IndexOf("SystemAssigned", StringComparison.OrdinalIgnoreCase) >= 0;

        /// <summary>A user-assigned identity with this client id is attached to the service.</summary>
        public bool HasUserAssignedIdentity(string? clientId)
            => !string.IsNullOrWhiteSpace(clientId) && UserAssignedClientIds.Any(id => string.Equals(id, clientId!.Trim(), StringComparison.OrdinalIgnoreCase));

        /// <summary>The compute platform (stv2, mtv1…), recorded in a backup's manifest.</summary>
        public string? PlatformVersion { get; set; }

        /// <summary>No management operation running: ARM says Succeeded with an empty target state.</summary>
        public bool IsIdle => string.Equals(ProvisioningState, "Succeeded", StringComparison.OrdinalIgnoreCase) && string.IsNullOrEmpty(TargetProvisioningState);

        /// <summary>The classic tiers have backup/restore; Consumption and the v2 tiers do not.</summary>
        public bool SupportsBackup => BackupTiers.Contains(SkuName, StringComparer.OrdinalIgnoreCase);

        internal static ServiceInfo Parse(string body)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(body);
                JsonElement root = document.RootElement;
                var info = new ServiceInfo
                {
                    ResourceId = JsonRead.GetString(root, "id") ?? string.Empty,
                    Name = JsonRead.GetString(root, "name") ?? string.Empty,
                    Location = JsonRead.GetString(root, "location") ?? string.Empty,
                };
                if (JsonRead.TryGetProperty(root, "sku", out JsonElement sku) && sku.ValueKind == JsonValueKind.Object)
                {
                    info.SkuName = JsonRead.GetString(sku, "name") ?? string.Empty;
                    if (JsonRead.TryGetProperty(sku, "capacity", out JsonElement capacity) && capacity.ValueKind == JsonValueKind.Number) info.SkuCapacity = capacity.GetInt32();
                }
                if (JsonRead.TryGetProperty(root, "identity", out JsonElement identity) && identity.ValueKind == JsonValueKind.Object)
                {
                    info.IdentityType = JsonRead.GetString(identity, "type");
                    // 2024-05-01 (ApiManagementServiceGetService.json): {"<identity resource id>": {"principalId", "clientId"}}.
                    if (JsonRead.TryGetProperty(identity, "userAssignedIdentities", out JsonElement assigned) && assigned.ValueKind == JsonValueKind.Object)
                    {
                        info.UserAssignedClientIds = assigned.EnumerateObject()
                            .Where(p => p.Value.ValueKind == JsonValueKind.Object)
                            .Select(p => JsonRead.GetString(p.Value, "clientId"))
                            .Where(id => !string.IsNullOrEmpty(id))
                            .Select(id => id!)
                            .ToArray();
                    }
                }
                if (JsonRead.TryGetProperty(root, "properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Object)
                {
                    info.ProvisioningState = JsonRead.GetString(properties, "provisioningState") ?? string.Empty;
                    info.TargetProvisioningState = JsonRead.GetString(properties, "targetProvisioningState") ?? string.Empty;
                    info.PlatformVersion = JsonRead.GetString(properties, "platformVersion");
                }
                return info;
            }
            catch (Exception ex) when (ex is JsonException || ex is InvalidOperationException || ex is FormatException)
            {
                throw new ApimDrException(ErrorIds.ArmProtocolError, ApimErrorCategory.ProtocolError,
                    "Resource Manager returned a service resource that is not valid JSON.", null, ex);
            }
        }
    }
}
