using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// The names of the blobs ApimDr writes beside a backup, and the manifest's JSON
    /// (<see cref="ApimBackupManifest"/>, the model type with its one factory): written from its properties,
    /// read back through <see cref="ApimBackupManifest.FromProperties"/>.
    /// </summary>
    public static class BackupManifest
    {
        public const string Suffix = ".apimdr.json";

        /// <summary>The configuration snapshot Backup-ApimService takes just before the POST, stored beside the backup.</summary>
        public const string SnapshotSuffix = ".apimdr-config.json";

        private static readonly JsonSerializerOptions WriteOptions = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        public static string NameFor(string backupName) => backupName + Suffix;

        public static string SnapshotNameFor(string backupName) => backupName + SnapshotSuffix;

        public static bool IsManifestName(string blobName) => blobName.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase);

        public static bool IsSnapshotName(string blobName) => blobName.EndsWith(SnapshotSuffix, StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// The in-use mark a restore leaves beside the backup it reads, one per restore:
        /// <c>&lt;backupName&gt;.apimdr-restore-&lt;correlation id&gt;.json</c>, holding the restore's operation record.
        /// </summary>
        public static string RestoreMarkerNameFor(string backupName, string correlationId) => backupName + RestoreMarkerInfix + correlationId + ".json";

        private const string RestoreMarkerInfix = ".apimdr-restore-";

        /// <summary>The backup a restore marker blob marks; null when the name is not a marker.</summary>
        public static string? BackupNameOfRestoreMarker(string blobName)
        {
            int at = blobName.LastIndexOf(RestoreMarkerInfix, StringComparison.OrdinalIgnoreCase);
            return at > 0 && blobName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? blobName.Substring(0, at) : null;
        }

        /// <summary>A blob ApimDr writes beside a backup (manifest, snapshot, restore mark): never a backup itself, never a backup's name.</summary>
        public static bool IsCompanionName(string blobName) => IsManifestName(blobName) || IsSnapshotName(blobName) || BackupNameOfRestoreMarker(blobName) != null || BackupTestHistory.IsHistoryName(blobName);

        /// <summary>The backup a manifest blob describes.</summary>
        public static string BackupNameOf(string manifestName) => manifestName.Substring(0, manifestName.Length - Suffix.Length);

        /// <summary>The manifest of a backup ARM just accepted (or, when none could be written then, of one a wait saw end).</summary>
        public static ApimBackupManifest ForStart(ApimOperation operation, ServiceInfo? source) => new ApimBackupManifest
        {
            BackupName = operation.BackupName,
            SourceServiceId = operation.ResourceId,
            SourceServiceName = operation.Name,
            SourceSku = string.IsNullOrEmpty(source?.SkuName) ? operation.Sku : source!.SkuName,
            SourceCapacity = source != null && source.SkuCapacity > 0 ? source.SkuCapacity : (int?)null,
            Location = string.IsNullOrEmpty(source?.Location) ? null : source!.Location,
            PlatformVersion = source?.PlatformVersion,
            PollUrl = operation.PollUrl,
            StartTime = operation.StartTime,
            Status = operation.Status,
            EndTime = operation.EndTime,
            CorrelationId = operation.CorrelationId,
            FollowUps = operation.FollowUps.ToArray(),
        };

        /// <summary>The end a wait saw: status, end time, the service's error code, and the follow-ups still to do.</summary>
        public static void RecordEnd(ApimBackupManifest manifest, ApimOperation operation)
        {
            manifest.Status = operation.Status;
            manifest.EndTime = operation.EndTime ?? DateTime.UtcNow;
            manifest.ErrorCode = operation.ErrorCode;
            manifest.FollowUps = operation.FollowUps.Where(f => f != ApimFollowUp.RecordEnd).ToArray();
        }

        public static string ToJson(ApimBackupManifest manifest) => JsonSerializer.Serialize(manifest, WriteOptions);

        /// <summary>
        /// The blob metadata name under which the manifest blob also carries its own record (docs/design.md, "Catalog in
        /// one listing"): a C# identifier, lower case (storage keeps the case, lookups ignore it).
        /// </summary>
        public const string MetadataName = "apimdrmanifest";

        /// <summary>
        /// The most the value may take: Azure counts every metadata name and value against 8 KB (8,192 bytes); this
        /// leaves room for the name and for metadata another tool may add.
        /// </summary>
        public const int MetadataValueLimit = 7 * 1024;

        private static readonly JsonSerializerOptions CompactOptions = new JsonSerializerOptions
        {
            WriteIndented = false,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        /// <summary>
        /// The manifest as blob metadata, written with the manifest blob in the same request so the listing
        /// (<c>include=metadata</c>) carries every manifest and no manifest needs a download of its own. The value is the
        /// same record as the blob's JSON — the compact JSON of the properties, base64 (metadata values must be ASCII;
        /// names, SKUs, URLs need not be) — read back through <see cref="FromMetadata"/>, i.e. what <see cref="Parse"/> reads with (JsonRead.ToRecord and
        /// <see cref="ApimBackupManifest.FromProperties"/>, from the decoded UTF-8): there is no second mapping of fields. Null when it would not
        /// fit the limit (a manifest with very many replicas): then the listing downloads that one manifest.
        /// </summary>
        public static IDictionary<string, string>? ToMetadata(ApimBackupManifest manifest)
        {
            string value = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(manifest, CompactOptions)));
            return value.Length <= MetadataValueLimit ? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [MetadataName] = value } : null;
        }

        /// <summary>
        /// The manifest a listing's metadata carries; null when there is none (written by an earlier ApimDr, or
        /// rewritten by one: a write replaces the metadata too) or it is not one — then the caller reads the blob itself.
        /// </summary>
        public static ApimBackupManifest? FromMetadata(IDictionary<string, string>? metadata)
        {
            if (metadata == null) return null;
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                if (!string.Equals(pair.Key, MetadataName, StringComparison.OrdinalIgnoreCase)) continue;
                try
                {
                    return Valid(JsonRead.ToRecord(Convert.FromBase64String(pair.Value ?? string.Empty), ApimBackupManifest.FromProperties));
                }
                catch (FormatException)
                {
                    return null;
                }
            }
            return null;
        }

        /// <summary>Reads a manifest; null when the text is not one (another tool's blob with our suffix, a torn write).</summary>
        public static ApimBackupManifest? Parse(string text) => Valid(JsonRead.ToRecord(text, ApimBackupManifest.FromProperties));

        private static ApimBackupManifest? Valid(ApimBackupManifest? manifest) => manifest != null && manifest.Schema == ApimBackupManifest.CurrentSchema ? manifest : null;
    }
}
