using System;
using System.Reflection;

namespace ApimDr
{
    /// <summary>
    /// The manifest ApimDr writes beside every backup it starts, as the blob <c>&lt;BackupName&gt;.apimdr.json</c>
    /// (docs/design.md, "Backup manifest"): the source service, its SKU, the operation, its end and the
    /// follow-ups still to do. It holds no secret: no key, no token, no SAS (a poll URL carries none).
    /// Like <see cref="ApimOperation"/>, <see cref="FromProperties"/> is the ONE way back from a stored shape
    /// (the JSON blob, read by the engine); the JSON is written from the properties themselves (camelCase),
    /// so adding a field is the property plus one line in <see cref="FromProperties"/>.
    /// </summary>
    public sealed class ApimBackupManifest
    {
        public const string CurrentSchema = "apimdr-backup-manifest/1";

        /// <summary>The format tag; a blob with another one is not read as a manifest.</summary>
        public string Schema { get; set; } = CurrentSchema;
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

        /// <summary>The backup operation's correlation id (the journal's key), so a wait driven by the catalog also clears the journal.</summary>
        public string? CorrelationId { get; set; }

        /// <summary>What the backup's end must still do (<see cref="ApimFollowUp"/>); a wait that runs one removes it.</summary>
        public string[] FollowUps { get; set; } = Array.Empty<string>();

        /// <summary>The MD5 of the backup's bytes (base64), computed once by streaming them; what every replica and restore is checked against.</summary>
        public string? ContentMd5 { get; set; }

        /// <summary>When the backup blob was first created: a replica keeps its source's, since APIM's 30-day limit runs from the backup, not the copy.</summary>
        public DateTime? BackupCreated { get; set; }

        /// <summary>On a replica: where it was copied from ("account/container/backupName").</summary>
        public string? ReplicaOf { get; set; }

        /// <summary>When this replica was copied and verified.</summary>
        public DateTime? ReplicatedAt { get; set; }

        /// <summary>On a source: its verified replicas ("account/container").</summary>
        public string[] Replicas { get; set; } = Array.Empty<string>();
        public string ApimDrVersion { get; set; } = CurrentVersion;

        public static ApimBackupManifest FromProperties(Func<string, object?> property)
        {
            if (property == null) throw new ArgumentNullException(nameof(property));
            string? Text(string name) => PropertyValues.Text(property(name));
            return new ApimBackupManifest
            {
                Schema = Text(nameof(Schema)) ?? string.Empty,
                BackupName = Text(nameof(BackupName)) ?? string.Empty,
                SourceServiceId = Text(nameof(SourceServiceId)) ?? string.Empty,
                SourceServiceName = Text(nameof(SourceServiceName)) ?? string.Empty,
                SourceSku = Text(nameof(SourceSku)),
                SourceCapacity = PropertyValues.Int(property(nameof(SourceCapacity))),
                Location = Text(nameof(Location)),
                PlatformVersion = Text(nameof(PlatformVersion)),
                PollUrl = PropertyValues.Url(property(nameof(PollUrl))) is Uri poll && poll.IsAbsoluteUri ? poll : null,
                StartTime = PropertyValues.Time(property(nameof(StartTime))) ?? DateTime.MinValue,
                Status = Text(nameof(Status)) ?? ApimOperation.Unknown,
                EndTime = PropertyValues.Time(property(nameof(EndTime))),
                ErrorCode = Text(nameof(ErrorCode)),
                CorrelationId = Text(nameof(CorrelationId)),
                FollowUps = PropertyValues.Strings(property(nameof(FollowUps))),
                ContentMd5 = Text(nameof(ContentMd5)),
                BackupCreated = PropertyValues.Time(property(nameof(BackupCreated))),
                ReplicaOf = Text(nameof(ReplicaOf)),
                ReplicatedAt = PropertyValues.Time(property(nameof(ReplicatedAt))),
                Replicas = PropertyValues.Strings(property(nameof(Replicas))),
                ApimDrVersion = Text(nameof(ApimDrVersion)) ?? string.Empty,
            };
        }

        /// <summary>This ApimDr version, stamped on every stored record (manifests, test results).</summary>
        internal static readonly string CurrentVersion =
            typeof(ApimBackupManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? typeof(ApimBackupManifest).Assembly.GetName().Version?.ToString() ?? "unknown";
    }
}
