using System;
using System.Security;
using System.Threading;

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
    /// cmdlet layer). Order of use, as ARCHITECTURE.md §5: a static token, then an external token
    /// provider (the loaded Az context), then DefaultAzureCredential.
    /// </summary>
    public sealed class CredentialSource
    {
        /// <summary>A static bearer token; cannot be refreshed.</summary>
        public SecureString? AccessToken { get; set; }

        /// <summary>Supplies tokens for the given scopes; called again before the last one expires.</summary>
        public Func<string[], CancellationToken, ExternalToken>? TokenProvider { get; set; }

        /// <summary>Managed identity / workload client id for DefaultAzureCredential, when the caller knows it.</summary>
        public string? ManagedIdentityClientId { get; set; }

        public static CredentialSource Default() => new CredentialSource();
    }
}
