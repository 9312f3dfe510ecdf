using System;
using System.Collections.Generic;
using System.Linq;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// Which backups a retention rule removes. Every rule given must hold for a backup to go
    /// (-Expired AND -OlderThan), and -KeepLast always spares the newest N of those considered.
    /// </summary>
    public static class BackupRetention
    {
        public static IReadOnlyList<BackupBlob> SelectForRemoval(IEnumerable<BackupBlob> backups, bool expired, TimeSpan? olderThan, int? keepLast, DateTimeOffset now)
        {
            List<BackupBlob> newestFirst = backups.OrderByDescending(b => b.Created).ThenBy(b => b.BackupName, StringComparer.Ordinal).ToList();
            IEnumerable<BackupBlob> candidates = keepLast.HasValue ? newestFirst.Skip(Math.Max(0, keepLast.Value)) : newestFirst;
            if (expired) candidates = candidates.Where(b => b.ExpiresOn <= now);
            if (olderThan.HasValue) candidates = candidates.Where(b => b.Created < now - olderThan.Value);
            return candidates.ToList();
        }
    }
}
