using System;
using System.Text;
using System.Text.Json;

namespace ApimDr.Engine.Credentials
{
    /// <summary>Reads the <c>exp</c> claim of a JWT without validating it: only to know when a static token dies.</summary>
    internal static class JwtExpiry
    {
        public static DateTimeOffset? Read(string token)
        {
            string[] parts = token.Split('.');
            if (parts.Length != 3) return null;
            try
            {
                string payload = parts[1].Replace('-', '+').Replace('_', '/');
                payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
                using JsonDocument claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
                if (claims.RootElement.ValueKind == JsonValueKind.Object
                    && claims.RootElement.TryGetProperty("exp", out JsonElement exp)
                    && exp.ValueKind == JsonValueKind.Number
                    && exp.TryGetInt64(out long seconds))
                {
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
                }
            }
            catch (Exception ex) when (ex is FormatException || ex is JsonException || ex is ArgumentException)
            {
                // Not a JWT after all: its lifetime is unknown.
            }
            return null;
        }
    }
}
