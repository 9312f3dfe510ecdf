using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace ApimDr.Engine.Json
{
    /// <summary>
    /// Tolerant reads of ARM JSON: property names match case-insensitively (ARM is not consistent about
    /// case) and a missing property or one of another kind is simply absent, never an exception.
    /// </summary>
    internal static class JsonRead
    {
        public static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }
            value = default;
            return false;
        }

        /// <summary>The string value of <paramref name="name"/>, or null when the element is not an object or the value is not a string.</summary>
        public static string? GetString(JsonElement element, string name)
            => element.ValueKind == JsonValueKind.Object && TryGetProperty(element, name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;


        /// <summary>A record (ApimOperation, ApimBackupManifest…) from a JSON object through its model factory; null when the text is not a JSON object.</summary>
        public static T? ToRecord<T>(string text, Func<Func<string, object?>, T> factory) where T : class
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(text);
                return ToRecord(document, factory);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>The same from UTF-8 bytes (a manifest carried in blob metadata: no string of the whole JSON is made).</summary>
        public static T? ToRecord<T>(ReadOnlyMemory<byte> utf8, Func<Func<string, object?>, T> factory) where T : class
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(utf8);
                return ToRecord(document, factory);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>
        /// The factory reads the object's properties by name, case-insensitively, the first of a name winning (as
        /// <see cref="TryGetProperty"/>): the object is walked once, not once per property asked for — each walk makes
        /// a string of every name it passes, which at 5,000 manifests of a listing was most of its allocations.
        /// </summary>
        private static T? ToRecord<T>(JsonDocument document, Func<Func<string, object?>, T> factory) where T : class
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var properties = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!properties.ContainsKey(name)) properties.Add(name, property.Value);
            }
            return factory(name => properties.TryGetValue(name, out JsonElement value) ? ToValue(value) : null);
        }

        /// <summary>A JSON value as a plain .NET value for the model's factories: string, long or double, bool, object?[], or null (an object stays its raw text).</summary>
        public static object? ToValue(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.TryGetInt64(out long whole) ? whole : (object)value.GetDouble(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Array => value.EnumerateArray().Select(ToValue).ToArray(),
            JsonValueKind.Object => value.GetRawText(),
            _ => null,
        };
    }
}
