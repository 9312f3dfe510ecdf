using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ApimDr.Emulator.Arm;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;

namespace ApimDr.Emulator.Operations;

/// <summary>The body of POST …/backup and …/restore, validated the way the service does synchronously.</summary>
public sealed partial class BackupRequest
{
    public required string StorageAccount { get; init; }
    public required string ContainerName { get; init; }
    public required string BackupName { get; init; }
    public required string AccessType { get; init; }
    public string? ClientId { get; init; }
    /// <summary>The principal that will touch storage when a managed identity is used.</summary>
    public string? IdentityPrincipalId { get; init; }

    private static readonly string[] AccessTypes = { "AccessKey", "SystemAssignedManagedIdentity", "UserAssignedManagedIdentity" };

    // 3-63 chars, lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerNamePattern();

    /// <summary>Returns the request, or the synchronous 400 the service would answer.</summary>
    public static (BackupRequest? Request, ArmResponse? Error) Parse(string body, ApimService service, StorageAccounts accounts, string apiVersion)
    {
        JsonObject? o;
        try { o = string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body) as JsonObject; }
        catch (JsonException) { o = null; }
        if (o is null) return (null, ArmErrors.InvalidParameters("The request body is missing or is not a JSON object. Parameter name: parameters"));

        string? Str(string name)
        {
            var node = o.FirstOrDefault(kv => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
            return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        }

        var account = Str("storageAccount");
        var container = Str("containerName");
        var blob = Str("backupName");
        if (string.IsNullOrEmpty(account)) return (null, ArmErrors.InvalidParameters("Value cannot be null or empty. Parameter name: backupStorageAccount"));
        if (string.IsNullOrEmpty(container)) return (null, ArmErrors.InvalidParameters("Value cannot be null or empty. Parameter name: backupContainerName"));
        if (string.IsNullOrEmpty(blob)) return (null, ArmErrors.InvalidParameters("Value cannot be null or empty. Parameter name: backupName"));
        if (!ContainerNamePattern().IsMatch(container))
        {
            return (null, ArmErrors.InvalidParameters($"The specified container name '{container}' contains invalid characters. Parameter name: backupContainerName"));
        }
        if (blob.Length > 1024) return (null, ArmErrors.InvalidParameters("The specified blob name is too long. Parameter name: backupName"));

        var accessType = Str("accessType") ?? "AccessKey";
        var canonical = AccessTypes.FirstOrDefault(t => t.Equals(accessType, StringComparison.OrdinalIgnoreCase));
        if (canonical is null) return (null, ArmErrors.InvalidParameters($"Requested value '{accessType}' was not found. Parameter name: accessType"));
        if (canonical != "AccessKey" && !ApiVersions.SupportsManagedIdentityBackup(apiVersion))
        {
            return (null, ArmErrors.InvalidParameters($"Access type '{canonical}' requires api-version 2021-08-01 or later. Parameter name: accessType"));
        }
        if (!accounts.Exists(account))
        {
            return (null, ArmErrors.InvalidParameters($"The storage account '{account}' could not be found. Parameter name: backupStorageAccount"));
        }

        string? principal = null;
        string? clientId = Str("clientId");
        switch (canonical)
        {
            case "AccessKey":
                var key = Str("accessKey");
                if (string.IsNullOrEmpty(key)) return (null, ArmErrors.InvalidParameters("Value cannot be null or empty. Parameter name: accessKey"));
                if (!accounts.KeyMatches(account, key))
                {
                    return (null, ArmErrors.InvalidParameters(
                        $"Server failed to authenticate the request to storage account '{account}' with the provided access key. Parameter name: accessKey"));
                }
                break;
            case "SystemAssignedManagedIdentity":
                if (service.Identity is not { HasSystemAssigned: true })
                {
                    return (null, ArmErrors.InvalidParameters($"System assigned managed identity is not enabled on service '{service.Name}'. Parameter name: accessType"));
                }
                principal = service.Identity.PrincipalId;
                break;
            case "UserAssignedManagedIdentity":
                if (string.IsNullOrEmpty(clientId)) return (null, ArmErrors.InvalidParameters("Value cannot be null or empty. Parameter name: clientId"));
                var ua = service.Identity?.UserAssigned.FirstOrDefault(u => u.ClientId.Equals(clientId, StringComparison.OrdinalIgnoreCase));
                if (ua is null)
                {
                    return (null, ArmErrors.InvalidParameters($"User assigned identity with client id '{clientId}' is not assigned to service '{service.Name}'. Parameter name: clientId"));
                }
                principal = ua.PrincipalId;
                break;
        }

        return (new BackupRequest
        {
            StorageAccount = account, ContainerName = container, BackupName = blob, AccessType = canonical,
            ClientId = clientId, IdentityPrincipalId = principal,
        }, null);
    }
}
