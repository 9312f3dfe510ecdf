using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Configuration
{
    /// <summary>A snapshot as JSON (Get-ApimConfiguration -Path, the snapshot stored beside a backup) and back.</summary>
    public static class ConfigurationJson
    {
        private static readonly JsonSerializerOptions Options = new JsonSerializerOptions { WriteIndented = true };

        public static string Serialize(ApimConfiguration configuration)
            => JsonSerializer.Serialize(configuration ?? throw new ArgumentNullException(nameof(configuration)), Options);

        /// <summary>
        /// The largest snapshot FILE read (256 MB, documented in docs/errors.md and Compare-ApimConfiguration's help):
        /// a snapshot of a large service is a few MB; anything near this is not one, and reading it whole could exhaust memory.
        /// </summary>
        public const long MaxFileBytes = 256L * 1024 * 1024;

        /// <summary>
        /// Reads a snapshot FILE (Get-ApimConfiguration -Path output). Refused as <c>InvalidConfigurationSnapshot</c>
        /// before its content is read: a directory, a file above <paramref name="maxBytes"/>, and anything that reports no size —
        /// an empty file, and every non-regular file (a device such as /dev/zero, a FIFO, a socket, /proc files), which is also
        /// never opened: opening a FIFO blocks until a writer comes, reading /dev/zero never ends. The read itself stops at the cap
        /// too, in case the file grows. A missing file is <c>SnapshotNotFound</c>.
        /// </summary>
        public static ApimConfiguration ReadFile(string path, long maxBytes = MaxFileBytes)
        {
            if (Directory.Exists(path)) throw InvalidFile(path, "it is a directory, not a snapshot file", null);
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                throw new ApimDrException(ErrorIds.SnapshotNotFound, ApimErrorCategory.ObjectNotFound, $"Snapshot file '{path}' does not exist.", path);
            }
            try
            {
                long length = file.Length;
                if (length == 0) throw InvalidFile(path, "it is empty, or not a regular file (a device, a FIFO or a socket report no size)", null);
                if (length > maxBytes) throw InvalidFile(path, $"it is {length} bytes, more than the {maxBytes} bytes ({maxBytes / (1024 * 1024)} MB) a snapshot file may have", null);
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                var buffer = new MemoryStream((int)Math.Min(length, maxBytes));
                var chunk = new byte[81920];
                int read;
                while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
                {
                    if (buffer.Length + read > maxBytes) throw InvalidFile(path, $"it grew beyond the {maxBytes} bytes a snapshot file may have while it was read", null);
                    buffer.Write(chunk, 0, read);
                }
                buffer.Position = 0;
                using var reader = new StreamReader(buffer, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);   // as File.ReadAllText
                return Parse(reader.ReadToEnd(), path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw InvalidFile(path, "it cannot be read: " + ex.Message, ex);
            }
        }

        private static ApimDrException InvalidFile(string path, string why, Exception? inner)
            => new ApimDrException(ErrorIds.InvalidConfigurationSnapshot, ApimErrorCategory.InvalidData, $"'{path}' is not an ApimDr configuration snapshot file: {why}.", path, inner);

        /// <summary>Reads a snapshot written by <see cref="Serialize"/>; anything else is <c>InvalidConfigurationSnapshot</c>.</summary>
        public static ApimConfiguration Parse(string json, string? source = null)
        {
            ApimConfiguration? configuration;
            try
            {
                configuration = JsonSerializer.Deserialize<ApimConfiguration>(json, Options);
            }
            catch (Exception ex) when (ex is JsonException || ex is NotSupportedException || ex is ArgumentException)
            {
                throw Invalid(source, "it is not valid JSON of a snapshot (" + ex.Message + ")", ex);
            }
            if (configuration == null || configuration.Format != ApimConfiguration.CurrentFormat)
            {
                throw Invalid(source, $"its format is '{configuration?.Format}', not '{ApimConfiguration.CurrentFormat}'", null);
            }
            if (string.IsNullOrEmpty(configuration.ServiceId) || configuration.Entities == null) throw Invalid(source, "it names no service or has no entities", null);
            // The serializer builds dictionaries with the culture comparer: back to ordinal, as the reader makes them.
            configuration.Entities = new SortedDictionary<string, List<ApimConfigurationEntity>>(
                configuration.Entities.ToDictionary(k => k.Key, k => (k.Value ?? new List<ApimConfigurationEntity>()).Select(Ordinal).ToList()), StringComparer.Ordinal);
            configuration.NotRestored = new SortedDictionary<string, string>(configuration.NotRestored ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
            configuration.TakenAt = DateTime.SpecifyKind(configuration.TakenAt.Kind == DateTimeKind.Local ? configuration.TakenAt.ToUniversalTime() : configuration.TakenAt, DateTimeKind.Utc);
            return configuration;
        }

        private static ApimConfigurationEntity Ordinal(ApimConfigurationEntity entity)
        {
            entity.Properties = new SortedDictionary<string, string>(entity.Properties ?? new SortedDictionary<string, string>(), StringComparer.Ordinal);
            return entity;
        }

        private static ApimDrException Invalid(string? source, string why, Exception? inner)
            => new ApimDrException(ErrorIds.InvalidConfigurationSnapshot, ApimErrorCategory.InvalidData,
                $"{(source == null ? "The configuration snapshot" : $"'{source}'")} is not an ApimDr configuration snapshot: {why}.", source, inner);
    }
}
