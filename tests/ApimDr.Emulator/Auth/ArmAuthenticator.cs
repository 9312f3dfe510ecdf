using ApimDr.Emulator.Arm;

namespace ApimDr.Emulator.Auth;

/// <summary>
/// ARM's bearer check. The accepted audience is the emulator's own endpoint (a custom ARM endpoint
/// takes its audience from itself), with or without a trailing slash.
/// </summary>
public sealed class ArmAuthenticator
{
    private readonly TokenIssuer _issuer;

    public ArmAuthenticator(TokenIssuer issuer) => _issuer = issuer;

    public (TokenPrincipal? Principal, ArmResponse? Error) Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return (null, Unauthorized("InvalidAuthenticationToken", "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header."));
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Unauthorized("InvalidAuthenticationToken", "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                "The authentication scheme is not supported."));
        }
        var port = request.HttpContext.Connection.LocalPort;
        bool Accepted(string aud)
        {
            var a = aud.TrimEnd('/');
            return a.Equals($"https://127.0.0.1:{port}", StringComparison.OrdinalIgnoreCase) || a.Equals($"https://localhost:{port}", StringComparison.OrdinalIgnoreCase);
        }
        var verdict = _issuer.Validate(header[7..].Trim(), Accepted, out var principal, out var detail);
        return verdict switch
        {
            TokenIssuer.Verdict.Valid => (principal, null),
            TokenIssuer.Verdict.Expired => (principal, Unauthorized("ExpiredAuthenticationToken", detail!, "The access token has expired.")),
            TokenIssuer.Verdict.WrongAudience => (principal, Unauthorized("InvalidAuthenticationTokenAudience",
                $"The access token has been obtained for wrong audience or resource '{detail}'. It should exactly match with one of the allowed audiences 'https://127.0.0.1:{port}/', 'https://localhost:{port}/'.",
                "The access token audience is invalid.")),
            _ => (null, Unauthorized("InvalidAuthenticationToken", "The access token is invalid.", "The access token is invalid.")),
        };
    }

    private static ArmResponse Unauthorized(string code, string message, string description) =>
        ArmErrors.Arm(401, code, message).With("WWW-Authenticate",
            $"Bearer authorization_uri=\"https://login.microsoftonline.com/{TokenIssuer.TenantId}\", error=\"invalid_token\", error_description=\"{description}\"");
}
