using System.Text.Json;
using System.Text.Json.Nodes;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Operations;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;

namespace ApimDr.Emulator.Arm;

/// <summary>The Microsoft.ApiManagement/service handlers: GET/PUT/list, backup, restore and their polls.</summary>
public sealed class ServiceEndpoints
{
    private readonly ServiceStore _store;
    private readonly OperationEngine _engine;
    private readonly StorageAccounts _accounts;
    private readonly SettingsHolder _settings;
    private readonly ConfigurationEndpoints _configuration;

    public ServiceEndpoints(ServiceStore store, OperationEngine engine, StorageAccounts accounts, SettingsHolder settings)
    {
        _store = store;
        _engine = engine;
        _accounts = accounts;
        _settings = settings;
        _configuration = new ConfigurationEndpoints(store, settings);
    }

    public ArmResponse Handle(HttpRequest request, ArmRoute route, string body)
    {
        var apiVersion = request.Query["api-version"].ToString();
        if (ApiVersions.Check(apiVersion) is { } badVersion) return badVersion;
        if (!_store.SubscriptionExists(route.Subscription))
        {
            return ArmErrors.Arm(404, "SubscriptionNotFound", $"The subscription '{route.Subscription}' could not be found.");
        }
        var method = request.Method;

        if (route.Kind == "operationstatus")
        {
            return HttpMethods.IsGet(method) ? AsyncOperationStatus(route, request) : MethodNotAllowed(method);
        }
        if (!_store.GroupExists(route.Subscription, route.ResourceGroup!)) return ArmErrors.ResourceGroupNotFound(route.ResourceGroup!);

        if (route.Kind == "services")
        {
            if (!HttpMethods.IsGet(method)) return MethodNotAllowed(method);
            var list = new JsonArray(_store.List(route.Subscription, route.ResourceGroup).Select(s => (JsonNode)Json(s)).ToArray());
            return ArmResponse.Json(200, new JsonObject { ["value"] = list }, fromRp: true);
        }

        var service = _store.Find(route.Subscription, route.ResourceGroup!, route.Service!);
        if (route.Kind == "service" && HttpMethods.IsPut(method)) return Put(request, route, service, body, apiVersion);
        if (service is null) return ArmErrors.ServiceNotFound(route.ResourceGroup!, route.Service!);

        return route.Kind switch
        {
            "service" when HttpMethods.IsGet(method) => ArmResponse.Json(200, Json(service), fromRp: true),
            "backup" or "restore" when HttpMethods.IsPost(method) => StartBackupOrRestore(request, route.Kind, service, body, apiVersion),
            "operationresults" when HttpMethods.IsGet(method) => Poll(request, service, route.OperationId!),
            "child" => _configuration.Handle(request, service, route.Child!),
            _ => MethodNotAllowed(method),
        };
    }

    private JsonObject Json(ApimService s) { lock (_store.Sync) return s.ToJson(TokenIssuer.TenantId); }

    private static ArmResponse MethodNotAllowed(string method) =>
        ArmErrors.Arm(405, "MethodNotAllowed", $"The requested resource does not support http method '{method}'.");

    private static string BaseUrl(HttpRequest r) => $"{r.Scheme}://{r.Host}";

    private ArmResponse StartBackupOrRestore(HttpRequest request, string kind, ApimService service, string body, string apiVersion)
    {
        string sku;
        lock (_store.Sync) sku = service.SkuName;
        // Backup is unavailable on Consumption and the v2 tiers; a restore INTO a v2 service is accepted and
        // fails at its last poll on the SKU check (as recorded on the wire), into Consumption it is refused here.
        if (ApimService.IsConsumption(sku) || (kind == "backup" && ApimService.IsV2(sku)))
        {
            return ArmErrors.Apim(400, "MethodNotAllowedInPricingTier", $"Method not allowed in '{sku}' pricing tier");
        }
        var (parsed, error) = BackupRequest.Parse(body, service, _accounts, apiVersion);
        if (error is not null) return error;

        var settings = _settings.Current;
        var op = _engine.TryStart(kind, service, apiVersion, settings.DurationFor(kind), parsed);
        if (op is null) return Conflict(service);

        var location = OperationResultsUrl(request, op, doubleSlash: settings.LocationChangesOnFirstPoll);
        return ArmResponse.Empty(202, fromRp: true).With("Location", location).With("Retry-After", settings.RetryAfterSeconds.ToString());
    }

    /// <summary>
    /// Where a backup/restore is polled. The double-slash form is what the real POST once answered (and the
    /// first poll corrected); every 202 poll answers with the single-slash form.
    /// </summary>
    private static string OperationResultsUrl(HttpRequest request, Operation op, bool doubleSlash) =>
        $"{BaseUrl(request)}{op.Service.Id}{(doubleSlash ? "//" : "/")}operationresults/{op.Id}?api-version={Uri.EscapeDataString(op.ApiVersion)}";

    private static ArmResponse Conflict(ApimService service) => ArmErrors.Apim(409, "Conflict",
        $"Another operation is in progress on the API Management service '{service.Name}'. Retry after it completes.");

