using System.Text;
using System.Text.Json.Nodes;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Control;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Operations;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;

namespace ApimDr.Emulator.Arm;

/// <summary>
/// Every HTTPS (ARM) request: authenticate, apply injected faults, throttle, dispatch, add ARM's
/// headers, log. The order matches ARM's front door: a bad token is rejected before anything else.
/// </summary>
public sealed class ArmPipeline
{
    private readonly ArmAuthenticator _auth;
    private readonly FaultInjector _faults;
    private readonly Throttle _throttle;
    private readonly ServiceEndpoints _endpoints;
    private readonly RequestLog _log;
    private readonly SettingsHolder _settings;
    private readonly ServiceStore _store;
    private readonly Regions _regions;
    private readonly OperationEngine _engine;
    private readonly DeletedServices _deleted;
    private readonly StorageAccounts _accounts;

    public ArmPipeline(ArmAuthenticator auth, FaultInjector faults, Throttle throttle, ServiceEndpoints endpoints, RequestLog log,
        SettingsHolder settings, ServiceStore store, Regions regions, OperationEngine engine, DeletedServices deleted, StorageAccounts accounts)
    {
        _regions = regions;
        _engine = engine;
        _deleted = deleted;
        _accounts = accounts;
        _auth = auth;
        _faults = faults;
        _throttle = throttle;
        _endpoints = endpoints;
        _log = log;
        _settings = settings;
        _store = store;
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var body = await ReadBodyAsync(request);
        var correlation = ArmHeaders.CorrelationId(request);
        var route = ArmRoute.Match(request.Path.Value ?? "/");
        var routeName = route?.Kind ?? "unknown";
        ThrottleState? quota = null;
        string? faultApplied = null;

        var (principal, authError) = _auth.Authenticate(request);
        var region = RegionOf(route, request, body);
        // A regional outage: the region's management plane is unavailable (docs/emulator.md, "Regions and outages").
        // Checked after the token (ARM's front door is global and up) and before faults, which it leaves unconsumed.
        var outage = authError is null ? _regions.DownFor(region) : null;
        ArmResponse response;
        var before = authError is null && outage is null ? _faults.Take(routeName, request.Method, "before", isArm: true) : null;
        FaultInjector.Fault? holdAfter = null;
        if (authError is not null)
        {
            response = authError;
        }
        else if (outage is not null)
        {
            faultApplied = "outage";
            if (outage.Mode == Regions.ModeReset) { Log(ctx, body, 0, routeName, principal, correlation, faultApplied, region); ctx.Abort(); return; }
            response = RegionUnavailable(region!);
        }
        else if (before is { IsHold: false })
        {
            faultApplied = $"{before.Kind}:before";
            if (before.Kind == "reset") { Log(ctx, body, 0, routeName, principal, correlation, faultApplied, region); ctx.Abort(); return; }
            response = FaultResponse(before, principal!, request, route);
        }
        else
        {
            if (before is not null)
            {
                // A hold before: the request waits, then is processed as usual (or never, if the client gives up).
                faultApplied = "hold:before";
                if (!await _faults.HoldAsync(before, ctx.RequestAborted)) { Log(ctx, body, 0, routeName, principal, correlation, faultApplied, region); ctx.Abort(); return; }
            }
            var settings = _settings.Current;
            if (settings.LatencyMilliseconds > 0) await Task.Delay(settings.LatencyMilliseconds, ctx.RequestAborted);
            quota = settings.ThrottlingEnabled
                ? _throttle.Take(_store.SubscriptionId, principal!.PrincipalId, ArmRoute.IsWrite(request.Method), settings.ReadBucketCapacity, settings.ReadRefillPerSecond) : null;
            if (quota is { Allowed: false })
            {
                response = Throttled(principal!, ArmRoute.IsWrite(request.Method), quota.RetryAfterSeconds);
            }
            else if (route is null)
            {
                response = InvalidResourceType(request);
            }
            else
            {
                response = _endpoints.Handle(request, route, body);
            }
            if (_faults.Take(routeName, request.Method, "after", isArm: true) is { } after)
            {
                faultApplied = faultApplied is null ? $"{after.Kind}:after" : $"{faultApplied},{after.Kind}:after";
                if (after.Kind == "reset") { Log(ctx, body, 0, routeName, principal, correlation, faultApplied, region); ctx.Abort(); return; }
                if (after.IsHold) holdAfter = after;
                else response = FaultResponse(after, principal!, request, route);
            }
        }

        // A hold after: the request has been processed (a backup has started); its normal answer goes out late.
        if (holdAfter is not null && !await _faults.HoldAsync(holdAfter, ctx.RequestAborted))
        {
            Log(ctx, body, 0, routeName, principal, correlation, faultApplied, region);
            ctx.Abort();
            return;
        }

        ctx.Response.StatusCode = response.Status;
        ArmHeaders.Apply(ctx.Response, response, correlation, quota);
        Log(ctx, body, response.Status, routeName, principal, correlation, faultApplied, region);
        if (response.Body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(response.Body.ToJsonString(JsonOutput.Options));
            ctx.Response.ContentType = "application/json; charset=utf-8";
            ctx.Response.ContentLength = bytes.Length;
            await ctx.Response.Body.WriteAsync(bytes);
        }
        else
        {
            ctx.Response.ContentLength = 0;
        }
    }

