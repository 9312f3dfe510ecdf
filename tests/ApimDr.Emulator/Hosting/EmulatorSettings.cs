using System.Text.Json.Serialization;

namespace ApimDr.Emulator.Hosting;

/// <summary>Knobs tests turn through /_emulator/settings. Read on each request; changes apply to new operations.</summary>
public sealed class EmulatorSettings
{
    /// <summary>How long a backup, restore or service PUT runs (seconds, real time).</summary>
    [JsonPropertyName("operationDurationSeconds")] public double OperationDurationSeconds { get; set; } = 3;
    /// <summary>Overrides for one kind of operation; null = OperationDurationSeconds.</summary>
    [JsonPropertyName("backupDurationSeconds")] public double? BackupDurationSeconds { get; set; }
    [JsonPropertyName("restoreDurationSeconds")] public double? RestoreDurationSeconds { get; set; }
    [JsonPropertyName("putDurationSeconds")] public double? PutDurationSeconds { get; set; }
    /// <summary>Per service name: how long its backups and restores run (overrides the kind's duration), so one of several runs longer.</summary>
    [JsonPropertyName("serviceDurationSeconds")] public Dictionary<string, double>? ServiceDurationSeconds { get; set; }
    /// <summary>Retry-After (whole seconds) on 202 answers of backup/restore and their polls.</summary>
    [JsonPropertyName("retryAfterSeconds")] public int RetryAfterSeconds { get; set; } = 1;
    /// <summary>Lifetime of tokens the managed identity endpoint issues.</summary>
    [JsonPropertyName("tokenLifetimeSeconds")] public int TokenLifetimeSeconds { get; set; } = 3600;
    /// <summary>ARM read/write throttling (bucket 250, refill 25/s per subscription and principal).</summary>
    [JsonPropertyName("throttlingEnabled")] public bool ThrottlingEnabled { get; set; } = true;
    /// <summary>The read bucket's size and refill per second (ARM: 250 and 25); tests shrink them to see 429s during a snapshot.</summary>
    [JsonPropertyName("readBucketCapacity")] public double ReadBucketCapacity { get; set; } = 250;
    [JsonPropertyName("readRefillPerSecond")] public double ReadRefillPerSecond { get; set; } = 25;
    /// <summary>Items per page of a configuration list (apis, operations, …); small so clients must follow nextLink.</summary>
    [JsonPropertyName("pageSize")] public int PageSize { get; set; } = 3;
    /// <summary>Added to every ARM request before it is answered (the benchmark's 50 ms).</summary>
    [JsonPropertyName("latencyMilliseconds")] public int LatencyMilliseconds { get; set; }
    /// <summary>
    /// Backup/restore POSTs hand out "…/service/{name}//operationresults/…" (double slash); polls answer with the
    /// single-slash URL in Location, as in a recorded 2021 session. Both URLs keep working.
    /// </summary>
    [JsonPropertyName("locationChangesOnFirstPoll")] public bool LocationChangesOnFirstPoll { get; set; }

    public EmulatorSettings Clone() => (EmulatorSettings)MemberwiseClone();

    public TimeSpan DurationFor(string kind, string? service = null) => TimeSpan.FromSeconds(
        service != null && kind is "backup" or "restore" && ServiceDurationSeconds?.FirstOrDefault(kv => kv.Key.Equals(service, StringComparison.OrdinalIgnoreCase)) is { Key: not null } own ? own.Value : kind switch
    {
        "backup" => BackupDurationSeconds ?? OperationDurationSeconds,
        "restore" => RestoreDurationSeconds ?? OperationDurationSeconds,
        _ => PutDurationSeconds ?? OperationDurationSeconds,
    });
}
