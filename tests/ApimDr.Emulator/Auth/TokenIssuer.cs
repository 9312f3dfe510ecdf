using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Auth;

/// <summary>Who a validated token belongs to.</summary>
public sealed record TokenPrincipal(string Kind, string PrincipalId, string? ClientId, DateTimeOffset? ExpiresOn);

/// <summary>
/// Issues JWT-shaped tokens (HS256 with a per-run key, so clients can read <c>exp</c> but nobody can
/// forge one) and recognises the static test token. Expiry uses REAL time, like Entra ID.
/// </summary>
public sealed class TokenIssuer
{
    public const string TenantId = "72f988bf-0000-4000-8000-00000000e1e1";
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public TokenIssuer(string staticToken) => StaticToken = staticToken;

    public string StaticToken { get; }
    public const string StaticPrincipalId = "00000000-0000-0000-0000-00000000057a";
    public const string StaticDisplayName = "ApimDr emulator test user";
    public const string StaticAppId = "00000000-0000-0000-0000-0000000a9913";

    /// <summary>
    /// The default static test token: JWT-shaped like a Microsoft identity platform access token for a signed-in
    /// user (claims name, upn, oid, appid, tid; no exp: it never expires), so a client can read who it is; its
    /// signature is random per run, so it is accepted only as the whole string (never validated as a JWT).
    /// </summary>
    public static string NewStaticToken()
    {
        var header = new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = "apimdr-emulator-static" };
        var payload = new JsonObject
        {
            ["aud"] = "https://management.azure.com/",
            ["iss"] = $"https://sts.windows.net/{TenantId}/",
            ["name"] = StaticDisplayName,
            ["upn"] = "apimdr-test@emulator.invalid",
            ["oid"] = StaticPrincipalId,
            ["sub"] = StaticPrincipalId,
            ["appid"] = StaticAppId,
            ["idtyp"] = "user",
            ["tid"] = TenantId,
        };
        return B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + B64(RandomNumberGenerator.GetBytes(32));
    }

    public string Issue(string audience, string principalId, string? clientId, DateTimeOffset expiresOn)
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = "apimdr-emulator" };
        var payload = new JsonObject
        {
            ["aud"] = audience,
            ["iss"] = $"https://sts.windows.net/{TenantId}/",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = expiresOn.ToUnixTimeSeconds(),
            ["oid"] = principalId,
            ["sub"] = principalId,
            ["appid"] = clientId,
            ["idtyp"] = "app",
            ["tid"] = TenantId,
            ["jti"] = Guid.NewGuid().ToString(),
        };
        var signingInput = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return signingInput + "." + B64(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signingInput)));
    }

    public enum Verdict { Valid, Invalid, Expired, WrongAudience }

    public Verdict Validate(string token, Func<string, bool> audienceAccepted, out TokenPrincipal? principal, out string? detail)
    {
        principal = null;
        detail = null;
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(StaticToken)))
        {
            principal = new TokenPrincipal("static", StaticPrincipalId, null, null);
            return Verdict.Valid;
        }
        var parts = token.Split('.');
        if (parts.Length != 3) return Verdict.Invalid;
        byte[] expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        byte[] actual;
        JsonObject payload;
        try
        {
            actual = FromB64(parts[2]);
            payload = JsonNode.Parse(FromB64(parts[1]))!.AsObject();
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or NullReferenceException)
        {
            return Verdict.Invalid;
        }
        if (!CryptographicOperations.FixedTimeEquals(expected, actual)) return Verdict.Invalid;

        var exp = DateTimeOffset.FromUnixTimeSeconds(payload["exp"]!.GetValue<long>());
        var aud = payload["aud"]?.GetValue<string>() ?? "";
        principal = new TokenPrincipal("issued", payload["oid"]!.GetValue<string>(), payload["appid"]?.GetValue<string>(), exp);
        if (exp <= DateTimeOffset.UtcNow)
        {
            detail = $"The access token expiry UTC time '{exp.UtcDateTime:M/d/yyyy h:mm:ss tt}' is earlier than current UTC time '{DateTime.UtcNow:M/d/yyyy h:mm:ss tt}'.";
            return Verdict.Expired;
        }
        if (!audienceAccepted(aud))
        {
            detail = aud;
            return Verdict.WrongAudience;
        }
        return Verdict.Valid;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromB64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
