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

        /// <summary>
        /// "Backup prod Succeeded"; while it may still run, also the command that resumes the wait, so a
        /// redirected Information stream (6&gt;file) or a transcript alone is enough to resume it.
        /// </summary>
        public override string ToString()
        {
            bool final = Status == "Succeeded" || Status == "Failed" || Status == "Canceled";
            if (final || PollUrl == null) return $"{Kind} {Name} {Status}";
            string endpoint = ResourceManagerUrl == null ? string.Empty : $" -ResourceManagerUrl '{ResourceManagerUrl.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped)}'";
            return $"{Kind} {Name} {Status}; resume: Wait-ApimOperation -Kind {Kind} -ResourceId '{ResourceId}' -PollUrl '{PollUrl.AbsoluteUri}'{endpoint}";
        }
    }
}
