using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ApimDr.Emulator.Arm;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Operations;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;

namespace ApimDr.Emulator.Control;

/// <summary>
/// /_emulator/… on the plain-http loopback listener: settings, faults, clock, request log, service
/// configuration, tokens, role assignments, reset, shutdown. No authentication (loopback only,
/// test use). docs/emulator.md is the reference.
/// </summary>
public sealed class ControlSurface
{
    public const string Prefix = "/_emulator";

    private readonly EmulatorState _state;
    private readonly IHostApplicationLifetime _lifetime;

    public ControlSurface(EmulatorState state, IHostApplicationLifetime lifetime)
    {
        _state = state;
        _lifetime = lifetime;
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var path = (ctx.Request.Path.Value ?? "").TrimEnd('/');
        var method = ctx.Request.Method.ToUpperInvariant();
        var bodyText = await ArmPipeline.ReadBodyAsync(ctx.Request);
        int status = 200;
        JsonNode? result;
        try
        {
            var body = string.IsNullOrWhiteSpace(bodyText) ? new JsonObject() : JsonNode.Parse(bodyText) as JsonObject
                ?? throw new ArgumentException("The body must be a JSON object.");
            result = Dispatch(ctx, method, path[Prefix.Length..], body, ref status);
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or InvalidOperationException)
        {
            status = 400;
            result = new JsonObject { ["error"] = e.Message };
        }
        ctx.Response.StatusCode = status;
        var bytes = Encoding.UTF8.GetBytes((result ?? new JsonObject()).ToJsonString(JsonOutput.Options));
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }

    private JsonNode? Dispatch(HttpContext ctx, string method, string path, JsonObject body, ref int status)
    {
        var s = _state;
        switch (method, path)
        {
            case ("GET", ""): return s.Describe();
            case ("GET", "/settings"): return JsonSerializer.SerializeToNode(s.Settings.Current);
            case ("PUT" or "PATCH" or "POST", "/settings"): return JsonSerializer.SerializeToNode(s.Settings.Merge(body));
            case ("GET", "/faults"): return new JsonObject { ["faults"] = s.Faults.Describe() };
            case ("POST", "/faults"): status = 201; return s.Faults.Add(body).ToJson();
            case ("DELETE", "/faults"): s.Faults.Clear(); return new JsonObject { ["faults"] = new JsonArray() };
            case ("GET", "/clock"): return ClockJson();
            case ("POST", "/clock/advance"):
                s.Clock.Advance(TimeSpan.FromDays(Num(body, "days")) + TimeSpan.FromHours(Num(body, "hours"))
                    + TimeSpan.FromMinutes(Num(body, "minutes")) + TimeSpan.FromSeconds(Num(body, "seconds")));
                return ClockJson();
            case ("POST", "/clock/reset"): s.Clock.Reset(); return ClockJson();
            case ("GET", "/requests"):
                var since = long.TryParse(ctx.Request.Query["since"], out var v) ? v : 0;
                return new JsonObject { ["requests"] = new JsonArray(s.Log.Snapshot().Where(e => e.Sequence > since).Select(e => (JsonNode)e.ToJson()).ToArray()) };
            case ("DELETE", "/requests"): s.Log.Clear(); return new JsonObject { ["requests"] = new JsonArray() };
            case ("GET", "/services"):
                return new JsonObject { ["services"] = new JsonArray(s.Store.List().Select(x => (JsonNode)ServiceSummary(x)).ToArray()) };
            case ("GET", "/operations"): return new JsonObject { ["operations"] = s.Engine.Describe() };
            case ("POST", "/tokens"): return IssueToken(body);
            case ("GET", "/storage"): return StorageJson();
            case ("POST", "/reset"): s.Reset(); return s.Describe();
            case ("POST", "/shutdown"):
                _ = Task.Delay(100).ContinueWith(_ => _lifetime.StopApplication());
                return new JsonObject { ["stopping"] = true };
        }

        var m = Regex.Match(path, "^/regions(/(?<location>[^/]+)(/(?<outage>outage))?)?$");
        if (m.Success)
        {
            if (!m.Groups["location"].Success)
            {
                if (method != "GET") throw new ArgumentException($"{method} is not supported here.");
                return new JsonObject { ["regions"] = s.DescribeRegions() };
            }
            var location = Uri.UnescapeDataString(m.Groups["location"].Value);
            if (m.Groups["outage"].Success && method == "POST")
            {
                var mode = body["mode"]?.GetValue<string>() ?? Regions.ModeUnavailable;
                if (mode != Regions.ModeUnavailable && mode != Regions.ModeReset) throw new ArgumentException($"'mode' must be '{Regions.ModeUnavailable}' or '{Regions.ModeReset}'.");
                // The outage begins now: every ARM request logged from here on has a greater sequence.
                s.Regions.Begin(location, mode, s.Log.CurrentSequence);
                s.Accounts.SetRegionReachable(Regions.Key(location), false);
            }
            else if (m.Groups["outage"].Success && method == "DELETE")
            {
                s.Regions.End(location);
                s.Accounts.SetRegionReachable(Regions.Key(location), true);
            }
            else if (m.Groups["outage"].Success || method != "GET") throw new ArgumentException($"{method} is not supported here.");
            var region = s.DescribeRegions().FirstOrDefault(r => r!["key"]!.GetValue<string>() == Regions.Key(location));
            if (region is null) { status = 404; return new JsonObject { ["error"] = $"Region '{location}' has no service, storage account or outage." }; }
            return region.DeepClone();
        }
        m = Regex.Match(path, "^/services/(?<name>[^/]+)/configuration$");
        if (m.Success)
        {
            var rg = ctx.Request.Query["resourceGroup"].FirstOrDefault();
            var service = s.Store.FindByName(Uri.UnescapeDataString(m.Groups["name"].Value), rg);
            if (service is null) { status = 404; return new JsonObject { ["error"] = $"Service '{m.Groups["name"].Value}' not found (or ambiguous: add ?resourceGroup=)." }; }
            lock (s.Store.Sync)
            {
                if (method == "PUT") { service.Configuration = body.DeepClone().AsObject(); service.Touch(); }
                else if (method != "GET") throw new ArgumentException($"{method} is not supported here.");
                return service.Configuration.DeepClone();
            }
        }
        m = Regex.Match(path, "^/services/(?<name>[^/]+)/generate$");
        if (m.Success && method == "POST")
        {
            var service = s.Store.FindByName(Uri.UnescapeDataString(m.Groups["name"].Value), ctx.Request.Query["resourceGroup"].FirstOrDefault());
            if (service is null) { status = 404; return new JsonObject { ["error"] = $"Service '{m.Groups["name"].Value}' not found (or ambiguous: add ?resourceGroup=)." }; }
            var generated = ConfigurationGenerator.Generate((int)Num(body, "apis"), (int)Num(body, "operationsPerApi"));
            lock (s.Store.Sync) { service.Configuration = generated; service.Touch(); }
            return new JsonObject { ["apis"] = generated["apis"]!.AsArray().Count, ["operations"] = generated["apis"]!.AsArray().Sum(a => a!["operations"]!.AsArray().Count) };
        }
        m = Regex.Match(path, "^/storage/(?<account>[^/]+)/roleAssignments(/(?<principal>[^/]+))?$");
        if (m.Success)
        {
            var account = m.Groups["account"].Value;
            if (!s.Accounts.Exists(account)) { status = 404; return new JsonObject { ["error"] = $"Storage account '{account}' is not configured." }; }
            if (method == "POST" && !m.Groups["principal"].Success)
            {
                s.Accounts.Grant(account, Str(body, "principalId"), body["role"]?.GetValue<string>() ?? "Storage Blob Data Contributor");
            }
            else if (method == "DELETE" && m.Groups["principal"].Success) s.Accounts.Revoke(account, m.Groups["principal"].Value);
            else throw new ArgumentException($"{method} is not supported here.");
            return StorageJson();
        }
        status = 404;
        return new JsonObject { ["error"] = $"No control endpoint {method} {Prefix}{path}." };
    }

