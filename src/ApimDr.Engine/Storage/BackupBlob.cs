using System;

namespace ApimDr.Engine.Storage
{
    /// <summary>One backup blob as the catalog reads it: plain data the cmdlet layer maps to ApimDr.ApimBackup.</summary>
    public sealed class BackupBlob
    {
        public string StorageAccountName { get; set; } = string.Empty;
        public string ContainerName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;
        public DateTimeOffset Created { get; set; }
        public long SizeBytes { get; set; }
        public string? SourceServiceId { get; set; }
        public string? SourceSku { get; set; }
        public Uri? Uri { get; set; }
        public Uri? BlobEndpoint { get; set; }

        public DateTimeOffset ExpiresOn => Created + BackupMetadata.Lifetime;
    }
}