    public static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private ArmResponse FaultResponse(FaultInjector.Fault fault, TokenPrincipal principal, HttpRequest request, ArmRoute? route) => fault.Kind switch
    {
        "429" => Throttled(principal, false, fault.RetryAfterSeconds),
        "403" => ArmErrors.AuthorizationFailed(principal.PrincipalId,
            route?.RbacAction(request.Method) ?? "Microsoft.Resources/subscriptions/resources/read", route?.RbacScope ?? request.Path.Value ?? "/"),
        "404" => NotFound(route, request),
        "503" => ArmErrors.Arm(503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.")
            .With("Retry-After", fault.RetryAfterSeconds.ToString()),
        "409" => ArmErrors.Apim(409, "Conflict", "Another operation is in progress on the API Management service. Retry after it completes."),
        _ => ArmErrors.Arm(500, "InternalServerError", "Encountered internal server error. Diagnostic information: timestamp '"
            + DateTime.UtcNow.ToString("yyyyMMddTHHmmssZ") + "'."),
    };

    /// <summary>The "404" fault: what a poll of a forgotten operation answers; other routes get their own not-found answer.</summary>
    private static ArmResponse NotFound(ArmRoute? route, HttpRequest request) => route switch
    {
        { OperationId: { } id } => ArmErrors.OperationNotFound(id),
        { Service: { } name } => ArmErrors.ServiceNotFound(route.ResourceGroup!, name),
        { ResourceGroup: { } group } => ArmErrors.ResourceGroupNotFound(group),
        _ => InvalidResourceType(request),
    };

    private static ArmResponse InvalidResourceType(HttpRequest request) =>
        ArmErrors.Arm(404, "InvalidResourceType", $"The resource type could not be found for path '{request.Path}'.");

    private ArmResponse Throttled(TokenPrincipal principal, bool write, int retryAfter) =>
        ArmErrors.Arm(429, "SubscriptionRequestsThrottled",
            $"Number of '{(write ? "write" : "read")}' requests for subscription '{_store.SubscriptionId}' actor '{principal.PrincipalId}' exceeded. Please try again after '{retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.")
        .With("Retry-After", retryAfter.ToString());

    /// <summary>
    /// The region a request is about: the service's location (also for its polls, its configuration and a PUT that
    /// creates it: the body's location; an undelete: the deleted service's), the location in the path of
    /// operationsStatus and deletedservices URLs; null for the resource group's and subscription's lists.
    /// </summary>
    private string? RegionOf(ArmRoute? route, HttpRequest request, string body)
    {
        if (route is null) return null;
        switch (route.Kind)
        {
            case "services" or "deletedservices": return null;
            case "operationstatus" or "deletedservice" or "purgeresults": return DisplayName(route.Location!);
        }
        var service = _store.Find(route.Subscription, route.ResourceGroup!, route.Service!);
        if (service is not null) { lock (_store.Sync) return service.Location; }
        if (route.OperationId is { } id && _engine.Find(id) is { } op) { lock (_store.Sync) return op.Service.Location; }
        if (route.Kind == "service" && HttpMethods.IsPut(request.Method))
        {
            try
            {
                var o = System.Text.Json.Nodes.JsonNode.Parse(body) as JsonObject;
                if (o?["properties"]?["restore"] is JsonValue v && v.TryGetValue<bool>(out var restore) && restore)
                {
                    return _deleted.Find(route.Service!)?.Service.Location;
                }
                return o?["location"] is JsonValue l && l.TryGetValue<string>(out var location) ? DisplayName(location) : null;
            }
            catch (System.Text.Json.JsonException) { return null; }
        }
        return _deleted.Find(route.Service!)?.Service.Location;
    }

    /// <summary>"westeurope" → "West Europe" when a service, deleted service or storage account is there (else as given).</summary>
    private string DisplayName(string location)
    {
        var key = Regions.Key(location);
        return _store.List().Select(s => s.Location).Concat(_accounts.All().Select(a => a.Location))
            .FirstOrDefault(l => Regions.Key(l) == key) ?? location;
    }

    /// <summary>
    /// What ARM answers for a service whose region is down: ARM's front door is global and answers, the
    /// resource provider's regional management plane does not. The code and status are ARM's ServiceUnavailable
    /// (as the 503 fault); the wording is the emulator's (assumed). Retry-After as on the 503 fault.
    /// </summary>
    private ArmResponse RegionUnavailable(string region) =>
        ArmErrors.Arm(503, "ServiceUnavailable", $"The resource provider 'Microsoft.ApiManagement' is unavailable in location '{region}'. Please try again later.")
            .With("Retry-After", _settings.Current.RetryAfterSeconds.ToString());

    private void Log(HttpContext ctx, string body, int status, string route, TokenPrincipal? principal, string correlation, string? fault, string? region)
    {
        var r = ctx.Request;
        _log.Add(new RequestLogEntry(_log.NextSequence(), DateTimeOffset.UtcNow, "arm", r.Method, $"{r.Path}{r.QueryString}", RequestLog.RawUrl(ctx), status, route,
            r.Headers.ContainsKey("Authorization"), principal?.Kind, principal?.PrincipalId, r.Headers["x-ms-client-request-id"].FirstOrDefault(),
            r.Headers["x-ms-correlation-request-id"].FirstOrDefault(), fault, body, RequestLog.SafeHeaders(r.Headers), region));
    }
}
