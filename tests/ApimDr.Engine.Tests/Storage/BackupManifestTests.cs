using System;
using System.Collections.Generic;
using System.Linq;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Tests.Fakes;
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
            ApimBackupManifest written = BackupManifest.ForStart(Started(), Prod());
            ApimBackupManifest? read = BackupManifest.Parse(BackupManifest.ToJson(written));

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
            ApimOperation started = Started();
            started.FollowUps = new[] { ApimFollowUp.RecordEnd };
            ApimBackupManifest manifest = BackupManifest.ForStart(started, Prod());
            Assert.Equal(new[] { ApimFollowUp.RecordEnd }, BackupManifest.Parse(BackupManifest.ToJson(manifest))!.FollowUps);   // what a later wait must do
            ApimOperation ended = Started();
            ended.Status = ApimOperation.Failed;
            ended.EndTime = ended.StartTime.AddMinutes(7);
            ended.ErrorCode = "BackupFailed";
            ended.FollowUps = new[] { ApimFollowUp.RecordEnd };

            BackupManifest.RecordEnd(manifest, ended);
            ApimBackupManifest read = BackupManifest.Parse(BackupManifest.ToJson(manifest))!;

            Assert.Equal(ApimOperation.Failed, read.Status);
            Assert.Equal(ended.EndTime, read.EndTime);
            Assert.Equal("BackupFailed", read.ErrorCode);
            Assert.Empty(read.FollowUps);   // done: nothing left for a later wait
        }

        [Fact]
        public void EveryWritablePropertyIsWrittenAndReadBackByTheFactory()
        {
            // Adding a field to the manifest without its line in ApimBackupManifest.FromProperties fails here:
            // the JSON is written from the properties themselves and read back only through the factory.
            ApimBackupManifest original = EveryProperty.Fill(BackupManifest.ForStart(Started(), Prod()));
            original.Schema = ApimBackupManifest.CurrentSchema;   // another schema is not a manifest
            original.PollUrl = Started().PollUrl;                 // a poll URL is absolute

            ApimBackupManifest? read = BackupManifest.Parse(BackupManifest.ToJson(original));

            Assert.NotNull(read);
            EveryProperty.AssertEqual(original, read!);
        }

        [Fact]
        public void EveryWritablePropertyRoundTripsThroughTheBlobMetadataAsAsciiUnderAnIdentifier()
        {
            // The metadata the listing reads is the same record (no second mapping): every field, through the one factory.
            ApimBackupManifest original = EveryProperty.Fill(BackupManifest.ForStart(Started(), Prod()));
            original.Schema = ApimBackupManifest.CurrentSchema;
            original.PollUrl = Started().PollUrl;
            original.SourceServiceName = "prod-é-東京";   // not ASCII: the value must still be

            IDictionary<string, string> metadata = BackupManifest.ToMetadata(original)!;

            KeyValuePair<string, string> pair = Assert.Single(metadata);
            Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", pair.Key);
            Assert.All(pair.Value, c => Assert.InRange(c, (char)0x20, (char)0x7E));
            Assert.True(pair.Key.Length + pair.Value.Length <= 8192);
            var upper = new Dictionary<string, string> { [pair.Key.ToUpperInvariant()] = pair.Value };   // storage may hand names back in another case
            EveryProperty.AssertEqual(original, BackupManifest.FromMetadata(upper)!);
        }

        [Fact]
        public void AManifestTooLargeForMetadataHasNoneAndMetadataThatIsNotAManifestReadsAsNone()
        {
            ApimBackupManifest huge = BackupManifest.ForStart(Started(), Prod());
            huge.Replicas = Enumerable.Range(0, 400).Select(i => $"replicaaccount{i}/container{i}").ToArray();
            Assert.Null(BackupManifest.ToMetadata(huge));   // the listing then downloads that one manifest

            Assert.Null(BackupManifest.FromMetadata(null));
            Assert.Null(BackupManifest.FromMetadata(new Dictionary<string, string> { ["apimdr_sourcesku"] = "Premium" }));
            Assert.Null(BackupManifest.FromMetadata(new Dictionary<string, string> { [BackupManifest.MetadataName] = "not base64!" }));
            Assert.Null(BackupManifest.FromMetadata(new Dictionary<string, string> { [BackupManifest.MetadataName] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("{\"schema\":\"other\"}")) }));
        }

        [Fact]
        public void AManifestOfAnEarlierVersionWithoutTheNewFieldsStillReads()
        {
            const string Earlier = "{\"schema\":\"apimdr-backup-manifest/1\",\"backupName\":\"prod.apimbackup\",\"sourceServiceId\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/prod\",\"sourceServiceName\":\"prod\",\"sourceSku\":\"Premium\",\"sourceCapacity\":1,\"startTime\":\"2026-11-27T10:00:00.0000000Z\",\"status\":\"InProgress\",\"apimDrVersion\":\"0.1.0\"}";

            ApimBackupManifest read = BackupManifest.Parse(Earlier)!;

            Assert.Equal("Premium", read.SourceSku);
            Assert.Equal(1, read.SourceCapacity);
            Assert.Equal(new DateTime(2026, 11, 27, 10, 0, 0, DateTimeKind.Utc), read.StartTime);
            Assert.Empty(read.FollowUps);
            Assert.Null(read.CorrelationId);
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
            var request = new BackupRestoreRequest { Location = new StorageLocation("backupstore", "apim-backups", ApimDr.Engine.Clouds.CloudEnvironment.AzureCloud), BackupName = "prod.apimdr.json", AccessType = StorageAccessType.SystemAssignedManagedIdentity };
            var ex = Assert.Throws<ApimDr.Engine.Errors.ApimDrException>(() => request.Validate());
            Assert.Equal(ApimDr.Engine.Errors.ErrorIds.InvalidBackupName, ex.ErrorId);
        }
    }
}
