using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// Which backups a retention rule removes. Every rule given must hold for a backup to go
    /// (-Expired AND -OlderThan), and -KeepLast always spares the newest N of each source service among those considered.
    /// </summary>
    public static class BackupRetention
    {
        /// <summary>The smallest -OlderThan accepted: anything shorter is a number bound as ticks, not an intended age.</summary>
        public static readonly TimeSpan MinimumAge = TimeSpan.FromSeconds(1);

        public static IReadOnlyList<ApimBackup> SelectForRemoval(IEnumerable<ApimBackup> backups, bool expired, TimeSpan? olderThan, int? keepLast, DateTimeOffset now)
        {
            ValidateRules(olderThan, keepLast);
            List<ApimBackup> newestFirst = backups.OrderByDescending(b => b.Created).ThenBy(b => b.BackupName, StringComparer.Ordinal).ToList();
            // -KeepLast N keeps the newest N of EACH source service; backups without a known source are one group of their own.
            IEnumerable<ApimBackup> candidates = keepLast.HasValue
                ? newestFirst.GroupBy(b => b.SourceServiceId ?? string.Empty, StringComparer.OrdinalIgnoreCase).SelectMany(g => g.Skip(keepLast.Value))
                : newestFirst;
            if (expired) candidates = candidates.Where(b => b.ExpiresOn <= now.UtcDateTime);
            if (olderThan.HasValue)
            {
                // An age beyond the calendar (-OlderThan ([TimeSpan]::MaxValue)) selects nothing instead of overflowing.
                DateTimeOffset cutoff = olderThan.Value >= now - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : now - olderThan.Value;
                candidates = candidates.Where(b => b.Created < cutoff.UtcDateTime);
            }
            return candidates.OrderByDescending(b => b.Created).ThenBy(b => b.BackupName, StringComparer.Ordinal).ToList();
        }

        /// <summary>
        /// InvalidRetentionRule, before anything is listed: an -OlderThan that is zero, negative or shorter
        /// than a second (it would select every backup: a bare number such as -OlderThan 30 binds as 30
        /// ticks; [TimeSpan]::MinValue included), or a -KeepLast below 1 (-KeepLast 0 keeps nothing, so it
        /// too would select every backup).
        /// </summary>
        public static void ValidateRules(TimeSpan? olderThan, int? keepLast)
        {
            if (olderThan.HasValue && olderThan.Value < MinimumAge)
            {
                TimeSpan age = olderThan.Value;
                string what = age <= TimeSpan.Zero ? "is not a positive age" : "is shorter than a second";
                // Not age.Duration(): [TimeSpan]::MinValue has no positive counterpart (OverflowException).
                string ticks = age > -MinimumAge
                    ? $" A bare number binds as ticks (100 ns each): -OlderThan {age.Ticks.ToString(CultureInfo.InvariantCulture)} means {age.Ticks.ToString(CultureInfo.InvariantCulture)} ticks, not days."
                    : string.Empty;
                throw new ApimDrException(ErrorIds.InvalidRetentionRule, ApimErrorCategory.InvalidArgument,
                    $"-OlderThan {age.ToString("c", CultureInfo.InvariantCulture)} {what}, so it would select every backup; nothing was removed.{ticks} Give an age such as -OlderThan (New-TimeSpan -Days 30) or -OlderThan 30.00:00:00.",
                    age);
            }
            if (keepLast.HasValue && keepLast.Value < 1)
            {
                string what = keepLast.Value == 0 ? "keeps no backup" : "is negative";
                throw new ApimDrException(ErrorIds.InvalidRetentionRule, ApimErrorCategory.InvalidArgument,
                    $"-KeepLast {keepLast.Value.ToString(CultureInfo.InvariantCulture)} {what}, so it would select every backup; nothing was removed. Give 1 or more (the newest N backups of each source service are always kept), or remove backups by name with -BackupName.", keepLast.Value);
            }
        }
    }
}
