using System;
using System.Collections.Generic;
using System.Linq;
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
