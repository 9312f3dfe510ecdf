using System;

namespace ApimDr
{
    /// <summary>One APIM backup blob in a storage container (output of Get-ApimBackup).</summary>
    public sealed class ApimBackup
    {
        public string StorageAccountName { get; set; } = string.Empty;
        public string ContainerName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;
        public DateTime Created { get; set; }

        /// <summary>APIM refuses to restore a backup 30 days after it was created.</summary>
        public DateTime ExpiresOn { get; set; }

        public bool IsExpired => ExpiresOn <= DateTime.UtcNow;
        public long SizeBytes { get; set; }
        public string? SourceServiceId { get; set; }
        public string? SourceSku { get; set; }

        /// <summary>The storage account's blob endpoint (binds to -BlobEndpoint down the pipeline).</summary>
        public Uri? BlobEndpoint { get; set; }

        /// <summary>The blob URL (never with a SAS or key).</summary>
        public Uri? Uri { get; set; }

        public override string ToString() => BackupName;
    }
}
