using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Hosting;

/// <summary>
/// Which regions are down. A location is compared by its ARM name: "West Europe", "westeurope" and
/// "WestEurope" are one region. docs/emulator.md, "Regions and outages", describes the model.
/// </summary>
public sealed class Regions
{
    public const string ModeUnavailable = "503";
    public const string ModeReset = "reset";

    public sealed record Outage(string Location, DateTimeOffset Since, string Mode, long Sequence);

    private readonly Dictionary<string, Outage> _down = new(StringComparer.Ordinal);

    /// <summary>The ARM location name: lower case, no spaces ("West Europe" → "westeurope").</summary>
    public static string Key(string location) => location.Replace(" ", "").ToLowerInvariant();

    public Outage? DownFor(string? location)
    {
        if (location is null) return null;
        lock (_down) return _down.GetValueOrDefault(Key(location));
    }

    public Outage Begin(string location, string mode, long sequence)
    {
        lock (_down)
        {
            var key = Key(location);
            // A second POST keeps the first start (its sequence), but may change the mode.
            var outage = _down.TryGetValue(key, out var existing)
                ? existing with { Mode = mode }
                : new Outage(location, DateTimeOffset.UtcNow, mode, sequence);
            _down[key] = outage;
            return outage;
        }
    }

    public bool End(string location) { lock (_down) return _down.Remove(Key(location)); }

    public List<Outage> All() { lock (_down) return _down.Values.ToList(); }

    public void Clear() { lock (_down) _down.Clear(); }

    public static JsonObject ToJson(Outage o) => new()
    {
        ["location"] = o.Location, ["since"] = o.Since.UtcDateTime.ToString("o"), ["mode"] = o.Mode, ["sequence"] = o.Sequence,
    };
}
