using System;
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
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return null;
                return factory(name => TryGetProperty(root, name, out JsonElement value) ? ToValue(value) : null);
            }
            catch (JsonException)
            {
                return null;
            }
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
