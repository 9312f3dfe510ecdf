using System;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Text;
using System.Text.Json;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// What ApimDr writes beside every backup it starts, as the blob <c>&lt;backupName&gt;.apimdr.json</c>
    /// (docs/design.md, "Backup manifest"): the source service, its SKU, the operation and its end.
    /// It holds no secret: no key, no token, no SAS (a poll URL carries none).
    /// </summary>
    public sealed class BackupManifest
    {
        public const string Suffix = ".apimdr.json";
        public const string Schema = "apimdr-backup-manifest/1";

        public string BackupName { get; set; } = string.Empty;
        public string SourceServiceId { get; set; } = string.Empty;
        public string SourceServiceName { get; set; } = string.Empty;
        public string? SourceSku { get; set; }
        public int? SourceCapacity { get; set; }
        public string? Location { get; set; }
        public string? PlatformVersion { get; set; }
        public Uri? PollUrl { get; set; }
        public DateTime StartTime { get; set; }

        /// <summary>InProgress when written; the final status (Succeeded, Failed, Canceled) when a wait saw the end.</summary>
        public string Status { get; set; } = ApimOperation.InProgress;
        public DateTime? EndTime { get; set; }
        public string? ErrorCode { get; set; }
        public string ApimDrVersion { get; set; } = CurrentVersion;

        /// <summary>The configuration snapshot Backup-ApimService takes just before the POST, stored beside the backup.</summary>
        public const string SnapshotSuffix = ".apimdr-config.json";

        public static string NameFor(string backupName) => backupName + Suffix;

        public static string SnapshotNameFor(string backupName) => backupName + SnapshotSuffix;

        public static bool IsManifestName(string blobName) => blobName.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase);

        public static bool IsSnapshotName(string blobName) => blobName.EndsWith(SnapshotSuffix, StringComparison.OrdinalIgnoreCase);

        /// <summary>A blob ApimDr writes beside a backup (manifest or snapshot): never a backup itself, never a backup's name.</summary>
        public static bool IsCompanionName(string blobName) => IsManifestName(blobName) || IsSnapshotName(blobName);

        /// <summary>The backup a manifest blob describes.</summary>
        public static string BackupNameOf(string manifestName) => manifestName.Substring(0, manifestName.Length - Suffix.Length);

        public static BackupManifest ForStart(ApimOperation operation, ServiceInfo source) => new BackupManifest
        {
            BackupName = operation.BackupName,
            SourceServiceId = operation.ResourceId,
            SourceServiceName = operation.Name,
            SourceSku = string.IsNullOrEmpty(source.SkuName) ? null : source.SkuName,
            SourceCapacity = source.SkuCapacity > 0 ? source.SkuCapacity : (int?)null,
            Location = string.IsNullOrEmpty(source.Location) ? null : source.Location,
            PlatformVersion = source.PlatformVersion,
            PollUrl = operation.PollUrl,
            StartTime = operation.StartTime,
            Status = operation.Status,
            EndTime = operation.EndTime,
        };

        /// <summary>The end a wait saw: status, end time and the service's error code.</summary>
        public void RecordEnd(ApimOperation operation)
        {
            Status = operation.Status;
            EndTime = operation.EndTime ?? DateTime.UtcNow;
            ErrorCode = operation.ErrorCode;
        }

        public string ToJson()
        {
            using var stream = new MemoryStream();
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("schema", Schema);
                json.WriteString("backupName", BackupName);
                json.WriteString("sourceServiceId", SourceServiceId);
                json.WriteString("sourceServiceName", SourceServiceName);
                WriteOptional(json, "sourceSku", SourceSku);
                if (SourceCapacity.HasValue) json.WriteNumber("sourceCapacity", SourceCapacity.Value);
                WriteOptional(json, "location", Location);
                WriteOptional(json, "platformVersion", PlatformVersion);
                WriteOptional(json, "pollUrl", PollUrl?.OriginalString);
                json.WriteString("startTime", ToUtc(StartTime));
                json.WriteString("status", Status);
                if (EndTime.HasValue) json.WriteString("endTime", ToUtc(EndTime.Value));
                WriteOptional(json, "errorCode", ErrorCode);
                json.WriteString("apimDrVersion", ApimDrVersion);
                json.WriteEndObject();
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        /// <summary>Reads a manifest; null when the text is not one (another tool's blob with our suffix, a torn write).</summary>
        public static BackupManifest? Parse(string text)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(text);
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || JsonRead.GetString(root, "schema") != Schema) return null;
                var manifest = new BackupManifest
                {
                    BackupName = JsonRead.GetString(root, "backupName") ?? string.Empty,
                    SourceServiceId = JsonRead.GetString(root, "sourceServiceId") ?? string.Empty,
                    SourceServiceName = JsonRead.GetString(root, "sourceServiceName") ?? string.Empty,
                    SourceSku = JsonRead.GetString(root, "sourceSku"),
                    Location = JsonRead.GetString(root, "location"),
                    PlatformVersion = JsonRead.GetString(root, "platformVersion"),
                    PollUrl = Uri.TryCreate(JsonRead.GetString(root, "pollUrl"), UriKind.Absolute, out Uri? poll) ? poll : null,
                    StartTime = Time(JsonRead.GetString(root, "startTime")) ?? DateTime.MinValue,
                    Status = JsonRead.GetString(root, "status") ?? ApimOperation.Unknown,
                    EndTime = Time(JsonRead.GetString(root, "endTime")),
                    ErrorCode = JsonRead.GetString(root, "errorCode"),
                    ApimDrVersion = JsonRead.GetString(root, "apimDrVersion") ?? string.Empty,
                };
                if (JsonRead.TryGetProperty(root, "sourceCapacity", out JsonElement capacity) && capacity.ValueKind == JsonValueKind.Number && capacity.TryGetInt32(out int c))
                {
                    manifest.SourceCapacity = c;
                }
                return manifest;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
        {
            if (!string.IsNullOrEmpty(value)) json.WriteString(name, value);
        }

        private static string ToUtc(DateTime time)
            => DateTime.SpecifyKind(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time, DateTimeKind.Utc).ToString("o", CultureInfo.InvariantCulture);

        private static DateTime? Time(string? text)
            => DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime t) ? t : (DateTime?)null;

        private static readonly string CurrentVersion =
            typeof(BackupManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? typeof(BackupManifest).Assembly.GetName().Version?.ToString() ?? "unknown";
    }
}
