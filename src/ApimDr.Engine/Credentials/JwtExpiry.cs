using System;
using System.Text.Json;

namespace ApimDr.Engine.Credentials
{
    /// <summary>Reads the <c>exp</c> claim of a JWT without validating it: only to know when a static token dies.</summary>
    internal static class JwtExpiry
    {
        public static DateTimeOffset? Read(string token)
        {
            using JsonDocument? claims = TokenClaims.ReadPayload(token);
            if (claims != null
                && claims.RootElement.TryGetProperty("exp", out JsonElement exp)
                && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetInt64(out long seconds))
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
            return null;   // not a JWT, or no exp: its lifetime is unknown
        }
    }
}
