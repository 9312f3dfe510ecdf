using System;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// The drill history beside the backups (docs/design.md, "Tested backups"): one blob per Test-ApimBackup
    /// result, <c>apimdr-history/&lt;source service&gt;/&lt;UTC yyyyMMddTHHmmssfffZ&gt;-&lt;guid&gt;.json</c>, so
    /// names sort by time and two machines never write the same blob. The JSON is written from the model's
    /// properties (<see cref="ApimBackupTestResult"/>) and read back only through its one factory.
    /// </summary>
    public static class BackupTestHistory
    {
        public const string Prefix = "apimdr-history/";

        private static readonly JsonSerializerOptions WriteOptions = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        /// <summary>The folder of one source service's results.</summary>
        public static string FolderFor(string sourceServiceName) => Prefix + sourceServiceName.ToLowerInvariant() + "/";

        public static string NameFor(ApimBackupTestResult result, Guid id)
            => FolderFor(result.SourceServiceName) + result.EndTime.ToUniversalTime().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture) + "-" + id.ToString("N") + ".json";

        /// <summary>A history blob (never a backup, never listed as one).</summary>
        public static bool IsHistoryName(string blobName) => blobName.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

        /// <summary>The source folder a history blob is in ("prod" of apimdr-history/prod/…); null when it is not one.</summary>
        public static string? SourceOf(string blobName)
        {
            if (!IsHistoryName(blobName)) return null;
            int slash = blobName.IndexOf('/', Prefix.Length);
            return slash > Prefix.Length ? blobName.Substring(Prefix.Length, slash - Prefix.Length) : null;
        }

        public static string ToJson(ApimBackupTestResult result) => JsonSerializer.Serialize(result, WriteOptions);

        /// <summary>Reads a result; null when the text is not one (another tool's blob, a torn write).</summary>
        public static ApimBackupTestResult? Parse(string text)
            => JsonRead.ToRecord(text, ApimBackupTestResult.FromProperties) is ApimBackupTestResult result && result.Schema == ApimBackupTestResult.CurrentSchema ? result : null;
    }
}
