using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Workflow
{
    /// <summary>The targets Get-ApimDrStatus checks; a null (false) target is not checked.</summary>
    public sealed class DrTargets
    {
        /// <summary>The RPO target: the newest restorable backup (or replica) may be at most this old.</summary>
        public TimeSpan? MaxBackupAge { get; set; }
        public bool RequireReplica { get; set; }

        /// <summary>The last test must have ended at most this long ago.</summary>
        public TimeSpan? MaxTestAge { get; set; }

        /// <summary>The newest restorable backup must stay restorable at least this many more days.</summary>
        public double? MinRestorableDays { get; set; }

        /// <summary>Refuses a target under one second (InvalidRetentionRule): a bare number binds as ticks.</summary>
        public static void RefuseUnderOneSecond(TimeSpan? age, string parameter)
        {
            if (age is TimeSpan value && value < TimeSpan.FromSeconds(1))
            {
                throw new ApimDrException(ErrorIds.InvalidRetentionRule, ApimErrorCategory.InvalidArgument,
                    $"{parameter} must be at least one second ({value} given; a bare number binds as ticks: use '1.00:00:00' or (New-TimeSpan -Hours 24)).", parameter);
            }
        }
    }

    /// <summary>
    /// Get-ApimDrStatus's rules, from storage alone (xunit-tested with a fixed clock): one row per source
    /// service of the catalog(s), what can be restored and how old it is, the last test from the drill
    /// history, and the issues against the targets. A last test that failed is always an issue, and so is a
    /// container that could not be read (<c>unreadable</c>: the other one's rows are still computed).
    /// </summary>
    public static class DrPosture
    {
        public static IReadOnlyList<ApimDrStatus> Compute(IEnumerable<ApimBackup> primary, IEnumerable<ApimBackup>? replicas,
            IEnumerable<ApimBackupTestResult> history, DrTargets targets, DateTime now, IReadOnlyList<string>? unreadable = null)
        {
            List<ApimBackup> own = primary.Where(b => b.ReplicaOf == null && !string.IsNullOrEmpty(b.SourceServiceId)).ToList();
            List<ApimBackup> copies = replicas?.Where(b => b.ReplicaOf != null && !string.IsNullOrEmpty(b.SourceServiceId)).ToList() ?? new List<ApimBackup>();
            List<ApimBackupTestResult> tests = history.ToList();
            var rows = new List<ApimDrStatus>();
            foreach (IGrouping<string, ApimBackup> source in own.Concat(copies).GroupBy(b => b.SourceServiceId!.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
            {
                ApimBackup? latest = Newest(own.Where(b => Same(b, source.Key) && BackupTests.IsRestorable(b, now)));
                // Without the replica container, the source manifests' record of a verified replica stands for it.
                ApimBackup? replica = replicas != null
                    ? Newest(copies.Where(b => Same(b, source.Key) && BackupTests.IsRestorable(b, now)))
                    : Newest(own.Where(b => Same(b, source.Key) && BackupTests.IsRestorable(b, now) && b.Replicas.Length > 0));
                ApimBackupTestResult? last = tests.Where(t => string.Equals(t.SourceServiceId.TrimEnd('/'), source.Key, StringComparison.OrdinalIgnoreCase))
                    .OrderByDescending(t => t.EndTime).FirstOrDefault();
                var row = new ApimDrStatus
                {
                    SourceServiceId = source.Key,
                    SourceServiceName = source.Select(b => b.SourceServiceName).FirstOrDefault(n => !string.IsNullOrEmpty(n)) ?? source.Key.Substring(source.Key.LastIndexOf('/') + 1),
                    LatestBackupName = latest?.BackupName,
                    LatestBackupTime = latest == null ? (DateTime?)null : TimeOf(latest),
                    LatestBackupAge = latest == null ? (TimeSpan?)null : now - TimeOf(latest),
                    LatestReplicaName = replica?.BackupName,
                    LatestReplicaTime = replica == null ? (DateTime?)null : TimeOf(replica),
                    LatestReplicaAge = replica == null ? (TimeSpan?)null : now - TimeOf(replica),
                    LastTest = last,
                    LastTestTime = last?.EndTime,
                    LastTestResult = last?.Result,
                    LastTestRto = last?.Rto,
                };
                ApimBackup? restorable = Newest(new[] { latest, replica }.Where(b => b != null)!);
                if (restorable != null) row.RestorableDaysLeft = Math.Round((restorable.ExpiresOn - now).TotalDays, 2);
                row.Issues = (unreadable ?? Array.Empty<string>()).Concat(Issues(row, restorable, targets, now)).ToArray();
                row.IsHealthy = row.Issues.Length == 0;
                rows.Add(row);
            }
            return rows.OrderBy(r => r.SourceServiceName, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.SourceServiceId, StringComparer.OrdinalIgnoreCase).ToList();
        }

        private static IEnumerable<string> Issues(ApimDrStatus row, ApimBackup? restorable, DrTargets targets, DateTime now)
        {
            if (restorable == null)
            {
                yield return "no restorable backup (none Succeeded and younger than 30 days)";
            }
            else
            {
                TimeSpan age = now - TimeOf(restorable);
                if (targets.MaxBackupAge is TimeSpan maxAge && age > maxAge) yield return $"newest restorable backup is {Show(age)} old, over -MaxBackupAge {Show(maxAge)}";
                if (targets.MinRestorableDays is double minDays && row.RestorableDaysLeft < minDays)
                {
                    yield return $"newest restorable backup expires in {row.RestorableDaysLeft?.ToString("0.##", CultureInfo.InvariantCulture)} days, under -MinRestorableDays {minDays.ToString(CultureInfo.InvariantCulture)}";
                }
            }
            if (targets.RequireReplica && row.LatestReplicaName == null) yield return "no restorable verified replica (-RequireReplica)";
            if (row.LastTest == null)
            {
                if (targets.MaxTestAge != null) yield return "never tested (Test-ApimBackup), -MaxTestAge " + Show(targets.MaxTestAge.Value);
            }
            else
            {
                TimeSpan since = now - row.LastTest.EndTime;
                if (targets.MaxTestAge is TimeSpan maxTest && since > maxTest) yield return $"last test was {Show(since)} ago, over -MaxTestAge {Show(maxTest)}";
                if (!row.LastTest.IsSucceeded) yield return $"last test failed ({row.LastTest.ErrorId ?? "no ErrorId"}) at {row.LastTest.EndTime.ToString("u", CultureInfo.InvariantCulture)}";
            }
        }

        private static bool Same(ApimBackup backup, string sourceServiceId) => string.Equals(backup.SourceServiceId!.TrimEnd('/'), sourceServiceId, StringComparison.OrdinalIgnoreCase);

        /// <summary>When the backup was taken: its operation's start (a replica's manifest keeps the source's), else the blob's creation.</summary>
        private static DateTime TimeOf(ApimBackup backup) => backup.StartTime ?? backup.Created;

        private static ApimBackup? Newest(IEnumerable<ApimBackup> backups) => backups.OrderByDescending(TimeOf).ThenByDescending(b => b.Created).FirstOrDefault();

        private static string Show(TimeSpan span) => span.TotalDays >= 1
            ? $"{(int)span.TotalDays}d {span.Hours}h"
            : span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes}m" : $"{(int)span.TotalMinutes}m {span.Seconds}s";
    }
}
