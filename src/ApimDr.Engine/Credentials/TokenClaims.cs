using System;
using System.Text;
using System.Text.Json;

namespace ApimDr.Engine.Credentials
{
    /// <summary>
    /// Who an access token speaks for, read from its JWT payload WITHOUT validating it (the service validates;
    /// this only names the caller in a report): <c>name</c>, <c>upn</c> or <c>unique_name</c> (a user), <c>appid</c> or
    /// <c>azp</c> (the application), <c>oid</c> (the object id) and <c>tid</c> (the tenant),
    /// the claims of Microsoft identity platform access tokens. Never holds the token itself. A token that is
    /// not a JWT, or has none of these claims, is <see cref="Unknown"/>.
    /// </summary>
    public sealed class TokenClaims
    {
        public static readonly TokenClaims Unknown = new TokenClaims(null, null, null, null);

        public TokenClaims(string? displayName, string? appId, string? objectId, string? tenantId)
        {
            DisplayName = displayName;
            AppId = appId;
            ObjectId = objectId;
            TenantId = tenantId;
        }

        /// <summary>The user's display name or UPN; null when the token names none (an application's token).</summary>
        public string? DisplayName { get; }

        /// <summary>The application (client) id: <c>appid</c> (v1 tokens) or <c>azp</c> (v2 tokens).</summary>
        public string? AppId { get; }

        /// <summary>The caller's object id in its tenant (<c>oid</c>).</summary>
        public string? ObjectId { get; }
        public string? TenantId { get; }

        public bool IsKnown => DisplayName != null || AppId != null || ObjectId != null;

        /// <summary>The claims of <paramref name="token"/>; <see cref="Unknown"/> when it is not a JWT with them.</summary>
        public static TokenClaims Parse(string? token)
        {
            using JsonDocument? payload = ReadPayload(token);
            if (payload == null) return Unknown;
            JsonElement root = payload.RootElement;
            string? Claim(string name) => root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Trim().Length > 0 ? value.GetString()!.Trim() : null;
            var claims = new TokenClaims(Claim("name") ?? Claim("upn") ?? Claim("unique_name"), Claim("appid") ?? Claim("azp"), Claim("oid"), Claim("tid"));
            return claims.IsKnown ? claims : Unknown;
        }

        /// <summary>The payload (second part) of a JWT as JSON; null when <paramref name="token"/> is not one.</summary>
        internal static JsonDocument? ReadPayload(string? token)
        {
            string[] parts = (token ?? string.Empty).Split('.');
            if (parts.Length != 3) return null;
            try
            {
                string payload = parts[1].Replace('-', '+').Replace('_', '/');
                payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
                JsonDocument document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
                if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
                document.Dispose();
            }
            catch (Exception ex) when (ex is FormatException || ex is JsonException || ex is ArgumentException)
            {
                // Not a JWT after all.
            }
            return null;
        }
    }
}
