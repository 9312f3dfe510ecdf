using System;
using System.Globalization;
using System.Text;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// One catalog entry: a backup blob joined with its manifest (or, for a backup still running, a manifest
    /// alone: <see cref="Exists"/> false). Plain data the cmdlet layer maps to ApimDr.ApimBackup.
    /// </summary>
    public sealed class BackupBlob
    {
        /// <summary>Whether the backup blob itself exists (false: only its manifest does, the backup has not finished).</summary>
        public bool Exists { get; set; } = true;
        public BackupManifest? Manifest { get; set; }

        /// <summary>Whether a configuration snapshot (&lt;name&gt;.apimdr-config.json) is beside the backup.</summary>
        public bool HasSnapshot { get; set; }

        /// <summary>Succeeded / InProgress / Failed / Canceled / Unknown for an entry with a manifest (or legacy metadata); null otherwise.</summary>
        public string? Status { get; set; }

        public string StorageAccountName { get; set; } = string.Empty;
        public string ContainerName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;
        public DateTimeOffset Created { get; set; }
        public long SizeBytes { get; set; }
        public string? SourceServiceId { get; set; }
        public string? SourceSku { get; set; }

        /// <summary>The source service's name: the manifest's, else the last segment of <see cref="SourceServiceId"/>.</summary>
        public string? SourceServiceName => Manifest?.SourceServiceName is string n && n.Length > 0 ? n : SourceServiceId?.Substring(SourceServiceId.LastIndexOf('/') + 1);
        public Uri? Uri { get; set; }
        public Uri? BlobEndpoint { get; set; }

        public DateTimeOffset ExpiresOn => Created + BackupMetadata.Lifetime;

        /// <summary>For prompts: "backup of 'prod' (Premium, 2 units), 3 h old, 1.2 MB" and whether it comes from the target itself.</summary>
        public string Describe(string targetServiceId, DateTimeOffset now)
        {
            var text = new StringBuilder();
            if (SourceServiceId != null)
            {
                text.Append("backup of '").Append(SourceServiceName).Append('\'');
                string? capacity = Manifest?.SourceCapacity is int c ? $", {c.ToString(CultureInfo.InvariantCulture)} unit{(c == 1 ? string.Empty : "s")}" : null;
                if (SourceSku != null) text.Append(" (").Append(SourceSku).Append(capacity).Append(')');
            }
            else
            {
                text.Append("backup of an unknown source (no manifest)");
            }
            text.Append(", ").Append(Age(now - Created)).Append(" old, ").Append(Size(SizeBytes));
            if (SourceServiceId != null && string.Equals(SourceServiceId, targetServiceId, StringComparison.OrdinalIgnoreCase))
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
