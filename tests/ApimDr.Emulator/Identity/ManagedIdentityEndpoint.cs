using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Control;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Services;

namespace ApimDr.Emulator.Identity;

/// <summary>
/// The App Service (2019-08-01) managed identity endpoint that Azure.Identity/MSAL call when
/// IDENTITY_ENDPOINT and IDENTITY_HEADER are set:
/// GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&amp;resource=…[&amp;client_id=…|&amp;mi_res_id=…|&amp;principal_id=…]
/// with header X-IDENTITY-HEADER. It stands for the identity of the machine running the script.
/// </summary>
public sealed class ManagedIdentityEndpoint
{
    public const string Path = "/msi/token";

    private readonly TokenIssuer _issuer;
    private readonly SettingsHolder _settings;
    private readonly FaultInjector _faults;
    private readonly RequestLog _log;
    private readonly HostIdentityHolder _host;

    public ManagedIdentityEndpoint(TokenIssuer issuer, SettingsHolder settings, FaultInjector faults, RequestLog log, HostIdentityHolder host, string secret)
    {
        _issuer = issuer;
        _settings = settings;
        _faults = faults;
        _log = log;
        _host = host;
        Secret = secret;
    }

    public string Secret { get; }

    public async Task HandleAsync(HttpContext ctx)
    {
        var (status, body, fault) = await AnswerWithFaultsAsync(ctx);
        var r = ctx.Request;
        _log.Add(new RequestLogEntry(_log.NextSequence(), DateTimeOffset.UtcNow, "identity", r.Method, $"{r.Path}{r.QueryString}", RequestLog.RawUrl(ctx), status, "identity",
            r.Headers.ContainsKey("Authorization"), null, null, null, null, fault, "", RequestLog.SafeHeaders(r.Headers)));
        if (status == 0) { ctx.Abort(); return; }
        ctx.Response.StatusCode = status;
        if (fault is not null && status is 429 or 503) ctx.Response.Headers.RetryAfter = "1";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }

    /// <summary>The answer with injected faults applied; status 0 = send nothing (reset, or the client left during a hold).</summary>
    private async Task<(int Status, JsonObject Body, string? Fault)> AnswerWithFaultsAsync(HttpContext ctx)
    {
        var method = ctx.Request.Method;
        if (!HttpMethods.IsGet(method)) return (405, Error(405, "Only GET is supported."), null);
        var before = _faults.Take("identity", method, "before", isArm: false);
        if (before is { IsHold: false }) return Injected(before, "before");
        if (before is not null && !await _faults.HoldAsync(before, ctx.RequestAborted)) return (0, new JsonObject(), "hold:before");
        var (status, body) = Answer(ctx);
        var after = _faults.Take("identity", method, "after", isArm: false);
        var held = before is null ? null : "hold:before";
        if (after is null) return (status, body, held);
        var applied = held is null ? $"{after.Kind}:after" : $"{held},{after.Kind}:after";
        if (!after.IsHold) return Injected(after, "after") with { Fault = applied };
        return await _faults.HoldAsync(after, ctx.RequestAborted) ? (status, body, applied) : (0, new JsonObject(), applied);
    }

    private static (int Status, JsonObject Body, string Fault) Injected(FaultInjector.Fault f, string when) =>
        f.Kind == "reset" ? (0, new JsonObject(), $"reset:{when}") : (int.Parse(f.Kind), Error(int.Parse(f.Kind), "Injected failure."), $"{f.Kind}:{when}");

    private (int Status, JsonObject Body) Answer(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var header = ctx.Request.Headers["X-IDENTITY-HEADER"].ToString();
        if (string.IsNullOrEmpty(header) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), Encoding.UTF8.GetBytes(Secret)))
        {
            return (401, Error(401, "The X-IDENTITY-HEADER header is missing or wrong."));
        }
        if (q["api-version"] != "2019-08-01") return (400, Error(400, "Unsupported api-version; use 2019-08-01."));
        var resource = q["resource"].ToString();
        if (string.IsNullOrEmpty(resource)) return (400, Error(400, "The 'resource' query parameter is required."));

        var host = _host.Current;
        string principal = host.PrincipalId, clientId = host.ClientId;
        var wanted = new[] { ("client_id", 0), ("mi_res_id", 1), ("principal_id", 2), ("object_id", 2) }.FirstOrDefault(p => !string.IsNullOrEmpty(q[p.Item1]));
        if (wanted.Item1 is not null)
        {
            var value = q[wanted.Item1].ToString();
            var ua = host.UserAssigned.FirstOrDefault(u => wanted.Item2 switch
            {
                0 => u.ClientId.Equals(value, StringComparison.OrdinalIgnoreCase),
                1 => u.ResourceId.Equals(value, StringComparison.OrdinalIgnoreCase),
                _ => u.PrincipalId.Equals(value, StringComparison.OrdinalIgnoreCase),
            });
            bool isSystem = wanted.Item2 == 0 && value.Equals(host.ClientId, StringComparison.OrdinalIgnoreCase);
            if (ua is null && !isSystem) return (400, Error(400, $"Unable to load the requested managed identity ({wanted.Item1}={value})."));
            if (ua is not null) { principal = ua.PrincipalId; clientId = ua.ClientId; }
        }

        var expires = DateTimeOffset.UtcNow.AddSeconds(_settings.Current.TokenLifetimeSeconds);
        var token = _issuer.Issue(resource, principal, clientId, expires);
        return (200, new JsonObject
        {
            ["access_token"] = token,
            ["expires_on"] = expires.ToUnixTimeSeconds().ToString(),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = clientId,
        });
    }

    private static JsonObject Error(int status, string message) => new() { ["statusCode"] = status, ["message"] = message };
}

/// <summary>The identity the managed identity endpoint hands out (system-assigned + user-assigned ones).</summary>
public sealed class HostIdentityHolder
{
    public Seed.HostIdentity Current { get; set; } = new("", "", new());
}
