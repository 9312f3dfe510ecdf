using System.Text.RegularExpressions;

namespace ApimDr.Emulator.Arm;

/// <summary>The ARM paths the emulator knows, parsed once per request.</summary>
public sealed partial record ArmRoute(string Kind, string Subscription, string? ResourceGroup, string? Service, string? OperationId, string? Location, string? Child = null)
{
    // Kinds: service (GET/PUT one), services (list), backup, restore, operationresults, operationstatus,
    // child (a configuration entity or collection below the service: apis, apis/{id}/operations, namedValues/{id}/listValue, …).
    // "…/service/{name}//operationresults/…" (double slash) is accepted: the real service once handed it out as a Location.
    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\.ApiManagement/service(/(?<name>[^/]+)(/(?<action>backup|restore)|//?operationresults/(?<op>[^/]+)|/(?<child>(apis|products|namedValues|policies|policyFragments|backends|groups|users|subscriptions|certificates|apiVersionSets|loggers|tags)(/[^/]+)*))?)?/?$", RegexOptions.IgnoreCase)]
    private static partial Regex ServicePath();

    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/]+)/providers/Microsoft\.ApiManagement/locations/(?<loc>[^/]+)/operationsStatus/(?<op>[^/]+)/?$", RegexOptions.IgnoreCase)]
    private static partial Regex StatusPath();

    // Soft-deleted services (apimdeletedservices.json): the subscription's list, one by location and name, and the
    // purge's Location (…/resourceGroups/{rg}/providers/…/locations/{loc}/deletedservices/{name}/operationresults/{id},
    // resource group included, as ApiManagementDeletedServicesPurge.json hands it out).
    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/]+)(/resourceGroups/(?<rg>[^/]+))?/providers/Microsoft\.ApiManagement/(locations/(?<loc>[^/]+)/)?deletedservices(/(?<name>[^/]+)(/operationresults/(?<op>[^/]+))?)?/?$", RegexOptions.IgnoreCase)]
    private static partial Regex DeletedPath();

    public static ArmRoute? Match(string path)
    {
        var m = ServicePath().Match(path);
        if (m.Success)
        {
            string? G(string n) => m.Groups[n].Success ? Uri.UnescapeDataString(m.Groups[n].Value) : null;
            var kind = G("op") is not null ? "operationresults" : G("child") is not null ? "child" : G("action")?.ToLowerInvariant() ?? (G("name") is null ? "services" : "service");
            return new ArmRoute(kind, G("sub")!, G("rg"), G("name"), m.Groups["op"].Success ? m.Groups["op"].Value : null, null, G("child"));
        }
        m = StatusPath().Match(path);
        if (m.Success) return new ArmRoute("operationstatus", m.Groups["sub"].Value, null, null, m.Groups["op"].Value, Uri.UnescapeDataString(m.Groups["loc"].Value));
        m = DeletedPath().Match(path);
        if (m.Success)
        {
            string? G(string n) => m.Groups[n].Success ? Uri.UnescapeDataString(m.Groups[n].Value) : null;
            // deletedservices: the subscription's list; deletedservice: GET (by name) / DELETE (purge); purgeresults: the purge's Location.
            var kind = G("op") is not null ? "purgeresults" : G("name") is not null ? "deletedservice" : "deletedservices";
            if (kind != "deletedservices" && G("loc") is null) return null;
            if (kind == "deletedservices" && (G("loc") is not null || G("rg") is not null)) return null;
            return new ArmRoute(kind, G("sub")!, G("rg"), G("name"), m.Groups["op"].Success ? m.Groups["op"].Value : null, G("loc"));
        }
        return null;
    }

    /// <summary>
    /// The RBAC action ARM checks for this request, as its AuthorizationFailed message names it: the
    /// resource types of the path plus read/write/delete/action by verb
    /// (e.g. Microsoft.ApiManagement/service/operationresults/read, …/service/backup/action).
    /// </summary>
    public string RbacAction(string method)
    {
        var types = Kind switch
        {
            "services" or "service" => "service",
            "operationresults" => "service/operationresults",
            "operationstatus" => "locations/operationsStatus",
            "deletedservices" or "deletedservice" => "deletedservices",
            "purgeresults" => "locations/deletedservices/operationresults",
            // service/apis/operations/read, service/namedValues/listValue/action, …: the path's resource types.
            "child" => "service/" + string.Join("/", Child!.Split('/').Where((_, i) => i % 2 == 0)),
            _ => "service/" + Kind,
        };
        var verb = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? "read"
            : HttpMethods.IsPost(method) ? "action" : HttpMethods.IsDelete(method) ? "delete" : "write";
        return $"Microsoft.ApiManagement/{types}/{verb}";
    }

    /// <summary>
    /// The scope ARM names with it: the resource the request is about (an action's scope is its service,
    /// an operation result's is the result itself); location-level status URLs are checked on the subscription.
    /// </summary>
    public string RbacScope => Kind switch
    {
        "operationstatus" or "deletedservices" => $"/subscriptions/{Subscription}",
        "deletedservice" or "purgeresults" => $"/subscriptions/{Subscription}/providers/Microsoft.ApiManagement/locations/{Location}/deletedservices/{Service}",
        "services" => $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}",
        "operationresults" => $"{ServiceId}/operationresults/{OperationId}",
        _ => ServiceId,
    };

    private string ServiceId => $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.ApiManagement/service/{Service}";

    /// <summary>Writes count against the write quota; everything else against reads.</summary>
    public static bool IsWrite(string method) => !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method);
}
