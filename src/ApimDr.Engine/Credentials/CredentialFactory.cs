using System;
using System.Threading;
using System.Threading.Tasks;
using Azure.Core;
using Azure.Identity;

namespace ApimDr.Engine.Credentials
{
    /// <summary>Turns a <see cref="CredentialSource"/> into an Azure.Core TokenCredential.</summary>
    internal static class CredentialFactory
    {
        public static TokenCredential Create(CredentialSource source)
        {
            if (source.AccessToken != null)
            {
                return new StaticTokenCredential(source.AccessToken);
            }
            if (source.TokenProvider != null)
            {
                return new DelegateTokenCredential(source.TokenProvider);
            }
            var options = new DefaultAzureCredentialOptions
            {
                ExcludeInteractiveBrowserCredential = true,
            };
            if (!string.IsNullOrEmpty(source.ManagedIdentityClientId))
            {
                options.ManagedIdentityClientId = source.ManagedIdentityClientId;
            }
            return new DefaultAzureCredential(options);
        }

        private sealed class StaticTokenCredential : TokenCredential
        {
            private readonly System.Security.SecureString _token;

            public StaticTokenCredential(System.Security.SecureString token) => _token = token;

            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
                => new AccessToken(SecureStrings.ToPlainText(_token), DateTimeOffset.MaxValue);

            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
                => new ValueTask<AccessToken>(GetToken(requestContext, cancellationToken));
        }

        private sealed class DelegateTokenCredential : TokenCredential
        {
            private readonly Func<string[], CancellationToken, ExternalToken> _provider;

            public DelegateTokenCredential(Func<string[], CancellationToken, ExternalToken> provider) => _provider = provider;

            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
            {
                ExternalToken token = _provider(requestContext.Scopes, cancellationToken);
                return new AccessToken(SecureStrings.ToPlainText(token.Token), token.ExpiresOn);
            }

            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
                => new ValueTask<AccessToken>(GetToken(requestContext, cancellationToken));
        }
    }
}
