using System;

namespace ApimDr
{
    /// <summary>
    /// One tested backup (output of Test-ApimBackup, one per source service): the newest restorable backup
    /// restored into a standby and verified against its snapshot, with the drill's numbers (RTO, RPO). The
    /// same record is the drill history stored beside the backups (<c>apimdr-history/&lt;source&gt;/…json</c>),
    /// read by Get-ApimDrStatus. It holds no secret: names, ids, times, counts and carry-over property paths
    /// only (no value). Like <see cref="ApimBackupManifest"/>, <see cref="FromProperties"/> is the ONE way back
    /// from a stored shape, so a new field is the property plus one line there.
    /// </summary>
    public sealed class ApimBackupTestResult
    {
        public const string CurrentSchema = "apimdr-backup-test/1";
        public const string Succeeded = "Succeeded";
        public const string Failed = "Failed";

        /// <summary>The format tag; a blob with another one is not read as a test result.</summary>
        public string Schema { get; set; } = CurrentSchema;
        public string SourceServiceName { get; set; } = string.Empty;
        public string SourceServiceId { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;

        /// <summary>Where the tested backup was read ("account/container").</summary>
        public string BackupLocation { get; set; } = string.Empty;

        /// <summary>Whether the tested backup is a verified replica (another account, another region).</summary>
        public bool IsReplica { get; set; }

        /// <summary>When the backup was taken (its operation's start; else the blob's creation).</summary>
        public DateTime? BackupTime { get; set; }
        public string? TargetServiceId { get; set; }
        public string? TargetServiceName { get; set; }

        /// <summary>Succeeded (restored AND verified equal to the snapshot) or Failed.</summary>
        public string Result { get; set; } = Failed;

        /// <summary>The restore operation's status (Succeeded, Failed, Canceled, InProgress when the wait stopped); null when none was started.</summary>
        public string? RestoreStatus { get; set; }

        /// <summary>The restored service matched the backup's snapshot (no restorable difference).</summary>
        public bool IsVerified { get; set; }

        /// <summary>Restorable properties that differ from the snapshot (null: not verified).</summary>
        public int? Differences { get; set; }

        /// <summary>What the restore does not carry by design, to set on the standby ("kind/name property"; no value).</summary>
        public string[] CarryOver { get; set; } = Array.Empty<string>();

        /// <summary>Recovery time measured: the restore's start to the standby verified.</summary>
        public TimeSpan? Rto { get; set; }

        /// <summary>Recovery point: how old the tested backup was when the test ended.</summary>
        public TimeSpan? Rpo { get; set; }
        public DateTime StartTime { get; set; }
        public DateTime EndTime { get; set; }

        /// <summary>Why it failed: the ErrorId of the non-terminating error written with it (docs/errors.md).</summary>
        public string? ErrorId { get; set; }
        public string? Message { get; set; }

        /// <summary>The restore operation's correlation id (support tickets, the journal).</summary>
        public string? CorrelationId { get; set; }
        public string ApimDrVersion { get; set; } = ApimBackupManifest.CurrentVersion;   // the one version stamp of the stored records

        public bool IsSucceeded => string.Equals(Result, Succeeded, StringComparison.OrdinalIgnoreCase);

        public static ApimBackupTestResult FromProperties(Func<string, object?> property)
        {
            if (property == null) throw new ArgumentNullException(nameof(property));
            string? Text(string name) => PropertyValues.Text(property(name));
            return new ApimBackupTestResult
            {
                Schema = Text(nameof(Schema)) ?? string.Empty,
                SourceServiceName = Text(nameof(SourceServiceName)) ?? string.Empty,
                SourceServiceId = Text(nameof(SourceServiceId)) ?? string.Empty,
                BackupName = Text(nameof(BackupName)) ?? string.Empty,
                BackupLocation = Text(nameof(BackupLocation)) ?? string.Empty,
                IsReplica = PropertyValues.Bool(property(nameof(IsReplica))) ?? false,
                BackupTime = PropertyValues.Time(property(nameof(BackupTime))),
                TargetServiceId = Text(nameof(TargetServiceId)),
                TargetServiceName = Text(nameof(TargetServiceName)),
                Result = Text(nameof(Result)) ?? Failed,
                RestoreStatus = Text(nameof(RestoreStatus)),
                IsVerified = PropertyValues.Bool(property(nameof(IsVerified))) ?? false,
                Differences = PropertyValues.Int(property(nameof(Differences))),
                CarryOver = PropertyValues.Strings(property(nameof(CarryOver))),
                Rto = PropertyValues.Duration(property(nameof(Rto))),
                Rpo = PropertyValues.Duration(property(nameof(Rpo))),
                StartTime = PropertyValues.Time(property(nameof(StartTime))) ?? DateTime.MinValue,
                EndTime = PropertyValues.Time(property(nameof(EndTime))) ?? DateTime.MinValue,
                ErrorId = Text(nameof(ErrorId)),
                Message = Text(nameof(Message)),
                CorrelationId = Text(nameof(CorrelationId)),
                ApimDrVersion = Text(nameof(ApimDrVersion)) ?? string.Empty,
            };
        }

        public override string ToString() => IsSucceeded
            ? $"{SourceServiceName}: {BackupName} restored into {TargetServiceName} and verified (RTO {Rto:hh\\:mm\\:ss}, RPO {Rpo:d\\.hh\\:mm})"
            : $"{SourceServiceName}: test of {(BackupName.Length > 0 ? BackupName : "its backup")} failed ({ErrorId}): {Message}";
    }
}
