using System.Text.RegularExpressions;

namespace ApimDr.Emulator.Arm;

/// <summary>The ARM paths the emulator knows, parsed once per request.</summary>
public sealed partial record ArmRoute(string Kind, string Subscription, string? ResourceGroup, string? Service, string? OperationId, string? Location)
{
    // Kinds: service (GET/PUT one), services (list), backup, restore, operationresults, operationstatus.
    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\.ApiManagement/service(/(?<name>[^/]+)(/(?<action>backup|restore)|/operationresults/(?<op>[^/]+))?)?/?$", RegexOptions.IgnoreCase)]
    private static partial Regex ServicePath();

    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/]+)/providers/Microsoft\.ApiManagement/locations/(?<loc>[^/]+)/operationsStatus/(?<op>[^/]+)/?$", RegexOptions.IgnoreCase)]
    private static partial Regex StatusPath();

    public static ArmRoute? Match(string path)
    {
        var m = ServicePath().Match(path);
        if (m.Success)
        {
            string? G(string n) => m.Groups[n].Success ? Uri.UnescapeDataString(m.Groups[n].Value) : null;
            var kind = G("op") is not null ? "operationresults" : G("action")?.ToLowerInvariant() ?? (G("name") is null ? "services" : "service");
            return new ArmRoute(kind, G("sub")!, G("rg"), G("name"), m.Groups["op"].Success ? m.Groups["op"].Value : null, null);
        }
        m = StatusPath().Match(path);
        if (m.Success) return new ArmRoute("operationstatus", m.Groups["sub"].Value, null, null, m.Groups["op"].Value, Uri.UnescapeDataString(m.Groups["loc"].Value));
        return null;
    }

    /// <summary>Writes count against the write quota; everything else against reads.</summary>
    public static bool IsWrite(string method) => !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method);
}
