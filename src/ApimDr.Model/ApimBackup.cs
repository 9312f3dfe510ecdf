using System;

namespace ApimDr
{
    /// <summary>
    /// One APIM backup in a storage container (output of Get-ApimBackup): the blob joined with the manifest
    /// ApimDr writes beside it. An entry still running (-IncludeInProgress) has no blob yet; it pipes into
    /// Wait-ApimOperation, which reads SourceServiceId, PollUrl and StartTime (ApimOperation.FromProperties).
    /// </summary>
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
        public string? SourceServiceName { get; set; }
        public string? SourceSku { get; set; }
        public int? SourceCapacity { get; set; }

        /// <summary>Succeeded, InProgress, Failed, Canceled or Unknown for a backup ApimDr recorded; empty for other tools' backups.</summary>
        public string? Status { get; set; }

        /// <summary>Whether ApimDr's manifest (&lt;BackupName&gt;.apimdr.json) is beside the backup.</summary>
        public bool HasManifest { get; set; }

        /// <summary>Whether the configuration snapshot taken before the backup (&lt;BackupName&gt;.apimdr-config.json) is beside it: what Restore-ApimService -Verify compares with.</summary>
        public bool HasSnapshot { get; set; }

        /// <summary>How many restores ApimDr started from this backup have not been seen to end (their in-use marks beside it): Remove-ApimBackup spares it while any is.</summary>
        public int ActiveRestores { get; set; }

        /// <summary>The backup operation's poll URL and start (from the manifest): what a wait resumes from.</summary>
        public Uri? PollUrl { get; set; }

        /// <summary>The backup operation's correlation id (from the manifest).</summary>
        public string? CorrelationId { get; set; }

        /// <summary>What the backup's end must still do (from the manifest): a wait it is piped into does it.</summary>
        public string[] FollowUps { get; set; } = Array.Empty<string>();

        /// <summary>On a verified replica: where it was copied from ("account/container/backupName"); null otherwise (a copy without its manifest is never a verified replica).</summary>
        public string? ReplicaOf { get; set; }

        /// <summary>On a source: its verified replicas ("account/container"), as its manifest records them.</summary>
        public string[] Replicas { get; set; } = Array.Empty<string>();

        /// <summary>The MD5 of the backup's bytes (base64) from its manifest, when ApimDr has computed it.</summary>
        public string? ContentMd5 { get; set; }

        /// <summary>The manifest as stored (null for another tool's backup).</summary>
        public ApimBackupManifest? Manifest { get; set; }
        public DateTime? StartTime { get; set; }
        public DateTime? EndTime { get; set; }

        /// <summary>The storage account's blob endpoint (binds to -BlobEndpoint down the pipeline).</summary>
        public Uri? BlobEndpoint { get; set; }

        /// <summary>The blob URL (never with a SAS or key); null while the backup has not finished (no blob yet).</summary>
        public Uri? Uri { get; set; }

        public override string ToString() => BackupName;
    }
}
