using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Control;

/// <summary>
/// "The next N responses on route R are X". Routes: backup, restore, operationresults,
/// operationstatus, service (GET/PUT one service), services (list), identity (the managed identity
/// endpoint), arm (any ARM request). Kinds: 429, 503 (both with Retry-After), 409, 500, 403 (ARM's
/// AuthorizationFailed), 404 (operation not found), reset (connection dropped), hold (the answer is
/// late by Seconds). When: before (the request is NOT processed: safe to retry; a hold waits, then
/// processes it) or after (it IS processed, then the response is replaced: an ambiguous failure; a
/// hold sends the normal response late).
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
        /// <summary>How long a hold delays the answer.</summary>
        public double Seconds { get; init; }

        public bool IsHold => Kind == "hold";

        public JsonObject ToJson()
        {
            var json = new JsonObject
            {
                ["id"] = Id, ["route"] = Route, ["method"] = Method, ["kind"] = Kind, ["remaining"] = Remaining,
                ["retryAfterSeconds"] = RetryAfterSeconds, ["when"] = When,
            };
            if (IsHold) json["seconds"] = Seconds;
            return json;
        }
    }

    public static readonly string[] Routes = { "backup", "restore", "operationresults", "operationstatus", "service", "services", "identity", "arm" };
    public static readonly string[] Kinds = { "429", "503", "409", "500", "403", "404", "reset", "hold" };
    public const double MaxHoldSeconds = 600;

    private readonly List<Fault> _faults = new();
    private readonly CancellationToken _stopping;

    /// <param name="stopping">Ends holds in progress when the emulator stops.</param>
    public FaultInjector(CancellationToken stopping) => _stopping = stopping;

    public Fault Add(JsonObject spec)
    {
        var route = spec["route"]?.GetValue<string>()?.ToLowerInvariant() ?? throw new ArgumentException("'route' is required.");
        if (!Routes.Contains(route)) throw new ArgumentException($"Unknown route '{route}'. Known: {string.Join(", ", Routes)}.");
        var kind = (spec["kind"]?.ToString() ?? throw new ArgumentException("'kind' is required.")).ToLowerInvariant();
        if (!Kinds.Contains(kind)) throw new ArgumentException($"Unknown kind '{kind}'. Known: {string.Join(", ", Kinds)}.");
        var when = spec["when"]?.GetValue<string>()?.ToLowerInvariant() ?? "before";
        if (when is not ("before" or "after")) throw new ArgumentException("'when' is 'before' or 'after'.");
        var seconds = spec["seconds"]?.GetValue<double>() ?? 5;
        if (seconds is < 0 or > MaxHoldSeconds) throw new ArgumentException($"'seconds' is between 0 and {MaxHoldSeconds}.");
        var fault = new Fault
        {
            Id = Guid.NewGuid().ToString("n")[..8], Route = route, Method = spec["method"]?.GetValue<string>()?.ToUpperInvariant(), Kind = kind,
            Remaining = spec["count"]?.GetValue<int>() ?? 1, RetryAfterSeconds = spec["retryAfterSeconds"]?.GetValue<int>() ?? 1, When = when,
            Seconds = seconds,
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

    /// <summary>
    /// Waits out a hold. False when the client went away (or the emulator is stopping) first: the caller then
    /// logs the request with status 0 and aborts the connection (nothing is sent).
    /// </summary>
    public async Task<bool> HoldAsync(Fault hold, CancellationToken requestAborted)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _stopping);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(hold.Seconds), cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public JsonArray Describe() { lock (_faults) return new JsonArray(_faults.Select(f => (JsonNode)f.ToJson()).ToArray()); }

    public void Clear() { lock (_faults) _faults.Clear(); }
}
