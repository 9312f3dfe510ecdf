using System;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Storage
{
    public class StorageLocationTests
    {
        private const string Account = "devstoreaccount1";

        private static StorageLocation At(string endpoint) => new StorageLocation(Account, "backups", CloudEnvironment.AzureCloud, new Uri(endpoint));

        [Theory]
        [InlineData("https://devstoreaccount1.blob.core.windows.net/", "https://devstoreaccount1.blob.core.windows.net/backups")]
        [InlineData("https://devstoreaccount1.blob.core.windows.net", "https://devstoreaccount1.blob.core.windows.net/backups")]
        [InlineData("http://127.0.0.1:10000/devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1/backups")]
        [InlineData("http://127.0.0.1:10000/devstoreaccount1/", "http://127.0.0.1:10000/devstoreaccount1/backups")]
        [InlineData("https://privatelink.contoso.internal:8443/", "https://privatelink.contoso.internal:8443/backups")]
        public void AcceptsAnAccountEndpoint(string endpoint, string container)
            => Assert.Equal(container, At(endpoint).ContainerUri.AbsoluteUri);

        [Fact]
        public void DefaultsToTheCloudsBlobHost()
            => Assert.Equal("https://devstoreaccount1.blob.core.chinacloudapi.cn/backups",
                new StorageLocation(Account, "backups", CloudEnvironment.AzureChinaCloud).ContainerUri.AbsoluteUri);

        /// <summary>Messages show scheme://host:port only: never the userinfo, the SAS or the path.</summary>
        [Theory]
        [InlineData("https://admin:hunter2@devstoreaccount1.blob.core.windows.net/", "user name or password")]
        [InlineData("https://devstoreaccount1.blob.core.windows.net/?sv=2024&sig=hunter2", "SAS URLs are not supported")]
        [InlineData("https://devstoreaccount1.blob.core.windows.net/backups?sp=r&sig=hunter2", "SAS URLs are not supported")]
        [InlineData("https://devstoreaccount1.blob.core.windows.net/#hunter2", "fragment")]
        [InlineData("http://127.0.0.1:10000/devstoreaccount1/../hunter2", "'.' or '..'")]
        [InlineData("http://127.0.0.1:10000/hunter2/../devstoreaccount1", "'.' or '..'")]
        [InlineData("http://127.0.0.1:10000/./devstoreaccount1", "'.' or '..'")]
        [InlineData("http://127.0.0.1:10000/%2E%2E/devstoreaccount1", "'.' or '..'")]
        [InlineData("http://127.0.0.1:10000/hunter2", "path other than '/devstoreaccount1'")]
        [InlineData("http://127.0.0.1:10000/devstoreaccount1/hunter2", "path other than '/devstoreaccount1'")]
        [InlineData("https://devstoreaccount1.blob.core.windows.net/other/hunter2", "path other than '/devstoreaccount1'")]
        [InlineData("ftp://127.0.0.1/hunter2", "absolute http or https URL")]
        public void RefusesAnEndpointThatIsNotTheAccountsRoot(string endpoint, string reason)
        {
            var ex = Assert.Throws<ApimDrException>(() => At(endpoint));
            Assert.Equal(ErrorIds.InvalidBlobEndpoint, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains(reason, ex.Message);
            Assert.DoesNotContain("hunter2", ex.Message);
            Assert.DoesNotContain("admin", ex.Message);
            Assert.DoesNotContain("hunter2", ex.Target?.ToString() ?? string.Empty);
        }

        [Fact]
        public void RefusesARelativeEndpoint()
            => Assert.Equal(ErrorIds.InvalidBlobEndpoint,
                Assert.Throws<ApimDrException>(() => new StorageLocation(Account, "backups", CloudEnvironment.AzureCloud, new Uri("hunter2/x", UriKind.Relative))).ErrorId);

        [Fact]
        public void NeverSendsATokenOverPlainHttp()
        {
            StorageLocation location = At("http://127.0.0.1:10000/devstoreaccount1");
            var ex = Assert.Throws<ApimDrException>(() => location.ValidateCredentials());
            Assert.Equal(ErrorIds.InvalidBlobEndpoint, ex.ErrorId);
            Assert.Contains("tokens are only sent over https", ex.Message);
            // The storage client refuses too, whoever forgot to ask first.
            Assert.Equal(ErrorIds.InvalidBlobEndpoint, Assert.Throws<ApimDrException>(() => BackupCatalog.CreateContainerClient(location)).ErrorId);

            location.AccountKey = Secure(StorageKey);
            location.ValidateCredentials();
            At("https://devstoreaccount1.blob.core.windows.net/").ValidateCredentials();
        }

        /// <summary>No key and no identity: an AuthenticationFailed error, not an Azure.Identity exception.</summary>
        [Fact]
        public async System.Threading.Tasks.Task NoStorageTokenIsAnAuthenticationFailedError()
        {
            StorageLocation location = At("https://127.0.0.1:1/");
            location.Credentials = new Credentials.CredentialSource { TokenCredential = new FailingCredential() };
            var ex = await Assert.ThrowsAsync<ApimDrException>(() => BackupCatalog.ListAsync(location, null, default));
            Assert.Equal(ErrorIds.AuthenticationFailed, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.AuthenticationError, ex.Category);
            Assert.Contains("-StorageAccountKey", ex.Message);
        }

        private sealed class FailingCredential : Azure.Core.TokenCredential
        {
            public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, System.Threading.CancellationToken cancellationToken)
                => throw new Azure.Identity.CredentialUnavailableException("DefaultAzureCredential failed to retrieve a token.");

            public override System.Threading.Tasks.ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, System.Threading.CancellationToken cancellationToken)
                => throw new Azure.Identity.CredentialUnavailableException("DefaultAzureCredential failed to retrieve a token.");
        }

        [Theory]
        [InlineData("not base64!")]
        [InlineData("hunter2")]
        [InlineData("U3RvcmFnZUtleVNlY3JldFZhbHVlMTIzNDU2Nzg5MA=")]
        [InlineData("U3RvcmFnZUtleVNl Y3JldFZhbHVlMTIzNDU2Nzg5MA==")]
        [InlineData("U3RvcmFnZUtleVNlY3JldFZhbHVlMTIzNDU2Nzg5MA==\n")]
        [InlineData("")]
        [InlineData("   ")]
        public void RefusesAKeyThatIsNotBase64WithoutShowingIt(string key)
        {
            StorageLocation location = At("http://127.0.0.1:10000/devstoreaccount1");
            var ex = Assert.Throws<ApimDrException>(() => location.AccountKey = Secure(key));
            Assert.Equal(ErrorIds.InvalidStorageAccountKey, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains("devstoreaccount1", ex.Message);
            if (key.Trim().Length > 0) Assert.DoesNotContain(key.Trim(), ex.ToString());
            Assert.Null(location.AccountKey);
        }
    }
}
