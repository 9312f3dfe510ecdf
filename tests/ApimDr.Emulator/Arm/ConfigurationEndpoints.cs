using System.Text.Json.Nodes;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Services;

namespace ApimDr.Emulator.Arm;

/// <summary>
/// The configuration entities below a service, read-only, shaped like the 2024-05-01 spec examples
/// (docs/emulator.md lists which): lists paged with <c>nextLink</c> (<c>$skip</c>, page size from the
/// settings), one entity by id, policies (<c>?format=rawxml</c>), <c>namedValues/{id}/listValue</c>.
/// Served from the service's configuration document: <c>{apis:[{name, …properties, operations:[…], policy}],
/// products:[{name, …, apis:[names], groups:[names], policy}], namedValues:[{name, value, secret, keyVault}],
/// subscriptions:[{name, …, primaryKey, secondaryKey}], policy, policyFragments, backends, groups, users,
/// certificates, apiVersionSets, loggers, tags}</c>. A secret's value and subscription keys are never in a GET.
/// </summary>
public sealed class ConfigurationEndpoints
{
    // Keys of an item that are sub-resources, not ARM properties.
    private static readonly HashSet<string> NotProperties = new(StringComparer.OrdinalIgnoreCase) { "name", "operations", "policy", "apis", "groups", "primaryKey", "secondaryKey" };

    private readonly ServiceStore _store;
    private readonly SettingsHolder _settings;

    public ConfigurationEndpoints(ServiceStore store, SettingsHolder settings)
    {
        _store = store;
        _settings = settings;
    }

    public ArmResponse Handle(HttpRequest request, ApimService service, string child)
    {
        // Answered under the store's lock from the live document (answers are copies): cloning a large
        // configuration per request made the benchmark's 4,600 reads CPU-bound.
        lock (_store.Sync) return Answer(request, service.Configuration, service.Id, child);
    }

    private ArmResponse Answer(HttpRequest request, JsonObject config, string baseId, string child)
    {
        string[] s = child.Split('/').Select(Uri.UnescapeDataString).ToArray();
        bool get = HttpMethods.IsGet(request.Method);

        // POST namedValues/{id}/listValue: the value, secret or not (ApiManagementNamedValueListValue.json).
        if (s is ["namedValues", var nv, "listValue"])
        {
            if (!HttpMethods.IsPost(request.Method)) return MethodNotAllowed(request.Method);
            var item = Find(config, "namedValues", nv);
            return item is null ? NotFound() : ArmResponse.Json(200, new JsonObject { ["value"] = item["value"]?.DeepClone() }, fromRp: true);
        }
        if (!get) return MethodNotAllowed(request.Method);

        // Policies: policies/policy, apis/{a}/policies/policy, apis/{a}/operations/{o}/policies/policy, products/{p}/policies/policy.
        if (s.Length >= 2 && s[^2].Equals("policies", StringComparison.OrdinalIgnoreCase))
        {
            if (!s[^1].Equals("policy", StringComparison.OrdinalIgnoreCase)) return NotFound();
            JsonObject? owner = s.Length switch
            {
                2 => config,
                4 => Find(config, s[0], s[1]),
                6 when s[0].Equals("apis", StringComparison.OrdinalIgnoreCase) && s[2].Equals("operations", StringComparison.OrdinalIgnoreCase)
                    => Find(Find(config, "apis", s[1]), "operations", s[3]),
                _ => null,
            };
            if (owner?["policy"]?.GetValue<string>() is not { } xml) return PolicyNotFound();
            string format = request.Query["format"].FirstOrDefault() ?? "xml";
            return ArmResponse.Json(200, Resource($"{baseId}/{child}", Type(s), "policy", new JsonObject { ["value"] = xml, ["format"] = format }), fromRp: true);
        }

        switch (s)
        {
            case ["apis", var api, "operations"]:
                return Find(config, "apis", api) is { } a ? Page(request, baseId, $"{baseId}/apis/{api}/operations", "apis/operations", Items(a, "operations"), "apis") : NotFound();
            case ["apis", var api, "operations", var op]:
                return Find(Find(config, "apis", api), "operations", op) is { } o ? Single(baseId, $"{baseId}/apis/{api}/operations/{op}", "apis/operations", o, "apis") : NotFound();
            case ["products", var p, "apis" or "groups"]:
                // A product's apis and groups: the linked entities themselves (ApiManagementListProductApis.json, …ProductGroups.json).
                if (Find(config, "products", p) is not { } product) return NotFound();
                var linked = Items(product, s[2]).Select(n => Find(config, s[2], n.GetValue<string>())).OfType<JsonObject>().ToList();
                return Page(request, baseId, $"{baseId}/products/{p}/{s[2]}", "products/" + s[2], linked, s[2]);
            case [var kind]:
                return Page(request, baseId, $"{baseId}/{kind}", kind, Items(config, kind).OfType<JsonObject>().ToList(), kind);
            case [var kind, var id]:
                return Find(config, kind, id) is { } item ? Single(baseId, $"{baseId}/{kind}/{id}", kind, item, kind) : NotFound();
            default:
                return NotFound();
        }
    }

