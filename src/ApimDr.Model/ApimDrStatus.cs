using System;

namespace ApimDr
{
    /// <summary>
    /// The DR posture of one source service (output of Get-ApimDrStatus), from storage alone: its newest
    /// restorable backup, its newest verified replica, how long they stay restorable, its last test (the drill
    /// history beside the backups) and whether that meets the targets given (<see cref="Issues"/>).
    /// </summary>
    public sealed class ApimDrStatus
    {
        public string SourceServiceName { get; set; } = string.Empty;
        public string SourceServiceId { get; set; } = string.Empty;

        /// <summary>The newest restorable backup (Succeeded, not expired) in the primary container; null: none.</summary>
        public string? LatestBackupName { get; set; }
        public DateTime? LatestBackupTime { get; set; }
        public TimeSpan? LatestBackupAge { get; set; }

        /// <summary>The newest restorable verified replica (the replica container, or the source manifests' record of one).</summary>
        public string? LatestReplicaName { get; set; }
        public DateTime? LatestReplicaTime { get; set; }
        public TimeSpan? LatestReplicaAge { get; set; }

        /// <summary>Days until the newest restorable backup (or replica) reaches APIM's 30-day limit; null: nothing restorable.</summary>
        public double? RestorableDaysLeft { get; set; }

        /// <summary>The newest Test-ApimBackup result recorded for this service (null: never tested).</summary>
        public ApimBackupTestResult? LastTest { get; set; }
        public DateTime? LastTestTime { get; set; }
        public string? LastTestResult { get; set; }
        public TimeSpan? LastTestRto { get; set; }

        public bool IsHealthy { get; set; }

        /// <summary>What made it unhealthy against the targets given (empty when healthy).</summary>
        public string[] Issues { get; set; } = Array.Empty<string>();

        public override string ToString() => IsHealthy ? $"{SourceServiceName}: healthy" : $"{SourceServiceName}: {string.Join("; ", Issues)}";
    }
}
