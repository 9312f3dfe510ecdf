using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Services;

/// <summary>
/// One Microsoft.ApiManagement/service resource. Mutated only under <see cref="ServiceStore"/>'s lock.
/// <see cref="Configuration"/> stands for everything a backup carries (APIs, products, named values).
/// </summary>
public sealed class ApimService
{
    public required string SubscriptionId { get; init; }
    public required string ResourceGroup { get; init; }
    public required string Name { get; init; }
    public string Location { get; set; } = "West Europe";
    public string SkuName { get; set; } = "Developer";
    public int SkuCapacity { get; set; } = 1;
    public ServiceIdentity? Identity { get; set; }
    public string PublisherEmail { get; set; } = "admin@contoso.example";
    public string PublisherName { get; set; } = "Contoso";
    public JsonObject Tags { get; set; } = new();
    public DateTimeOffset CreatedAtUtc { get; init; } = DateTimeOffset.UtcNow;
    public JsonObject Configuration { get; set; } = new();

    // What a restore does NOT carry (Microsoft's DR article): custom hostnames, protocol/cipher settings, VNet.
    // Seeded per service ("carryOver" in seed.json) and left alone by restore, so prod and standby keep differing.
    public List<string> CustomHostnames { get; set; } = new();
    public JsonObject? CustomProperties { get; set; }
    public string VirtualNetworkType { get; set; } = "None";
    public string? SubnetResourceId { get; set; }
    public string ProvisioningState { get; set; } = "Succeeded";
    public string TargetProvisioningState { get; set; } = "";
    public string Etag { get; private set; } = NewEtag();
    /// <summary>The running operation's id, if any (backup, restore, PUT).</summary>
    public string? ActiveOperationId { get; set; }

    public string Id => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/Microsoft.ApiManagement/service/{Name}";

    public void Touch() => Etag = NewEtag();

    private static string NewEtag() => "\"" + Convert.ToBase64String(BitConverter.GetBytes(DateTime.UtcNow.Ticks)) + "\"";

    public static bool IsConsumption(string sku) => sku.Equals("Consumption", StringComparison.OrdinalIgnoreCase);
    public static bool IsV2(string sku) => sku.EndsWith("V2", StringComparison.OrdinalIgnoreCase);

    public static readonly string[] KnownSkus = { "Developer", "Basic", "Standard", "Premium", "Isolated", "Consumption", "BasicV2", "StandardV2", "PremiumV2" };

    /// <summary>The GET body, 2024-05-01 shape.</summary>
    public JsonObject ToJson(string tenantId)
    {
        var host = Name.ToLowerInvariant();
        var region = Location.Replace(" ", "").ToLowerInvariant();
        var props = new JsonObject
        {
            ["publisherEmail"] = PublisherEmail,
            ["publisherName"] = PublisherName,
            ["notificationSenderEmail"] = "apimgmt-noreply@mail.windowsazure.com",
            ["provisioningState"] = ProvisioningState,
            ["targetProvisioningState"] = TargetProvisioningState,
            ["createdAtUtc"] = CreatedAtUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"),
            ["gatewayUrl"] = $"https://{host}.azure-api.net",
            ["gatewayRegionalUrl"] = IsConsumption(SkuName) ? null : $"https://{host}-{region}-01.regional.azure-api.net",
            ["portalUrl"] = IsConsumption(SkuName) ? null : $"https://{host}.portal.azure-api.net",
            ["developerPortalUrl"] = IsConsumption(SkuName) ? null : $"https://{host}.developer.azure-api.net",
            ["managementApiUrl"] = $"https://{host}.management.azure-api.net",
            ["scmUrl"] = IsConsumption(SkuName) ? null : $"https://{host}.scm.azure-api.net",
            ["hostnameConfigurations"] = new JsonArray(new JsonNode[] { new JsonObject
            {
                ["type"] = "Proxy", ["hostName"] = $"{host}.azure-api.net", ["negotiateClientCertificate"] = false,
                ["defaultSslBinding"] = CustomHostnames.Count == 0, ["certificateSource"] = "BuiltIn",
            } }.Concat(CustomHostnames.Select(h => (JsonNode)new JsonObject
            {
                // ApiManagementCreateMultiRegionServiceWithCustomHostname.json
                ["type"] = "Proxy", ["hostName"] = h, ["keyVaultId"] = $"https://{host}-kv.vault.azure.net/secrets/{h.Replace('.', '-')}",
                ["negotiateClientCertificate"] = false, ["defaultSslBinding"] = true, ["certificateSource"] = "KeyVault",
            })).ToArray()),
            ["publicIPAddresses"] = IsConsumption(SkuName) ? null : new JsonArray("20.50.0.10"),
            ["privateIPAddresses"] = null,
            ["additionalLocations"] = null,
            ["virtualNetworkConfiguration"] = SubnetResourceId is null ? null : new JsonObject
            {
                ["subnetResourceId"] = SubnetResourceId, ["vnetid"] = "00000000-0000-0000-0000-000000000000", ["subnetname"] = SubnetResourceId.Split('/')[^1],
            },
            ["customProperties"] = CustomProperties?.DeepClone() ?? new JsonObject
            {
                ["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"] = "False",
                ["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11"] = "False",
            },
            ["virtualNetworkType"] = VirtualNetworkType,
            ["certificates"] = null,
            ["disableGateway"] = false,
            ["natGatewayState"] = "Disabled",
            ["outboundPublicIPAddresses"] = IsConsumption(SkuName) ? null : new JsonArray("20.50.0.10"),
            ["apiVersionConstraint"] = new JsonObject { ["minApiVersion"] = null },
            ["platformVersion"] = IsConsumption(SkuName) ? "mtv1" : "stv2",
            ["publicNetworkAccess"] = "Enabled",
            ["legacyPortalStatus"] = "Disabled",
            ["developerPortalStatus"] = "Enabled",
            ["releaseChannel"] = "Default",
        };
        return new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["type"] = "Microsoft.ApiManagement/service",
            ["tags"] = Tags.DeepClone(),
            ["location"] = Location,
            ["etag"] = Etag,
            ["properties"] = props,
            ["sku"] = new JsonObject { ["name"] = SkuName, ["capacity"] = SkuCapacity },
            ["identity"] = Identity?.ToJson(tenantId),
            ["systemData"] = new JsonObject
            {
                ["createdBy"] = "apimdr-emulator", ["createdByType"] = "Application",
                ["createdAt"] = CreatedAtUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"),
            },
            ["zones"] = null,
        };
    }
}
