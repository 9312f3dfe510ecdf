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
    private readonly DeletedServices _deleted;

    public ServiceEndpoints(ServiceStore store, OperationEngine engine, StorageAccounts accounts, SettingsHolder settings, DeletedServices deleted)
    {
        _store = store;
        _deleted = deleted;
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
        if (route.Kind is "deletedservices" or "deletedservice" or "purgeresults") return Deleted(request, route);
        if (!_store.GroupExists(route.Subscription, route.ResourceGroup!)) return ArmErrors.ResourceGroupNotFound(route.ResourceGroup!);

        if (route.Kind == "services")
        {
            if (!HttpMethods.IsGet(method)) return MethodNotAllowed(method);
            var list = new JsonArray(_store.List(route.Subscription, route.ResourceGroup).Select(s => (JsonNode)Json(s)).ToArray());
            return ArmResponse.Json(200, new JsonObject { ["value"] = list }, fromRp: true);
        }

        var service = _store.Find(route.Subscription, route.ResourceGroup!, route.Service!);
        if (route.Kind == "service" && HttpMethods.IsPut(method)) return Put(request, route, service, body, apiVersion);
        // ARM: a DELETE of a resource that does not exist answers 204 No Content.
        if (route.Kind == "service" && HttpMethods.IsDelete(method)) return service is null ? ArmResponse.Empty(204, fromRp: true) : StartDelete(request, service, apiVersion);
        // A finished DELETE's Location still answers after the service is gone (and the service's undelete).
        if (route.Kind == "operationresults" && HttpMethods.IsGet(method) && _engine.Find(route.OperationId!) is { Kind: "delete" } deleting
            && deleting.Service.Id.Equals(ServiceId(route), StringComparison.OrdinalIgnoreCase))
        {
            return Poll(request, deleting.Service, route.OperationId!);
        }
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

    private static string ServiceId(ArmRoute r) =>
        $"/subscriptions/{r.Subscription}/resourceGroups/{r.ResourceGroup}/providers/Microsoft.ApiManagement/service/{r.Service}";

    /// <summary>
    /// DELETE of a service (ApiManagementServiceDeleteService.json): 202, the service body with
    /// targetProvisioningState "Deleting", Location …/operationresults/{id}. When the operation ends the
    /// service is soft-deleted (kept 48 h of the emulator clock, see <see cref="DeletedServices"/>).
    /// </summary>
    private ArmResponse StartDelete(HttpRequest request, ApimService service, string apiVersion)
    {
        var settings = _settings.Current;
        var op = _engine.TryStart("delete", service, apiVersion, settings.DurationFor("delete"), null);
        if (op is null) return Conflict(service);
        return ArmResponse.Json(202, Json(service), fromRp: true).With("Location", OperationResultsUrl(request, op, doubleSlash: false))
            .With("Retry-After", settings.RetryAfterSeconds.ToString());
    }

    /// <summary>The deletedservices resource type: list, get by location + name, purge and the purge's Location.</summary>
    private ArmResponse Deleted(HttpRequest request, ArmRoute route)
    {
        var method = request.Method;
        switch (route.Kind)
        {
            case "deletedservices":
                if (!HttpMethods.IsGet(method)) return MethodNotAllowed(method);
                return ArmResponse.Json(200, new JsonObject
                {
                    ["value"] = new JsonArray(_deleted.List(route.Subscription).Select(e => (JsonNode)DeletedServices.ToJson(e)).ToArray()),
                }, fromRp: true);
            case "purgeresults":
                if (!HttpMethods.IsGet(method)) return MethodNotAllowed(method);
                // A purge is done when its DELETE is answered: its Location answers 200 (the example's "200": {}).
                return _deleted.IsPurge(route.OperationId!) ? ArmResponse.Empty(200, fromRp: true) : ArmErrors.OperationNotFound(route.OperationId!);
        }
        var entry = _deleted.Find(route.Service!, route.Location);
        if (entry is null) return DeletedServiceNotFound(route.Service!, route.Location!);
        if (HttpMethods.IsGet(method)) return ArmResponse.Json(200, DeletedServices.ToJson(entry), fromRp: true);
        if (!HttpMethods.IsDelete(method)) return MethodNotAllowed(method);
        // Purge (ApiManagementDeletedServicesPurge.json): 202, the deleted service as body, Location …/resourceGroups/{rg}/
        // providers/Microsoft.ApiManagement/locations/{loc}/deletedservices/{name}/operationresults/{id}. Gone at once.
        _deleted.Remove(entry);
        var id = _deleted.NewPurge();
        var location = $"{BaseUrl(request)}/subscriptions/{entry.Service.SubscriptionId}/resourceGroups/{entry.Service.ResourceGroup}/providers/Microsoft.ApiManagement/locations/{Regions.Key(entry.Service.Location)}/deletedservices/{entry.Service.Name}/operationresults/{id}?api-version={Uri.EscapeDataString(request.Query["api-version"].ToString())}";
        return ArmResponse.Json(202, DeletedServices.ToJson(entry), fromRp: true).With("Location", location)
            .With("Retry-After", _settings.Current.RetryAfterSeconds.ToString());
    }

    /// <summary>
    /// No soft-deleted service of that name (never deleted, purged, or past its 48 h). Code ServiceNotFound as the
    /// purge of a missing one answered in Azure/azure-rest-api-specs#14961; the wording is assumed.
    /// </summary>
    private static ArmResponse DeletedServiceNotFound(string name, string location) =>
        ArmErrors.Apim(404, "ServiceNotFound", $"Api service '{name}' was not found among the soft-deleted services in location '{location}'.");
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
        var op = _engine.TryStart(kind, service, apiVersion, settings.DurationFor(kind, service.Name), parsed);
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
        // The undelete's Azure-AsyncOperation (ApiManagementUndelete.json: the same operationresults URL plus &asyncResponse).
        if (op.Kind == "undelete" && request.Query.ContainsKey("asyncResponse")) return StatusBody(request, op);
        switch (op.State)
        {
            case OperationState.Running:
                // Like the recording: every 202 carries a Location (the single-slash URL, whichever form was polled).
                return ArmResponse.Empty(202, fromRp: true).With("Location", OperationResultsUrl(request, op, doubleSlash: false))
                    .With("Retry-After", _settings.Current.RetryAfterSeconds.ToString());
            case OperationState.Succeeded:
                // A finished DELETE: 200 without a body (the example's "200": {}); the service is soft-deleted by then.
                return op.Kind == "delete" ? ArmResponse.Empty(200, fromRp: true) : ArmResponse.Json(200, Json(service), fromRp: true);
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
        if (o["properties"]?["restore"] is JsonValue restoreValue && restoreValue.TryGetValue<bool>(out var restore) && restore)
        {
            return Undelete(request, route, existing, apiVersion);
        }
        if (existing is null && _deleted.Find(route.Service!) is not null)
        {
            // The real code and message (Hashicorp terraform-provider-azurerm#12839, Azure-Samples/azure-health-data-and-ai-samples#96);
            // the status, 409, is assumed (neither report shows it).
            return ArmErrors.Apim(409, "ServiceAlreadyExistsInSoftDeletedState",
                $"Api service {route.Service} was soft-deleted. In order to create the new service with the same name, you have to either undelete the service or purge it. See https://aka.ms/apimsoftdelete.");
        }

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

    /// <summary>
    /// PUT with properties.restore = true (ApiManagementUndelete.json): every other property is ignored (Learn,
    /// "API Management soft-delete"); 201, the service with provisioningState "Created" / targetProvisioningState
    /// "Activating", Location and Azure-AsyncOperation both …/service/{name}/operationresults/{id}?api-version=…&amp;asyncResponse.
    /// </summary>
    private ArmResponse Undelete(HttpRequest request, ArmRoute route, ApimService? existing, string apiVersion)
    {
        var entry = _deleted.Find(route.Service!);
        if (entry is null || !entry.Service.ResourceGroup.Equals(route.ResourceGroup, StringComparison.OrdinalIgnoreCase)
            || !entry.Service.SubscriptionId.Equals(route.Subscription, StringComparison.OrdinalIgnoreCase))
        {
            // Nothing to undelete (never deleted, purged or expired). Assumed: the deleted-service lookup's ServiceNotFound.
            if (existing is not null) return ArmErrors.Apim(400, "ValidationError", $"Api service {route.Service} is not soft-deleted; it cannot be restored.");
            return ArmErrors.Apim(404, "ServiceNotFound", $"Api service {route.Service} was not found among the soft-deleted services.");
        }
        var service = entry.Service;
        _deleted.Remove(entry);
        _store.Add(service);
        var op = _engine.TryStart("undelete", service, apiVersion, _settings.Current.DurationFor("put"), null);
        if (op is null) return Conflict(service);
        var url = $"{BaseUrl(request)}{service.Id}/operationresults/{op.Id}?api-version={Uri.EscapeDataString(apiVersion)}&asyncResponse";
        return ArmResponse.Json(201, Json(service), fromRp: true).With("Location", url).With("Azure-AsyncOperation", url)
            .With("Retry-After", _settings.Current.RetryAfterSeconds.ToString());
    }

    private ArmResponse AsyncOperationStatus(ArmRoute route, HttpRequest request)
    {
        var op = _engine.Find(route.OperationId!);
        if (op is null || op.Kind != "put") return ArmErrors.OperationNotFound(route.OperationId!);
        return StatusBody(request, op);
    }

    /// <summary>An Azure-AsyncOperation answer: 200 {id, name, status: InProgress|Succeeded|Failed, startTime[, endTime, error]}.</summary>
    private ArmResponse StatusBody(HttpRequest request, Operation op)
    {
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
