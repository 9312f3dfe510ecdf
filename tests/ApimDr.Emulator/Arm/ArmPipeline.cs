using System.Text;
using System.Text.Json.Nodes;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Control;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Services;

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

    public ArmPipeline(ArmAuthenticator auth, FaultInjector faults, Throttle throttle, ServiceEndpoints endpoints, RequestLog log,
        SettingsHolder settings, ServiceStore store)
    {
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
        ArmResponse response;
        if (authError is not null)
        {
            response = authError;
        }
        else if (_faults.Take(routeName, request.Method, "before", isArm: true) is { } before)
        {
            faultApplied = $"{before.Kind}:before";
            if (before.Kind == "reset") { Log(ctx, body, 0, routeName, principal, correlation, faultApplied); ctx.Abort(); return; }
            response = FaultResponse(before, principal!);
        }
        else
        {
            quota = _settings.Current.ThrottlingEnabled ? _throttle.Take(_store.SubscriptionId, principal!.PrincipalId, ArmRoute.IsWrite(request.Method)) : null;
            if (quota is { Allowed: false })
            {
                response = Throttled(principal!, ArmRoute.IsWrite(request.Method), quota.RetryAfterSeconds);
            }
            else if (route is null)
            {
                response = ArmErrors.Arm(404, "InvalidResourceType", $"The resource type could not be found for path '{request.Path}'.");
            }
            else
            {
                response = _endpoints.Handle(request, route, body);
            }
            if (_faults.Take(routeName, request.Method, "after", isArm: true) is { } after)
            {
                faultApplied = $"{after.Kind}:after";
                if (after.Kind == "reset") { Log(ctx, body, 0, routeName, principal, correlation, faultApplied); ctx.Abort(); return; }
                response = FaultResponse(after, principal!);
            }
        }

        ctx.Response.StatusCode = response.Status;
        ArmHeaders.Apply(ctx.Response, response, correlation, quota);
        Log(ctx, body, response.Status, routeName, principal, correlation, faultApplied);
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

    private ArmResponse FaultResponse(FaultInjector.Fault fault, TokenPrincipal principal) => fault.Kind switch
    {
        "429" => Throttled(principal, false, fault.RetryAfterSeconds),
        "503" => ArmErrors.Arm(503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.")
            .With("Retry-After", fault.RetryAfterSeconds.ToString()),
        "409" => ArmErrors.Apim(409, "Conflict", "Another operation is in progress on the API Management service. Retry after it completes."),
        _ => ArmErrors.Arm(500, "InternalServerError", "Encountered internal server error. Diagnostic information: timestamp '"
            + DateTime.UtcNow.ToString("yyyyMMddTHHmmssZ") + "'."),
    };

    private ArmResponse Throttled(TokenPrincipal principal, bool write, int retryAfter) =>
        ArmErrors.Arm(429, "SubscriptionRequestsThrottled",
            $"Number of '{(write ? "write" : "read")}' requests for subscription '{_store.SubscriptionId}' actor '{principal.PrincipalId}' exceeded. Please try again after '{retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.")
        .With("Retry-After", retryAfter.ToString());

    private void Log(HttpContext ctx, string body, int status, string route, TokenPrincipal? principal, string correlation, string? fault)
    {
        var r = ctx.Request;
        _log.Add(new RequestLogEntry(_log.NextSequence(), DateTimeOffset.UtcNow, "arm", r.Method, $"{r.Path}{r.QueryString}", status, route,
            r.Headers.ContainsKey("Authorization"), principal?.Kind, principal?.PrincipalId, r.Headers["x-ms-client-request-id"].FirstOrDefault(),
            r.Headers["x-ms-correlation-request-id"].FirstOrDefault(), fault, body, RequestLog.SafeHeaders(r.Headers)));
    }
}
