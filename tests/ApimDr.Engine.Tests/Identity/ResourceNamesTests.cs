using System;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Identity;
using Xunit;

namespace ApimDr.Engine.Tests.Identity
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

        [Fact]
        public void BlobNameLengthLimitIs1024()
        {
            ResourceNames.ValidateBlobName(new string('a', 1024));
            Assert.Throws<ApimDrException>(() => ResourceNames.ValidateBlobName(new string('a', 1025)));
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
            CloudEnvironment cloud = CloudEnvironment.Custom(new Uri("https://127.0.0.1:8443/some/path"));
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

        [Fact]
        public void RejectsUnknownEnvironmentAndPlainHttpEndpoint()
        {
            Assert.Equal("InvalidEnvironment", Assert.Throws<ApimDrException>(() => CloudEnvironment.Get("Mars")).ErrorId);
            Assert.Equal("InvalidResourceManagerUrl", Assert.Throws<ApimDrException>(() => CloudEnvironment.Custom(new Uri("http://127.0.0.1:1/"))).ErrorId);
        }
    }
}
