using System;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using Azure.Core;
using Azure.Identity;

namespace ApimDr.Engine.Credentials
{
    /// <summary>Turns a <see cref="CredentialSource"/> into an Azure.Core TokenCredential.</summary>
    internal static class CredentialFactory
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TokenCredential> Shared
            = new System.Collections.Concurrent.ConcurrentDictionary<string, TokenCredential>(StringComparer.Ordinal);

        /// <summary>One credential per (cloud, identity) for the life of the process, so its token cache is reused; static tokens are never cached.</summary>
        public static TokenCredential GetShared(CredentialSource source, CloudEnvironment cloud)
        {
            string? key = source.SharingKey;
            if (key == null) return Create(source, cloud, TimeProvider.System);
            return Shared.GetOrAdd(cloud.ResourceManagerUrl.AbsoluteUri + "|" + key, _ => Create(source, cloud, TimeProvider.System));
        }

        public static TokenCredential Create(CredentialSource source) => Create(source, null, TimeProvider.System);

        public static TokenCredential Create(CredentialSource source, CloudEnvironment? cloud, TimeProvider time)
        {
            if (source.AccessToken != null)
            {
                return new StaticTokenCredential(source.AccessToken, time);
            }
            if (source.TokenProvider != null)
            {
                return new DelegateTokenCredential(source.TokenProvider);
            }
            if (source.TokenCredential != null)
            {
                return source.TokenCredential;
            }
            var options = new DefaultAzureCredentialOptions
            {
                ExcludeInteractiveBrowserCredential = true,
            };
            if (cloud != null)
            {
                options.AuthorityHost = cloud.AuthorityHost;
            }
            if (!string.IsNullOrEmpty(source.ManagedIdentityClientId))
            {
                options.ManagedIdentityClientId = source.ManagedIdentityClientId;
            }
            return new DefaultAzureCredential(options);
        }

        /// <summary>
        /// A token the user handed in. Its expiry comes from the JWT <c>exp</c> claim when there is one,
        /// so the bearer policy asks again at expiry and we can say clearly that it ran out.
        /// </summary>
        private sealed class StaticTokenCredential : TokenCredential
        {
            private readonly System.Security.SecureString _token;
            private readonly TimeProvider _time;

            public StaticTokenCredential(System.Security.SecureString token, TimeProvider time)
            {
                _token = token;
                _time = time;
            }

            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
            {
                string token = SecureStrings.ToPlainText(_token);
                DateTimeOffset? expiresOn = JwtExpiry.Read(token);
                if (expiresOn.HasValue && _time.GetUtcNow() >= expiresOn.Value)
                {
                    throw Expired(expiresOn.Value);
                }
                return new AccessToken(token, expiresOn ?? DateTimeOffset.MaxValue);
            }

            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
                => new ValueTask<AccessToken>(GetToken(requestContext, cancellationToken));
        }

        internal static ApimDrException Expired(DateTimeOffset expiredOn)
            => new ApimDrException(ErrorIds.AuthenticationExpired, ApimErrorCategory.AuthenticationError,
                $"The access token given with -AccessToken expired at {expiredOn:u}. Get a new token (Get-AzAccessToken) or sign in so ApimDr can refresh tokens itself.");

        private sealed class DelegateTokenCredential : TokenCredential
        {
            private readonly Func<string[], CancellationToken, Task<ExternalToken>> _provider;

            public DelegateTokenCredential(Func<string[], CancellationToken, Task<ExternalToken>> provider) => _provider = provider;

            // The engine only sends asynchronously; the sync path exists because TokenCredential demands it.
            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
                => GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

            public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
            {
                ExternalToken token;
                try
                {
                    token = await _provider(requestContext.Scopes, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException) && !(ex is ApimDrException))
                {
                    // Whatever the provider threw (Get-AzAccessToken failing, a logged-out context), it is an authentication failure.
                    throw new ApimDrException(ErrorIds.AuthenticationFailed, ApimErrorCategory.AuthenticationError,
                        $"Could not get a token for {string.Join(" ", requestContext.Scopes)} from the signed-in Az context: {ex.Message}", null, ex);
                }
                return new AccessToken(SecureStrings.ToPlainText(token.Token), token.ExpiresOn);
            }
        }
    }
}
