using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Services;

/// <summary>The seed file: subscription, resource groups, the host's managed identity, storage accounts, services.</summary>
public sealed class Seed
{
    public required string SubscriptionId { get; init; }
    public required List<string> ResourceGroups { get; init; }
    public required HostIdentity Host { get; init; }
    public required List<StorageAccountSeed> StorageAccounts { get; init; }
    public required JsonArray Services { get; init; }

    public sealed record HostIdentity(string PrincipalId, string ClientId, List<UserAssignedIdentity> UserAssigned);
    public sealed record RoleAssignment(string PrincipalId, string Role);
    /// <summary>A storage account; Location is its region (default "West Europe"), whose outage makes it unreachable.</summary>
    public sealed record StorageAccountSeed(string Name, string Key, List<RoleAssignment> RoleAssignments, string Location = "West Europe");

    public static Seed Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var host = root["hostIdentity"]!.AsObject();
        return new Seed
        {
            SubscriptionId = root["subscriptionId"]!.GetValue<string>(),
            ResourceGroups = root["resourceGroups"]!.AsArray().Select(n => n!.GetValue<string>()).ToList(),
            Host = new HostIdentity(host["principalId"]!.GetValue<string>(), host["clientId"]!.GetValue<string>(),
                (host["userAssigned"]?.AsArray() ?? new JsonArray()).Select(u => new UserAssignedIdentity(
                    u!["resourceId"]!.GetValue<string>(), u["principalId"]!.GetValue<string>(), u["clientId"]!.GetValue<string>())).ToList()),
            StorageAccounts = root["storageAccounts"]!.AsArray().Select(a => new StorageAccountSeed(
                a!["name"]!.GetValue<string>(), a["key"]!.GetValue<string>(),
                (a["roleAssignments"]?.AsArray() ?? new JsonArray()).Select(r => new RoleAssignment(
                    r!["principalId"]!.GetValue<string>(), r["role"]!.GetValue<string>())).ToList(),
                a["location"]?.GetValue<string>() ?? "West Europe")).ToList(),
            Services = root["services"]!.AsArray(),
        };
    }
}