    private static double Num(JsonObject o, string name) => o[name]?.GetValue<double>() ?? 0;

    private static string Str(JsonObject o, string name) =>
        o[name]?.GetValue<string>() is { Length: > 0 } v ? v : throw new ArgumentException($"'{name}' is required.");

    private JsonObject ClockJson() => new()
    {
        ["now"] = _state.Clock.UtcNow.UtcDateTime.ToString("o"), ["offsetSeconds"] = _state.Clock.Offset.TotalSeconds,
    };

    private JsonObject ServiceSummary(ApimService x)
    {
        lock (_state.Store.Sync)
        {
            return new JsonObject
            {
                ["name"] = x.Name, ["resourceGroup"] = x.ResourceGroup, ["id"] = x.Id, ["location"] = x.Location, ["sku"] = x.SkuName, ["capacity"] = x.SkuCapacity,
                ["identity"] = x.Identity?.ToJson(TokenIssuer.TenantId), ["provisioningState"] = x.ProvisioningState,
                ["activeOperationId"] = x.ActiveOperationId,
            };
        }
    }

    private JsonObject IssueToken(JsonObject body)
    {
        var lifetime = Num(body, "lifetimeSeconds");
        var expires = DateTimeOffset.UtcNow.AddSeconds(lifetime == 0 ? 3600 : lifetime);
        var audience = body["audience"]?.GetValue<string>() ?? _state.ArmUrl;
        var host = _state.Host.Current;
        var token = _state.Issuer.Issue(audience, body["principalId"]?.GetValue<string>() ?? host.PrincipalId,
            body["clientId"]?.GetValue<string>() ?? host.ClientId, expires);
        return new JsonObject { ["access_token"] = token, ["expires_on"] = expires.ToUnixTimeSeconds().ToString(), ["resource"] = audience, ["token_type"] = "Bearer" };
    }

    private JsonObject StorageJson() => new()
    {
        ["blobServiceUrl"] = _state.Accounts.BlobServiceUrl,
        ["accounts"] = new JsonArray(_state.Accounts.All().Select(a => (JsonNode)new JsonObject
        {
            ["name"] = a.Name, ["location"] = a.Location, ["blobEndpoint"] = _state.Accounts.BlobEndpoint(a.Name).ToString(),
            ["blobServiceUrl"] = _state.Accounts.ServiceUrlOf(a.Name), ["upstream"] = _state.Accounts.UpstreamOf(a.Name),
            ["reachable"] = _state.Accounts.Reachable(a.Name),
            ["roleAssignments"] = new JsonArray(a.RoleAssignments.Select(r => (JsonNode)new JsonObject { ["principalId"] = r.PrincipalId, ["role"] = r.Role }).ToArray()),
        }).ToArray()),
    };
}
