using System;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Validation;
using Xunit;

namespace ApimDr.Engine.Tests.Validation
{
    public class ResourceNamesTests
    {
        [Theory]
        [InlineData("abc")]
        [InlineData("devstoreaccount1")]
        [InlineData("a23456789012345678901234")]
        public void AcceptsValidStorageAccountNames(string name) => ResourceNames.ValidateStorageAccountName(name);

        [Theory]
        [InlineData("ab")]
        [InlineData("a234567890123456789012345")]
        [InlineData("DevStore")]
        [InlineData("dev-store")]
        [InlineData("https://x.blob.core.windows.net")]
        [InlineData("")]
        public void RejectsInvalidStorageAccountNames(string name)
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateStorageAccountName(name));
            Assert.Equal("InvalidStorageAccountName", ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
        }

        [Theory]
        [InlineData("abc")]
        [InlineData("apim-backups")]
        [InlineData("a-b-c")]
        [InlineData("123")]
        public void AcceptsValidContainerNames(string name) => ResourceNames.ValidateContainerName(name);

        [Theory]
        [InlineData("ab")]
        [InlineData("Backups")]
        [InlineData("-backups")]
        [InlineData("backups-")]
        [InlineData("back--ups")]
        [InlineData("back_ups")]
        public void RejectsInvalidContainerNames(string name)
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateContainerName(name));
            Assert.Equal("InvalidContainerName", ex.ErrorId);
        }

        [Fact]
        public void ContainerNameLengthLimitIs63()
        {
            ResourceNames.ValidateContainerName(new string('a', 63));
            Assert.Throws<ApimDrException>(() => ResourceNames.ValidateContainerName(new string('a', 64)));
        }

        [Theory]
        [InlineData("prod")]
        [InlineData("p")]
        [InlineData("prod-apim-01")]
        public void AcceptsValidServiceNames(string name) => ResourceNames.ValidateServiceName(name);

        [Theory]
        [InlineData("1prod")]
        [InlineData("prod-")]
        [InlineData("prod_apim")]
        [InlineData("")]
        public void RejectsInvalidServiceNames(string name)
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateServiceName(name));
            Assert.Equal("InvalidServiceName", ex.ErrorId);
        }

        [Fact]
        public void ServiceNameLengthLimitIs50()
        {
            ResourceNames.ValidateServiceName("a" + new string('b', 49));
            Assert.Throws<ApimDrException>(() => ResourceNames.ValidateServiceName("a" + new string('b', 50)));
        }

        [Theory]
        [InlineData("backup.apimbackup", true)]
        [InlineData("folder/backup", true)]
        [InlineData("backup.", false)]
        [InlineData("folder/", false)]
        [InlineData("", false)]
        public void ValidatesBlobNames(string name, bool valid)
        {
            if (valid) ResourceNames.ValidateBlobName(name);
            else Assert.Equal("InvalidBackupName", Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName(name)).ErrorId);
        }

        [Theory]
        [InlineData("prod/2026-01-01.apimbackup")]
        [InlineData("a/b/c/backup.apimbackup")]
        [InlineData("..backup")]
        [InlineData("backup..apimbackup")]
        [InlineData("folder/.hidden.apimbackup")]
        [InlineData("name with spaces.apimbackup")]
        public void AcceptsBlobNamesThatStayInTheirContainer(string name) => ResourceNames.ValidateBlobName(name);

        /// <summary>'../other/x.apimbackup' used to land in container 'other': URLs resolve dot segments.</summary>
        [Theory]
        [InlineData("../other/x.apimbackup", "'..' path segment")]
        [InlineData("a/../../other/x.apimbackup", "'..' path segment")]
        [InlineData("./x.apimbackup", "'.' path segment")]
        [InlineData("a/./x.apimbackup", "'.' path segment")]
        [InlineData("a/%2e%2e/x.apimbackup", "'..' path segment")]
        [InlineData("..", "ends with a period")]
        [InlineData("/x.apimbackup", "starts with '/'")]
        [InlineData("\\x.apimbackup", "backslash")]
        [InlineData("folder\\x.apimbackup", "backslash")]
        [InlineData("..\\other\\x.apimbackup", "backslash")]
        [InlineData("a//b.apimbackup", "empty path segment")]
        public void RefusesBlobNamesThatWouldLandElsewhere(string name, string reason)
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName(name));
            Assert.Equal(ErrorIds.InvalidBackupName, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains(reason, ex.Message);
        }

        // Code points, not characters, in the test data: a NUL or line break would break the test report.
        [Theory]
        [InlineData(0x00)]
        [InlineData(0x0A)]
        [InlineData(0x0D)]
        [InlineData(0x1B)]
        [InlineData(0x7F)]
        [InlineData(0x85)]
        public void RefusesControlCharactersInBlobNames(int codePoint)
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName("prod" + (char)codePoint + ".apimbackup"));
            Assert.Equal(ErrorIds.InvalidBackupName, ex.ErrorId);
            Assert.Contains($"control character U+{codePoint:X4}", ex.Message);
        }

        [Fact]
        public void ABlobNameErrorShowsControlCharactersEscaped()
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName("evil\r\nWARNING: fake.apimbackup"));
            Assert.DoesNotContain("\n", ex.Message);
            Assert.DoesNotContain("\r", ex.Message);
            Assert.Contains("evil\\u000D\\u000AWARNING", ex.Message);
        }

        [Fact]
        public void BlobNameLengthLimitIs1024()
        {
            ResourceNames.ValidateBlobName(new string('a', 1024));
            Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName(new string('a', 1025)));
        }

        /// <summary>Before: a lone surrogate in a backup name was sent as U+FFFD, a blob of ANOTHER name.</summary>
        /// (Built in code: a lone surrogate in an attribute argument is stored as U+FFFD by the compiler.)
        [Theory]
        [InlineData("backup{0}.apimbackup", 0xD800, 0)]
        [InlineData("{0}backup", 0xDC00, 0)]
        [InlineData("backup{0}", 0xDBFF, 0)]
        [InlineData("a{0}{1}b", 0xDC00, 0xD800)]   // low before high: two lone halves, not a pair
        public void RefusesALoneSurrogateInEveryName(string template, int first, int second)
        {
            string name = string.Format(template, (char)first, second == 0 ? string.Empty : ((char)second).ToString());
            Assert.True(ResourceNames.LoneSurrogateIndex(name) >= 0);
            var blob = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName(name));
            Assert.Equal(ErrorIds.InvalidBackupName, blob.ErrorId);
            Assert.Contains("unpaired UTF-16 surrogate", blob.Message);
            Assert.DoesNotContain(blob.Message, c => char.IsSurrogate(c));   // shown as \uXXXX, never as a broken character
            Assert.Equal(ErrorIds.InvalidServiceName, Assert.Throws<ApimDrException>(() => ResourceNames.ValidateServiceName("prod" + name)).ErrorId);
            Assert.Equal(ErrorIds.InvalidResourceGroupName, Assert.Throws<ApimDrException>(() => ResourceNames.ValidateResourceGroupName("rg" + name)).ErrorId);
            Assert.Equal(ErrorIds.InvalidStorageAccountName, Assert.Throws<ApimDrException>(() => ResourceNames.ValidateStorageAccountName("store" + name)).ErrorId);
            Assert.Equal(ErrorIds.InvalidContainerName, Assert.Throws<ApimDrException>(() => ResourceNames.ValidateContainerName("box" + name)).ErrorId);
        }

        [Fact]
        public void APairedSurrogateIsAnOrdinaryCharacterOfABackupName()
            => ResourceNames.ValidateBlobName("prod-" + char.ConvertFromUtf32(0x1F680) + ".apimbackup");

        /// <summary>Before: the empty GUID passed, and the backup ran 41 ARM requests before the service refused it.</summary>
        [Fact]
        public void RefusesTheEmptyGuidAsAClientId()
        {
            var ex = Assert.Throws<ApimDrException>(() => ResourceNames.ValidateClientId(Guid.Empty.ToString()));
            Assert.Equal(ErrorIds.InvalidIdentityClientId, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            ResourceNames.ValidateClientId("c11e0000-7c3b-4e2a-9f1d-00000000a153");
        }
    }

    public class CloudEnvironmentTests
    {
        [Theory]
        [InlineData("AzureCloud", "https://management.azure.com/", "https://management.azure.com/.default", "blob.core.windows.net")]
        [InlineData("azurechinacloud", "https://management.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default", "blob.core.chinacloudapi.cn")]
        [InlineData("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://management.usgovcloudapi.net/.default", "blob.core.usgovcloudapi.net")]
        public void KnowsTheThreeClouds(string name, string arm, string scope, string blobSuffix)
        {
            CloudEnvironment cloud = CloudEnvironment.Get(name);
            Assert.Equal(new Uri(arm), cloud.ResourceManagerUrl);
            Assert.Equal(scope, cloud.ArmScope);
            Assert.Equal(blobSuffix, cloud.BlobSuffix);
        }

        [Fact]
        public void CustomEndpointTakesItsAudienceFromTheEndpoint()
        {
            CloudEnvironment cloud = CloudEnvironment.Custom(new Uri("https://127.0.0.1:8443"));
            Assert.Equal("https://127.0.0.1:8443/.default", cloud.ArmScope);
            Assert.Equal(new Uri("https://127.0.0.1:8443/"), cloud.ResourceManagerUrl);
        }

        [Theory]
        [InlineData("https://management.azure.com/", "AzureCloud")]
        [InlineData("https://MANAGEMENT.chinacloudapi.cn", "AzureChinaCloud")]
        [InlineData("https://management.usgovcloudapi.net/", "AzureUSGovernment")]
        [InlineData("https://127.0.0.1:8443/", "Custom")]
        public void FindsTheCloudOfASavedOperation(string url, string name)
            => Assert.Equal(name, CloudEnvironment.ForResourceManagerUrl(new Uri(url)).Name);

        [Theory]
        [InlineData("https://127.0.0.1:8443/")]
        [InlineData("https://127.0.0.1:8443")]
        [InlineData("https://arm.contoso.internal/")]
        [InlineData("https://[::1]:8443/")]
        public void AcceptsAnArmEndpointRoot(string url) => Assert.Equal("Custom", CloudEnvironment.ForResourceManagerUrl(new Uri(url)).Name);

        /// <summary>Every message shows scheme://host:port and never what came before '@' or after '?'/'#'.</summary>
        [Theory]
        [InlineData("https://admin:hunter2@management.azure.com/", "user name or password")]
        [InlineData("https://admin:hunter2@127.0.0.1:8443/", "user name or password")]
        [InlineData("https://hunter2@127.0.0.1:8443/", "user name or password")]
        [InlineData("https://127.0.0.1:8443/?code=hunter2", "query or fragment")]
        [InlineData("https://management.azure.com/?sig=hunter2", "query or fragment")]
        [InlineData("https://127.0.0.1:8443/#hunter2", "query or fragment")]
        [InlineData("https://127.0.0.1:8443/a/../", "'.' or '..'")]
        [InlineData("https://127.0.0.1:8443/%2e%2e/", "'.' or '..'")]
        [InlineData("https://127.0.0.1:8443/./", "'.' or '..'")]
        [InlineData("https://127.0.0.1:0/", "port 0")]            // before: a minute of retries against a port nothing listens on
        [InlineData("https://management.azure.com:0/", "port 0")]
        [InlineData("https://127.0.0.1:8443/hunter2", "has a path")]
        [InlineData("https://127.0.0.1:8443/subscriptions/hunter2/", "has a path")]
        [InlineData("http://127.0.0.1:8443/", "https")]
        [InlineData("http://admin:hunter2@127.0.0.1:8443/?x=hunter2", "user name or password")]
        [InlineData("ftp://127.0.0.1:8443/", "https")]
        public void RefusesAnArmEndpointThatIsNotAnHttpsRoot(string url, string reason)
        {
            foreach (Func<CloudEnvironment> resolve in new Func<CloudEnvironment>[] { () => CloudEnvironment.Custom(new Uri(url)), () => CloudEnvironment.ForResourceManagerUrl(new Uri(url)) })
            {
                var ex = Assert.Throws<ApimDrException>(() => resolve());
                Assert.Equal(ErrorIds.InvalidResourceManagerUrl, ex.ErrorId);
                Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
                Assert.Contains(reason, ex.Message);
                Assert.DoesNotContain("hunter2", ex.Message);
                Assert.DoesNotContain("admin", ex.Message);
                Assert.DoesNotContain("hunter2", ex.Target?.ToString() ?? string.Empty);
                Uri parsed = new Uri(url);
                Assert.Contains($"{parsed.Scheme}://{parsed.Host}:{parsed.Port}", ex.Message);
            }
        }

        [Fact]
        public void RefusesARelativeArmEndpoint()
            => Assert.Equal(ErrorIds.InvalidResourceManagerUrl,
                Assert.Throws<ApimDrException>(() => CloudEnvironment.ForResourceManagerUrl(new Uri("management.azure.com", UriKind.Relative))).ErrorId);

        [Fact]
        public void RejectsUnknownEnvironmentAndPlainHttpEndpoint()
        {
            Assert.Equal("InvalidEnvironment", Assert.Throws<ApimDrException>(() => CloudEnvironment.Get("Mars")).ErrorId);
            Assert.Equal("InvalidResourceManagerUrl", Assert.Throws<ApimDrException>(() => CloudEnvironment.Custom(new Uri("http://127.0.0.1:1/"))).ErrorId);
        }
    }
}
