using System;

namespace ApimDr
{
    /// <summary>
    /// A backup or restore operation on an APIM service (output of Backup-/Restore-ApimService and
    /// Wait-ApimOperation). Plain data with no secret: it survives Export-Clixml / ConvertTo-Json and
    /// Wait-ApimOperation accepts it back, in this or another process.
    /// </summary>
    public sealed class ApimOperation
    {
        public string Kind { get; set; } = string.Empty;
        public string Status { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string ResourceGroupName { get; set; } = string.Empty;
        public string SubscriptionId { get; set; } = string.Empty;
        public string ResourceId { get; set; } = string.Empty;
        public string StorageAccountName { get; set; } = string.Empty;
        public string ContainerName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;
        public string AccessType { get; set; } = string.Empty;
        public DateTime StartTime { get; set; }
        public DateTime? EndTime { get; set; }

        /// <summary>How long it ran (to EndTime, or until now while in progress).</summary>
        public TimeSpan Duration => (EndTime ?? DateTime.UtcNow) - StartTime;

        /// <summary>The ARM URL to poll (Location or Azure-AsyncOperation), byte for byte as the service sent it.</summary>
        public Uri? PollUrl { get; set; }
        public string PollStyle { get; set; } = "Location";

        /// <summary>When the service said to check again (its Retry-After); a resumed wait does not poll earlier.</summary>
        public DateTime? NextPollAt { get; set; }
        public Uri? ResourceManagerUrl { get; set; }
        public string CorrelationId { get; set; } = string.Empty;
        public string? ErrorCode { get; set; }
        public string? ErrorMessage { get; set; }
        public string? Sku { get; set; }

        public override string ToString() => $"{Kind} {Name} {Status}";
    }
}
