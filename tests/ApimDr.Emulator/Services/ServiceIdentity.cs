using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Services;

public sealed record UserAssignedIdentity(string ResourceId, string PrincipalId, string ClientId);

/// <summary>An APIM service's managed identity block (2024-05-01 shape).</summary>
public sealed class ServiceIdentity
{
    public string Type { get; init; } = "None";
    public string? PrincipalId { get; init; }
    public List<UserAssignedIdentity> UserAssigned { get; init; } = new();

    public bool HasSystemAssigned => Type.Contains("SystemAssigned", StringComparison.OrdinalIgnoreCase);

    public static ServiceIdentity? FromJson(JsonNode? node, Func<string> newGuid)
    {
        if (node is not JsonObject o) return null;
        var type = o["type"]?.GetValue<string>() ?? "None";
        var identity = new ServiceIdentity
        {
            Type = type,
            PrincipalId = type.Contains("SystemAssigned", StringComparison.OrdinalIgnoreCase) ? (o["principalId"]?.GetValue<string>() ?? newGuid()) : null,
        };
        if (o["userAssignedIdentities"] is JsonObject ua)
        {
            foreach (var (id, value) in ua)
            {
                identity.UserAssigned.Add(new UserAssignedIdentity(id,
                    value?["principalId"]?.GetValue<string>() ?? newGuid(), value?["clientId"]?.GetValue<string>() ?? newGuid()));
            }
        }
        return identity.Type.Equals("None", StringComparison.OrdinalIgnoreCase) ? null : identity;
    }

    public JsonObject ToJson(string tenantId)
    {
        var o = new JsonObject { ["type"] = Type };
        if (HasSystemAssigned)
        {
            o["principalId"] = PrincipalId;
            o["tenantId"] = tenantId;
        }
        if (UserAssigned.Count > 0)
        {
            var ua = new JsonObject();
            foreach (var u in UserAssigned) ua[u.ResourceId] = new JsonObject { ["principalId"] = u.PrincipalId, ["clientId"] = u.ClientId };
            o["userAssignedIdentities"] = ua;
        }
        return o;
    }
}
