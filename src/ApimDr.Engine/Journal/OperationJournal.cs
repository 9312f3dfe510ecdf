using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Journal
{
    /// <summary>
    /// The per-user operation journal (docs/design.md, "Operation journal"): JSON lines, one record per
    /// event, keyed by the operation's correlation id, last record wins. Before a backup/restore POST
    /// the intent is written; after the answer, the operation (poll URL, resource id, kind, start, next
    /// poll); when a wait sees it end, it is removed. Entries older than 7 days are pruned. Holds no
    /// secret (an <see cref="ApimOperation"/> has none). A journal that cannot be written never fails
    /// an operation: the caller gets a warning instead.
    /// </summary>
    public sealed class OperationJournal
    {
        /// <summary>Relocates the journal (a file path), or turns it off ("off", "0", "none", "false").</summary>
        public const string EnvironmentVariable = "APIMDR_JOURNAL";

        public const string Starting = "Starting";
        public const string Running = "InProgress";
        public const string Unknown = "Unknown";
        public const string Removed = "Removed";

        public static readonly TimeSpan RetentionPeriod = TimeSpan.FromDays(7);
        private const long CompactAboveBytes = 256 * 1024;
        private static readonly object ProcessLock = new object();
        private static readonly Dictionary<string, long> CompactedSizes = new Dictionary<string, long>(StringComparer.Ordinal);

        private static readonly JsonSerializerOptions JsonOptions = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter() },
        };

        private readonly TimeProvider _time;

        public OperationJournal(string path, TimeProvider? time = null)
        {
            Path = path ?? throw new ArgumentNullException(nameof(path));
            _time = time ?? TimeProvider.System;
        }

        public string Path { get; }

        /// <summary>The user's journal, or null when APIMDR_JOURNAL turns it off.</summary>
        public static OperationJournal? ForCurrentUser()
        {
            string? setting = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(setting))
            {
                string value = setting!.Trim();
                if (new[] { "off", "0", "none", "false" }.Contains(value, StringComparer.OrdinalIgnoreCase)) return null;
                return new OperationJournal(System.IO.Path.GetFullPath(value));
            }
            string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(root)) root = System.IO.Path.GetTempPath();
            return new OperationJournal(System.IO.Path.Combine(root, "ApimDr", "operations.jsonl"));
        }

        /// <summary>Before the POST: what is about to be started (no poll URL yet).</summary>
        public string? RecordIntent(ApimOperation operation) => Append(Starting, operation);

        /// <summary>After a 202: the operation, resumable from here on.</summary>
        public string? RecordStarted(ApimOperation operation) => Append(Running, operation);

        /// <summary>The POST's outcome is unknown: kept so the user can find it (Get-ApimOperation).</summary>
        public string? RecordUnknown(ApimOperation operation) => Append(Unknown, operation);

        /// <summary>Finished, or surely never started: forgotten.</summary>
        public string? Remove(ApimOperation operation) => Append(Removed, operation);

        /// <summary>
        /// The live entries (not removed, younger than 7 days), newest first; compacts the file. A journal that
        /// cannot be read is <see cref="ErrorIds.JournalUnreadable"/>, never an empty answer: "nothing" would read
        /// as "nothing is running".
        /// </summary>
        public IReadOnlyList<JournalEntry> Read() => Read(compact: true);

        private IReadOnlyList<JournalEntry> Read(bool compact)
        {
            try
            {
                lock (ProcessLock)
                {
                    string? unusable = Unusable();
                    if (unusable != null) throw Unreadable(unusable);
                    using FileStream? guard = Lock();
                    if (guard == null) throw Unreadable($"its lock file {Path}.lock is held by another process (for more than 5 s)");
                    if (!File.Exists(Path)) return Array.Empty<JournalEntry>();   // nothing was ever written: truly empty
                    List<JournalEntry> live = Fold(File.ReadLines(Path, Encoding.UTF8));
                    try
                    {
                        if (compact) Rewrite(live);
                    }
                    catch (Exception ex) when (IsFileSystemFailure(ex))
                    {
                        // Compaction is housekeeping; the entries were read.
                    }
                    return live.OrderByDescending(e => e.Operation.StartTime).ToList();
                }
            }
            catch (Exception ex) when (IsFileSystemFailure(ex))
            {
                throw Unreadable(ex.Message, ex);
            }
        }

        private ApimDrException Unreadable(string why, Exception? inner = null)
            => new ApimDrException(ErrorIds.JournalUnreadable, ApimErrorCategory.ReadError,
                $"Could not read the operation journal {Path}: {why}. What ApimDr started from this account is unknown here, not absent: " +
                $"fix the path (set {EnvironmentVariable} to a file in a writable folder) or wait for the other process, and ask again; meanwhile Get-ApimBackup -IncludeInProgress lists backups in progress.",
                Path, inner);

        /// <summary>Why the journal's path cannot hold a file (it is a folder, or a parent is a file); null when it can.</summary>
        private string? Unusable()
        {
            if (Directory.Exists(Path)) return "the path is a folder, not a file";
            for (string? folder = System.IO.Path.GetDirectoryName(Path); !string.IsNullOrEmpty(folder); folder = System.IO.Path.GetDirectoryName(folder))
            {
                if (File.Exists(folder)) return $"'{folder}' is a file, so the journal's folder cannot be created";
                if (Directory.Exists(folder)) return null;
            }
            return null;
        }

        private static bool IsFileSystemFailure(Exception ex)
            => ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is System.Security.SecurityException;

        /// <summary>The live entries for one service (for "busy" answers); <see cref="ErrorIds.JournalUnreadable"/> like <see cref="Read()"/>.</summary>
        public IReadOnlyList<JournalEntry> ForResource(string resourceId)
            => Read(compact: false).Where(e => string.Equals(e.Operation.ResourceId, resourceId, StringComparison.OrdinalIgnoreCase)).ToList();

        private string? Append(string state, ApimOperation operation)
        {
            if (string.IsNullOrEmpty(operation.CorrelationId)) return null;
            var entry = new JournalEntry { State = state, At = _time.GetUtcNow(), Operation = operation };
            string line = JsonSerializer.Serialize(entry, JsonOptions);
            try
            {
                lock (ProcessLock)
                {
                    string? unusable = Unusable();
                    if (unusable != null) return $"Could not write the operation journal {Path} ({unusable}); this {state} record was not written. Set {EnvironmentVariable} to a writable file, or to 'off'.";
                    using FileStream? guard = Lock();
                    if (guard == null) return $"The operation journal {Path} is locked by another process; this {state} record was not written.";
                    File.AppendAllText(Path, line + "\n", new UTF8Encoding(false));
                    CompactIfGrown();
                }
                return null;
            }
            catch (Exception ex) when (IsFileSystemFailure(ex))
            {
                return $"Could not write the operation journal {Path} ({ex.Message}); this {state} record was not written. Set {EnvironmentVariable} to a writable file, or to 'off'.";
            }
        }

        /// <summary>
        /// Compaction on append is amortised: only once the file has doubled since the last compaction
        /// this process saw (and is past 256 KB), so many live entries never make every append O(n).
        /// </summary>
        private void CompactIfGrown()
        {
            long length = new FileInfo(Path).Length;
            long last;
            lock (CompactedSizes) CompactedSizes.TryGetValue(Path, out last);
            if (length <= Math.Max(CompactAboveBytes, 2 * last)) return;
            Rewrite(Fold(File.ReadLines(Path, Encoding.UTF8)));
        }

        private List<JournalEntry> Fold(IEnumerable<string> lines)
        {
            var latest = new Dictionary<string, JournalEntry>(StringComparer.OrdinalIgnoreCase);
            foreach (string line in lines)
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                JournalEntry? entry = ParseLine(line);
                if (entry == null) continue;   // a torn or foreign line is skipped, never fatal
                latest[entry.Operation.CorrelationId] = entry;
            }
            DateTimeOffset cutoff = _time.GetUtcNow() - RetentionPeriod;
            return latest.Values.Where(e => e.State != Removed && e.At >= cutoff).ToList();
        }

        /// <summary>
        /// One journal line; the operation is read back through <see cref="ApimOperation.FromProperties"/>, the
        /// same factory Wait-ApimOperation uses for Clixml and JSON. Null for a torn or foreign line.
        /// </summary>
        private static JournalEntry? ParseLine(string line)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(line);
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !JsonRead.TryGetProperty(root, nameof(JournalEntry.Operation), out JsonElement operation)
                    || operation.ValueKind != JsonValueKind.Object || !JsonRead.TryGetProperty(root, nameof(JournalEntry.At), out JsonElement at)
                    || at.ValueKind != JsonValueKind.String || !at.TryGetDateTimeOffset(out DateTimeOffset when))
                {
                    return null;
                }
                // The record's own correlation id only: the factory would invent one for a line without it.
                if (string.IsNullOrEmpty(JsonRead.GetString(operation, nameof(ApimOperation.CorrelationId)))) return null;
                return new JournalEntry
                {
                    State = JsonRead.GetString(root, nameof(JournalEntry.State)) ?? Starting,
                    At = when,
                    Operation = ApimOperation.FromProperties(name => JsonRead.TryGetProperty(operation, name, out JsonElement value) ? JsonRead.ToValue(value) : null),
                };
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private void Rewrite(List<JournalEntry> live)
        {
            string temp = Path + ".tmp";
            // Line by line: a large journal never becomes one large string (no large-object-heap churn).
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
            {
                foreach (JournalEntry entry in live.OrderBy(e => e.At))
                {
                    writer.Write(JsonSerializer.Serialize(entry, JsonOptions));
                    writer.Write('\n');
                }
            }
            if (File.Exists(Path)) File.Delete(Path);
            File.Move(temp, Path);
            lock (CompactedSizes) CompactedSizes[Path] = new FileInfo(Path).Length;
        }

        /// <summary>An exclusive lock file shared by every process of the user (null if it stays busy for 5 s).</summary>
        private FileStream? Lock()
        {
            string? folder = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            for (int attempt = 0; attempt < 250; attempt++)
            {
                try
                {
                    return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                }
                catch (IOException)
                {
                    Thread.Sleep(20);
                }
            }
            return null;
        }
    }

    /// <summary>One journal record: what was known of an operation at a moment.</summary>
    public sealed class JournalEntry
    {
        /// <summary>Starting (POST sent, no answer yet), InProgress, Unknown (the POST's outcome), Removed.</summary>
        public string State { get; set; } = OperationJournal.Starting;
        public DateTimeOffset At { get; set; }
        public ApimOperation Operation { get; set; } = new ApimOperation();
    }
}