    private ArmResponse Poll(HttpRequest request, ApimService service, string operationId)
    {
        var op = _engine.Find(operationId);
        if (op is null || op.Service != service || op.Kind == "put") return ArmErrors.OperationNotFound(operationId);
        switch (op.State)
        {
            case OperationState.Running:
                // Like the recording: every 202 carries a Location (the single-slash URL, whichever form was polled).
                return ArmResponse.Empty(202, fromRp: true).With("Location", OperationResultsUrl(request, op, doubleSlash: false))
                    .With("Retry-After", _settings.Current.RetryAfterSeconds.ToString());
            case OperationState.Succeeded:
                return ArmResponse.Json(200, Json(service), fromRp: true);
            default:
                return ArmResponse.Json(op.ErrorStatus, op.ErrorBody!.DeepClone(), fromRp: true);
        }
    }

    /// <summary>Service create/update: the Azure-AsyncOperation style (Location and Azure-AsyncOperation name one status URL).</summary>
    private ArmResponse Put(HttpRequest request, ArmRoute route, ApimService? existing, string body, string apiVersion)
    {
        JsonObject? o;
        try { o = string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body) as JsonObject; }
        catch (JsonException) { o = null; }
        if (o is null) return ArmErrors.Arm(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");

        var location = o["location"]?.GetValue<string>();
        var skuName = o["sku"]?["name"]?.GetValue<string>();
        var capacity = o["sku"]?["capacity"]?.GetValue<int>() ?? 1;
        var props = o["properties"] as JsonObject;
        var email = props?["publisherEmail"]?.GetValue<string>();
        var publisher = props?["publisherName"]?.GetValue<string>();
        if (string.IsNullOrEmpty(location)) return ArmErrors.Arm(400, "LocationRequired", "The location property is required for this definition.");
        if (string.IsNullOrEmpty(skuName)) return ArmErrors.InvalidParameters("Value cannot be null or empty. Parameter name: sku");
        var canonicalSku = ApimService.KnownSkus.FirstOrDefault(k => k.Equals(skuName, StringComparison.OrdinalIgnoreCase));
        if (canonicalSku is null) return ArmErrors.InvalidParameters($"Requested value '{skuName}' was not found. Parameter name: sku.name");
        if (existing is null && (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(publisher)))
        {
            return ArmErrors.Apim(400, "ValidationError", "One or more fields contain incorrect values: publisherEmail and publisherName are required.");
        }

        var identity = ServiceIdentity.FromJson(o["identity"], () => Guid.NewGuid().ToString());
        var tags = o["tags"] as JsonObject;
        bool created = existing is null;
        var service = existing ?? new ApimService
        {
            SubscriptionId = _store.SubscriptionId, ResourceGroup = route.ResourceGroup!, Name = route.Service!,
            ProvisioningState = "Activating",
            Configuration = new JsonObject { ["apis"] = new JsonArray(), ["products"] = new JsonArray(), ["namedValues"] = new JsonArray() },
        };
        var op = _engine.TryStart("put", service, apiVersion, _settings.Current.DurationFor("put"), null, s =>
        {
            s.Location = location;
            s.SkuName = canonicalSku;
            s.SkuCapacity = capacity;
            if (email is not null) s.PublisherEmail = email;
            if (publisher is not null) s.PublisherName = publisher;
            if (o.ContainsKey("identity")) s.Identity = identity;
            if (tags is not null) s.Tags = tags.DeepClone().AsObject();
        });
        if (op is null) return Conflict(service);
        if (created) _store.Add(service);

        var statusUrl = $"{BaseUrl(request)}/subscriptions/{_store.SubscriptionId}/providers/Microsoft.ApiManagement/locations/{Uri.EscapeDataString(location.Replace(" ", "").ToLowerInvariant())}/operationsStatus/{op.Id}?api-version={Uri.EscapeDataString(apiVersion)}";
        var response = ArmResponse.Json(created ? 201 : 200, Json(service), fromRp: true);
        return response.With("Azure-AsyncOperation", statusUrl).With("Location", statusUrl).With("Retry-After", _settings.Current.RetryAfterSeconds.ToString());
    }

    private ArmResponse AsyncOperationStatus(ArmRoute route, HttpRequest request)
    {
        var op = _engine.Find(route.OperationId!);
        if (op is null || op.Kind != "put") return ArmErrors.OperationNotFound(route.OperationId!);
        var status = new JsonObject
        {
            ["id"] = request.Path.Value,
            ["name"] = op.Id,
            ["status"] = op.State switch { OperationState.Running => "InProgress", OperationState.Succeeded => "Succeeded", _ => "Failed" },
            ["startTime"] = op.StartedAt.UtcDateTime.ToString("o"),
        };
        if (op.EndedAt is { } ended) status["endTime"] = ended.UtcDateTime.ToString("o");
        if (op.State == OperationState.Failed) status["error"] = op.ErrorBody!["error"]!.DeepClone();
        var response = ArmResponse.Json(200, status, fromRp: true);
        return op.State == OperationState.Running ? response.With("Retry-After", _settings.Current.RetryAfterSeconds.ToString()) : response;
    }
}
