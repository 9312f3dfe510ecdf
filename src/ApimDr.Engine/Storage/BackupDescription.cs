using System;
using System.Globalization;
using System.Text;

namespace ApimDr.Engine.Storage
{
    /// <summary>A catalog entry in words, for prompts.</summary>
    public static class BackupDescription
    {
        /// <summary>"backup of 'prod' (Premium, 2 units), 3 h old, 1.2 MB" and whether it comes from the target itself.</summary>
        public static string Describe(ApimBackup backup, string targetServiceId, DateTimeOffset now)
        {
            var text = new StringBuilder();
            if (backup.SourceServiceId != null)
            {
                text.Append("backup of '").Append(backup.SourceServiceName).Append('\'');
                string? capacity = backup.SourceCapacity is int c ? $", {c.ToString(CultureInfo.InvariantCulture)} unit{(c == 1 ? string.Empty : "s")}" : null;
                if (backup.SourceSku != null) text.Append(" (").Append(backup.SourceSku).Append(capacity).Append(')');
            }
            else
            {
                text.Append("backup of an unknown source (no manifest)");
            }
            text.Append(", ").Append(Age(now.UtcDateTime - backup.Created)).Append(" old, ").Append(Size(backup.SizeBytes));
            if (backup.SourceServiceId != null && string.Equals(backup.SourceServiceId, targetServiceId, StringComparison.OrdinalIgnoreCase))
            {
                text.Append("; NOTE: taken from this same service");
            }
            return text.ToString();
        }

        private static string Age(TimeSpan age)
        {
            if (age.TotalDays >= 1) return age.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " days";
            if (age.TotalHours >= 1) return age.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " h";
            return Math.Max(0, age.TotalMinutes).ToString("0", CultureInfo.InvariantCulture) + " min";
        }

        private static string Size(long bytes)
        {
            if (bytes >= 1024L * 1024 * 1024) return (bytes / (1024.0 * 1024 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " GB";
            if (bytes >= 1024L * 1024) return (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB";
            if (bytes >= 1024) return (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB";
            return bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
        }
    }
}
