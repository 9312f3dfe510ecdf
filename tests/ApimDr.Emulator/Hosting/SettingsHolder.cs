using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Hosting;

/// <summary>The live settings plus the startup values a reset returns to.</summary>
public sealed class SettingsHolder
{
    private readonly EmulatorSettings _initial;
    private EmulatorSettings _current;

    public SettingsHolder(EmulatorSettings initial)
    {
        _initial = initial.Clone();
        _current = initial.Clone();
    }

    public EmulatorSettings Current { get { lock (this) return _current.Clone(); } }

    /// <summary>Merges the given JSON properties into the settings (unknown names are an error).</summary>
    public EmulatorSettings Merge(JsonObject patch)
    {
        lock (this)
        {
            var merged = JsonSerializer.SerializeToNode(_current)!.AsObject();
            foreach (var (name, value) in patch)
            {
                var key = merged.Select(kv => kv.Key).FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException($"Unknown setting '{name}'. Known: {string.Join(", ", merged.Select(kv => kv.Key))}.");
                merged[key] = value?.DeepClone();
            }
            var next = merged.Deserialize<EmulatorSettings>()!;
            if (next.OperationDurationSeconds < 0 || next.RetryAfterSeconds < 0 || next.TokenLifetimeSeconds < 1)
            {
                throw new ArgumentException("Durations must be >= 0 and tokenLifetimeSeconds >= 1.");
            }
            if (next.PageSize < 1 || next.LatencyMilliseconds < 0 || next.ReadBucketCapacity < 1 || next.ReadRefillPerSecond <= 0)
            {
                throw new ArgumentException("pageSize and readBucketCapacity must be >= 1, latencyMilliseconds >= 0, readRefillPerSecond > 0.");
            }
            _current = next;
            return _current.Clone();
        }
    }

    public void Reset() { lock (this) _current = _initial.Clone(); }
}
