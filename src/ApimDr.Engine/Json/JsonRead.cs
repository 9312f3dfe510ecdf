using System;
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
    }
}
