using System;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Storage;
using Xunit;

namespace ApimDr.Engine.Tests.Storage
{
    public class BackupManifestTests
    {
        private static ApimOperation Started() => new ApimOperation
        {
            Kind = "Backup",
            Name = "prod",
            ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ApiManagement/service/prod",
            BackupName = "nightly/prod.apimbackup",
            AccessType = "AccessKey",
            PollUrl = new Uri("https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ApiManagement/service/prod/operationresults/abc?api-version=2024-05-01"),
            StartTime = new DateTime(2026, 11, 27, 10, 0, 0, DateTimeKind.Utc),
        };

        private static ServiceInfo Prod() => new ServiceInfo { Name = "prod", SkuName = "Premium", SkuCapacity = 2, Location = "West Europe", PlatformVersion = "stv2" };

        [Fact]
        public void ItRoundTripsThroughItsJsonWithTheSourceAndTheOperation()
        {
            BackupManifest written = BackupManifest.ForStart(Started(), Prod());
            BackupManifest? read = BackupManifest.Parse(written.ToJson());

            Assert.NotNull(read);
            Assert.Equal("nightly/prod.apimbackup", read!.BackupName);
            Assert.Equal(Started().ResourceId, read.SourceServiceId);
            Assert.Equal("prod", read.SourceServiceName);
            Assert.Equal("Premium", read.SourceSku);
            Assert.Equal(2, read.SourceCapacity);
            Assert.Equal("West Europe", read.Location);
            Assert.Equal("stv2", read.PlatformVersion);
            Assert.Equal(Started().PollUrl, read.PollUrl);
            Assert.Equal(Started().StartTime, read.StartTime);
            Assert.Equal(DateTimeKind.Utc, read.StartTime.Kind);
            Assert.Equal(ApimOperation.InProgress, read.Status);
            Assert.Null(read.EndTime);
            Assert.False(string.IsNullOrEmpty(read.ApimDrVersion));
        }

        [Fact]
        public void TheEndAWaitSawIsRecorded()
        {
            BackupManifest manifest = BackupManifest.ForStart(Started(), Prod());
            ApimOperation ended = Started();
            ended.Status = ApimOperation.Failed;
            ended.EndTime = ended.StartTime.AddMinutes(7);
            ended.ErrorCode = "BackupFailed";

            manifest.RecordEnd(ended);
            BackupManifest read = BackupManifest.Parse(manifest.ToJson())!;

            Assert.Equal(ApimOperation.Failed, read.Status);
            Assert.Equal(ended.EndTime, read.EndTime);
            Assert.Equal("BackupFailed", read.ErrorCode);
        }

        [Theory]
        [InlineData("not json")]
        [InlineData("{\"schema\":\"something-else/1\",\"backupName\":\"x\"}")]
        [InlineData("[1,2]")]
        public void TextThatIsNotAManifestReadsAsNone(string text) => Assert.Null(BackupManifest.Parse(text));

        [Fact]
        public void ManifestNamesAreRecognisedAndMapBackToTheirBackup()
        {
            Assert.Equal("a/b.apimbackup.apimdr.json", BackupManifest.NameFor("a/b.apimbackup"));
            Assert.True(BackupManifest.IsManifestName("a/b.apimbackup.APIMDR.json"));
            Assert.False(BackupManifest.IsManifestName("a/b.apimbackup"));
            Assert.Equal("a/b.apimbackup", BackupManifest.BackupNameOf("a/b.apimbackup.apimdr.json"));
        }

        [Fact]
        public void ABackupMayNotTakeAManifestName()
        {
            var request = new BackupRestoreRequest { StorageAccountName = "backupstore", ContainerName = "apim-backups", BackupName = "prod.apimdr.json", AccessType = StorageAccessType.SystemAssignedManagedIdentity };
            var ex = Assert.Throws<ApimDr.Engine.Errors.ApimDrException>(() => request.Validate());
            Assert.Equal(ApimDr.Engine.Errors.ErrorIds.InvalidBackupName, ex.ErrorId);
        }
    }
}
