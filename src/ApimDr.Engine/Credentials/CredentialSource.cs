using System;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using Azure.Core;

namespace ApimDr.Engine.Credentials
{
    /// <summary>A bearer token handed in from outside the engine (e.g. by Get-AzAccessToken on the pipeline thread).</summary>
    public sealed class ExternalToken
    {
        public ExternalToken(SecureString token, DateTimeOffset expiresOn)
        {
            Token = token ?? throw new ArgumentNullException(nameof(token));
            ExpiresOn = expiresOn;
        }

        public SecureString Token { get; }
        public DateTimeOffset ExpiresOn { get; }
    }

    /// <summary>
    /// What the caller said about identity, in BCL types only (no Azure.Core type crosses into the
    /// cmdlet layer). Order of use, as docs/design.md (Cmdlet layer, "Identity order"): a static token,
    /// then an external token provider (the loaded Az context), then DefaultAzureCredential.
    /// </summary>
    public sealed class CredentialSource
    {
        /// <summary>A static bearer token; cannot be refreshed. If it is a JWT its <c>exp</c> claim says when it dies.</summary>
        public SecureString? AccessToken { get; set; }

        /// <summary>
        /// Supplies a token for the given scopes; asked again shortly before the last one expires, so
        /// long waits outlive a token. Called on worker threads: the cmdlet layer marshals it to the
        /// pipeline thread (Get-AzAccessToken).
        /// </summary>
        public Func<string[], CancellationToken, Task<ExternalToken>>? TokenProvider { get; set; }

        /// <summary>
        /// Who the <see cref="TokenProvider"/> speaks for (e.g. the Az context's account, tenant and
        /// environment). Pipelines and storage credentials are shared per (cloud, key), so a long session
        /// builds one per identity, not one per call. A provider without a key is never shared.
        /// </summary>
        public string? IdentityKey { get; set; }

        /// <summary>Managed identity / workload client id for DefaultAzureCredential, when the caller knows it.</summary>
        public string? ManagedIdentityClientId { get; set; }

        /// <summary>Any Azure.Core credential (engine-internal: Azure.Core types never cross to the cmdlet layer).</summary>
        internal TokenCredential? TokenCredential { get; set; }

        /// <summary>When the static <see cref="AccessToken"/> expires, if it is a JWT with an <c>exp</c> claim.</summary>
        public DateTimeOffset? GetAccessTokenExpiry() => AccessToken == null ? null : JwtExpiry.Read(SecureStrings.ToPlainText(AccessToken));

        public static CredentialSource Default() => new CredentialSource();

        /// <summary>The key a shared pipeline/credential is cached under; null when it must not be shared (a static token, an unkeyed provider).</summary>
        internal string? SharingKey
        {
            get
            {
                if (AccessToken != null) return null;
                if (TokenProvider != null) return IdentityKey == null ? null : "provider|" + IdentityKey;
                if (TokenCredential != null) return null;
                return "default|" + ManagedIdentityClientId;
            }
        }

        /// <summary>
        /// Refuses an -AccessToken that cannot be a bearer token (empty, whitespace, a "Bearer " prefix, a
        /// line break) with InvalidAccessToken, before any request; null (no token given) is fine. The
        /// token is never put in the message.
        /// </summary>
        public static void ValidateAccessToken(SecureString? token)
        {
            if (token == null) return;
            string text = SecureStrings.ToPlainText(token);
            string? problem = null;
            if (text.Trim().Length == 0)
            {
                problem = "is empty";
            }
            else if (text.TrimStart().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                problem = "starts with 'Bearer ': pass the token alone, ApimDr adds the scheme";
            }
            else
            {
                foreach (char c in text)
                {
                    if (char.IsWhiteSpace(c))
                    {
                        problem = "contains whitespace or a line break, which a bearer token never does";
                        break;
                    }
                    if (char.IsControl(c) || c > '\u007E')
                    {
                        // Named by code point only for a control character; never the token's text.
                        problem = char.IsControl(c)
                            ? $"contains the control character U+{(int)c:X4}, which a bearer token never does"
                            : "contains a character outside printable ASCII, which a bearer token never does";
                        break;
                    }
                }
            }
            if (problem != null)
            {
                throw new ApimDrException(ErrorIds.InvalidAccessToken, ApimErrorCategory.InvalidArgument,
                    $"-AccessToken {problem} (the token is not shown). Pass a token for Azure Resource Manager, e.g. (Get-AzAccessToken -AsSecureString).Token, or leave -AccessToken out to use the signed-in Az context or DefaultAzureCredential.",
                    "AccessToken");
            }
        }
    }
}
