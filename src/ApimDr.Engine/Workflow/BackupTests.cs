using System;
using System.Collections.Generic;
using System.Linq;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Workflow
{
    /// <summary>
    /// The rules of Test-ApimBackup that need no service (xunit-tested with a fixed clock): which backup of a
    /// source is tested, which target each source goes to (refused before any request when two sources share
    /// one), and the result record built from the restore and its verification. The restore itself is
    /// Restore-ApimService's (pre-flight, POST, the Verify follow-up, the one wait).
    /// </summary>
    public static class BackupTests
    {
        /// <summary>Succeeded, with its blob, a known source, not expired: what APIM can restore now.</summary>
        public static bool IsRestorable(ApimBackup backup, DateTime now)
            => backup.Uri != null && !string.IsNullOrEmpty(backup.SourceServiceId) && backup.ExpiresOn > now
               && string.Equals(backup.Status, ApimOperation.Succeeded, StringComparison.OrdinalIgnoreCase);

        /// <summary>"account/container/backupName": what a replica's ReplicaOf names.</summary>
        public static string PathOf(ApimBackup backup) => $"{backup.StorageAccountName}/{backup.ContainerName}/{backup.BackupName}";

        /// <summary>
        /// Per source service (by resource id, in first-seen order): the backup to test — <paramref name="backupName"/>
        /// when given, else the newest restorable one — and, when <paramref name="replicas"/> holds a restorable
        /// verified replica of it, that replica instead (it proves the second region). A source with backups but
        /// none restorable gets a null backup (a Failed test: NoRestorableBackup).
        /// </summary>
        public static IReadOnlyList<(string SourceServiceId, string SourceServiceName, ApimBackup? Backup)> Choose(
            IEnumerable<ApimBackup> candidates, IEnumerable<ApimBackup>? replicas, string? backupName, DateTime now)
        {
            List<ApimBackup> replicaList = replicas?.Where(r => r.ReplicaOf != null && IsRestorable(r, now)).ToList() ?? new List<ApimBackup>();
            var chosen = new List<(string, string, ApimBackup?)>();
            foreach (IGrouping<string, ApimBackup> source in candidates.Where(b => !string.IsNullOrEmpty(b.SourceServiceId))
                         .GroupBy(b => b.SourceServiceId!.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
            {
                ApimBackup? pick = source
                    .Where(b => IsRestorable(b, now) && (string.IsNullOrEmpty(backupName) || string.Equals(b.BackupName, backupName, StringComparison.Ordinal)))
                    .OrderByDescending(b => b.StartTime ?? b.Created).ThenByDescending(b => b.Created).FirstOrDefault();
                if (pick != null && pick.ReplicaOf == null)
                {
                    pick = replicaList.FirstOrDefault(r => string.Equals(r.ReplicaOf, PathOf(pick), StringComparison.OrdinalIgnoreCase)) ?? pick;
                }
                string name = source.Select(b => b.SourceServiceName).FirstOrDefault(n => !string.IsNullOrEmpty(n)) ?? source.Key.Substring(source.Key.LastIndexOf('/') + 1);
                chosen.Add((source.Key, name, pick));
            }
            return chosen;
        }

        /// <summary>
        /// The target of each source: <paramref name="targetFor"/> (the -TargetMap entry, or the one -TargetName).
        /// Refused as a whole, before any request: a source without a target (BackupTestTargetRequired), or two
        /// sources restored into one service — one restore would replace the other (BackupTestTargetConflict).
        /// </summary>
        public static IReadOnlyDictionary<string, ServiceId> Targets(IReadOnlyList<(string SourceServiceId, string SourceServiceName)> sources, Func<string, string, ServiceId?> targetFor)
        {
            var targets = new Dictionary<string, ServiceId>(StringComparer.OrdinalIgnoreCase);
            foreach ((string id, string name) in sources)
            {
                ServiceId target = targetFor(id, name) ?? throw ApimDrException.InvalidArgument(ErrorIds.BackupTestTargetRequired,
                    $"No target for source service '{name}': give -TargetName (one source) or a -TargetMap entry @{{ {name} = '<standby>' }}. Nothing was started.", id);
                targets[id] = target;
            }
            foreach (IGrouping<ServiceId, string> shared in targets.GroupBy(t => t.Value, t => t.Key).Where(g => g.Count() > 1))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.BackupTestTargetConflict,
                    $"Sources {string.Join(", ", shared.Select(s => "'" + s.Substring(s.LastIndexOf('/') + 1) + "'"))} would all be restored into '{shared.Key.Name}': each source needs a target of its own (one restore replaces the other). Nothing was started; give each its own target in -TargetMap.", shared.Key.ResourceId);
            }
            return targets;
        }

        /// <summary>The result of one source as it starts (the backup to test, the target, the start time).</summary>
        public static ApimBackupTestResult Begin(string sourceServiceId, string sourceServiceName, ApimBackup? backup, ServiceId? target, DateTime now) => new ApimBackupTestResult
        {
            SourceServiceId = sourceServiceId,
            SourceServiceName = sourceServiceName,
            BackupName = backup?.BackupName ?? string.Empty,
            BackupLocation = backup == null ? string.Empty : $"{backup.StorageAccountName}/{backup.ContainerName}",
            IsReplica = backup?.ReplicaOf != null,
            BackupTime = backup == null ? (DateTime?)null : backup.StartTime ?? backup.Created,
            TargetServiceId = target?.ResourceId,
            TargetServiceName = target?.Name,
            StartTime = now,
        };

        /// <summary>
        /// Ends a result: Succeeded only when the restore succeeded AND its verification found no restorable
        /// difference; otherwise Failed with the ErrorId of the error written with it. RTO runs from the restore's
        /// start to now (verified); RPO is the backup's age now.
        /// </summary>
        public static ApimBackupTestResult Complete(ApimBackupTestResult result, ApimOperation? restore, ApimRestoreVerification? verification, ApimDrException? failure, DateTime now)
        {
            result.EndTime = now;
            result.RestoreStatus = restore?.Status;
            result.CorrelationId = restore?.CorrelationId;
            if (result.BackupTime is DateTime taken) result.Rpo = now - taken;
            if (verification != null)
            {
                result.IsVerified = verification.IsEqual;
                result.Differences = verification.Differences.Count;
                result.CarryOver = verification.CarryOver.Select(d => $"{d.Name} {d.Property}".Trim()).Distinct(StringComparer.Ordinal).ToArray();
            }
            bool succeeded = failure == null && verification != null && verification.IsEqual
                             && string.Equals(restore?.Status, ApimOperation.Succeeded, StringComparison.OrdinalIgnoreCase);
            if (succeeded && restore != null) result.Rto = now - restore.StartTime;
            result.Result = succeeded ? ApimBackupTestResult.Succeeded : ApimBackupTestResult.Failed;
            result.ErrorId = failure?.ErrorId;
            result.Message = failure?.Message;
            return result;
        }

        /// <summary>A restore that succeeded but could not be verified (no snapshot, storage refused): the test cannot pass.</summary>
        public static ApimDrException NotVerified(ApimOperation restore, string why)
            => new ApimDrException(ErrorIds.RestoreNotVerified, ApimErrorCategory.InvalidResult,
                $"The restore of '{restore.BackupName}' into '{restore.Name}' succeeded, but it could not be verified against the backup's snapshot ({why}), so the test did not pass.", restore.ResourceId);

        /// <summary>A source with backups but none restorable (all failed, in progress or older than 30 days).</summary>
        public static ApimDrException NothingRestorable(string sourceServiceId, string sourceServiceName, string where, string? backupName)
            => new ApimDrException(ErrorIds.NoRestorableBackup, ApimErrorCategory.ObjectNotFound,
                string.IsNullOrEmpty(backupName)
                    ? $"Service '{sourceServiceName}' has no restorable backup in '{where}' (none Succeeded and younger than 30 days): it cannot be recovered from there. Take a backup (Backup-ApimService)."
                    : $"Backup '{backupName}' of service '{sourceServiceName}' is not restorable in '{where}' (not there, not Succeeded, or older than 30 days).", sourceServiceId);
    }
}
