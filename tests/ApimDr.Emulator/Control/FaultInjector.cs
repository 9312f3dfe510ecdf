using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Control;

/// <summary>
/// "The next N responses on route R are X". Routes: backup, restore, operationresults,
/// operationstatus, service (GET/PUT one service), services (list), identity (the managed identity
/// endpoint), arm (any ARM request). Kinds: 429, 503 (both with Retry-After), 409, 500, reset
/// (connection dropped). When: before (the request is NOT processed: safe to retry) or after (it
/// IS processed, then the response is replaced: an ambiguous failure).
/// </summary>
public sealed class FaultInjector
{
    public sealed class Fault
    {
        public required string Id { get; init; }
        public required string Route { get; init; }
        public string? Method { get; init; }
        public required string Kind { get; init; }
        public int Remaining { get; set; }
        public int RetryAfterSeconds { get; init; }
        public string When { get; init; } = "before";

        public JsonObject ToJson() => new()
        {
            ["id"] = Id, ["route"] = Route, ["method"] = Method, ["kind"] = Kind, ["remaining"] = Remaining,
            ["retryAfterSeconds"] = RetryAfterSeconds, ["when"] = When,
        };
    }

    public static readonly string[] Routes = { "backup", "restore", "operationresults", "operationstatus", "service", "services", "identity", "arm" };
    public static readonly string[] Kinds = { "429", "503", "409", "500", "reset" };

    private readonly List<Fault> _faults = new();

    public Fault Add(JsonObject spec)
    {
        var route = spec["route"]?.GetValue<string>()?.ToLowerInvariant() ?? throw new ArgumentException("'route' is required.");
        if (!Routes.Contains(route)) throw new ArgumentException($"Unknown route '{route}'. Known: {string.Join(", ", Routes)}.");
        var kind = (spec["kind"]?.ToString() ?? throw new ArgumentException("'kind' is required.")).ToLowerInvariant();
        if (!Kinds.Contains(kind)) throw new ArgumentException($"Unknown kind '{kind}'. Known: {string.Join(", ", Kinds)}.");
        var when = spec["when"]?.GetValue<string>()?.ToLowerInvariant() ?? "before";
        if (when is not ("before" or "after")) throw new ArgumentException("'when' is 'before' or 'after'.");
        var fault = new Fault
        {
            Id = Guid.NewGuid().ToString("n")[..8], Route = route, Method = spec["method"]?.GetValue<string>()?.ToUpperInvariant(), Kind = kind,
            Remaining = spec["count"]?.GetValue<int>() ?? 1, RetryAfterSeconds = spec["retryAfterSeconds"]?.GetValue<int>() ?? 1, When = when,
        };
        lock (_faults) _faults.Add(fault);
        return fault;
    }

    /// <summary>Consumes one matching fault for this request, if any.</summary>
    public Fault? Take(string route, string method, string when, bool isArm)
    {
        lock (_faults)
        {
            var f = _faults.FirstOrDefault(f => f.Remaining > 0 && f.When == when
                && (f.Route == route || (f.Route == "arm" && isArm)) && (f.Method is null || f.Method == method));
            if (f is null) return null;
            f.Remaining--;
            if (f.Remaining == 0) _faults.Remove(f);
            return f;
        }
    }

    public JsonArray Describe() { lock (_faults) return new JsonArray(_faults.Select(f => (JsonNode)f.ToJson()).ToArray()); }

    public void Clear() { lock (_faults) _faults.Clear(); }
}