    private ArmResponse Page(HttpRequest request, string serviceId, string collectionId, string type, IReadOnlyList<JsonNode?> items, string kind)
    {
        int pageSize = _settings.Current.PageSize;
        int skip = int.TryParse(request.Query["$skip"], out int k) && k > 0 ? k : 0;
        var page = items.Skip(skip).Take(pageSize).OfType<JsonObject>().Select(i => (JsonNode)ToResource(serviceId, collectionId, type, i, kind)).ToArray();
        var body = new JsonObject { ["value"] = new JsonArray(page), ["count"] = items.Count };
        // Real APIM omits nextLink on the last page (the spec examples show "nextLink": "": clients must take both as the end).
        if (skip + pageSize < items.Count)
        {
            body["nextLink"] = $"{request.Scheme}://{request.Host}{collectionId}?api-version={request.Query["api-version"]}&$skip={skip + pageSize}";
        }
        return ArmResponse.Json(200, body, fromRp: true);
    }

    private static ArmResponse Single(string serviceId, string id, string type, JsonObject item, string kind)
        => ArmResponse.Json(200, ToResource(serviceId, id[..id.LastIndexOf('/')], type, item, kind), fromRp: true);

    /// <summary>"~/users/1" in the seed is "{service id}/users/1" on the wire (ApiManagementListSubscriptions.json: ownerId, scope).</summary>
    private static JsonNode? Expand(JsonNode? value, string serviceId) => value switch
    {
        JsonValue v when v.TryGetValue(out string? text) && text.StartsWith("~/", StringComparison.Ordinal) => serviceId + text[1..],
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Expand(p.Value, serviceId)))),
        JsonArray a => new JsonArray(a.Select(x => Expand(x, serviceId)).ToArray()),
        _ => value?.DeepClone(),
    };

    private static JsonObject ToResource(string serviceId, string collectionId, string type, JsonObject item, string kind)
    {
        string name = item["name"]!.GetValue<string>();
        var properties = new JsonObject();
        foreach (var (key, value) in item)
        {
            if (NotProperties.Contains(key)) continue;
            // A secret named value's value comes only from listValue (ApiManagementListNamedValues.json).
            if (kind == "namedValues" && key == "value" && item["secret"]?.GetValue<bool>() == true) continue;
            properties[key] = Expand(value, serviceId);
        }
        return Resource($"{collectionId}/{name}", "Microsoft.ApiManagement/service/" + type, name, properties);
    }

    private static JsonObject Resource(string id, string type, string name, JsonObject properties) => new()
    {
        ["id"] = id, ["type"] = type, ["name"] = name, ["properties"] = properties,
    };

    private static string Type(string[] segments) => "Microsoft.ApiManagement/service/" + string.Join("/", segments.Where((_, i) => i % 2 == 0 || i == segments.Length - 2).Distinct());

    private static IReadOnlyList<JsonNode?> Items(JsonObject? owner, string key) => owner?[key] as JsonArray is { } array ? array.ToList() : Array.Empty<JsonNode?>();

    private static JsonObject? Find(JsonObject? owner, string key, string name) => Items(owner, key).OfType<JsonObject>()
        .FirstOrDefault(i => string.Equals(i["name"]?.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase));

    private static ArmResponse NotFound() => ArmErrors.Apim(404, "ResourceNotFound", "Entity with specified identifier not found");

    private static ArmResponse PolicyNotFound() => ArmErrors.Apim(404, "ResourceNotFound", "Policy configuration not found.");

    private static ArmResponse MethodNotAllowed(string method) =>
        ArmErrors.Arm(405, "MethodNotAllowed", $"The requested resource does not support http method '{method}'.");
}
