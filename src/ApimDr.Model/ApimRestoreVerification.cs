using System;
using System.Collections.Generic;

namespace ApimDr
{
    /// <summary>
    /// Restore-ApimService -Verify: the restored service compared with the configuration snapshot taken
    /// just before the backup. <see cref="Differences"/> are restorable entities that differ (expected:
    /// none); <see cref="CarryOver"/> lists every setting a restore does not carry by design (hostnames,
    /// identity, VNet, protocols/ciphers, SKU…), the backup's source value beside the target's.
    /// </summary>
    public sealed class ApimRestoreVerification
    {
        public string ServiceId { get; set; } = string.Empty;
        public string ServiceName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;

        /// <summary>The service the backup (and its snapshot) came from.</summary>
        public string SourceServiceName { get; set; } = string.Empty;
        public DateTime SnapshotTakenAt { get; set; }
        public DateTime VerifiedAt { get; set; }

        /// <summary>No restorable entity added, removed or changed.</summary>
        public bool IsEqual { get; set; }
        public int EntityCount { get; set; }
        public List<ApimConfigurationDifference> Differences { get; set; } = new List<ApimConfigurationDifference>();
        public List<ApimConfigurationDifference> CarryOver { get; set; } = new List<ApimConfigurationDifference>();

        public override string ToString() => IsEqual
            ? $"{ServiceName} matches the snapshot of {SourceServiceName} ({EntityCount} entities); {CarryOver.Count} settings to carry over"
            : $"{ServiceName} differs from the snapshot of {SourceServiceName} in {Differences.Count} properties";
    }
}
