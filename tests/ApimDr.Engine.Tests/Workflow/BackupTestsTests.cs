using System;
using System.Collections.Generic;
using System.Linq;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Tests.Fakes;
using ApimDr.Engine.Workflow;
using Xunit;

namespace ApimDr.Engine.Tests.Workflow
{
    /// <summary>Test-ApimBackup's rules and Get-ApimDrStatus's, with a fixed clock (Azurite stamps real times).</summary>
    public class BackupTestsTests
    {
        private const string Sub = "00000000-0000-0000-0000-000000000001";
        private static readonly DateTime Now = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

        private static string Id(string name) => ServiceId.Create(Sub, "rg", name).ResourceId;

        private static ApimBackup Backup(string service, string name, double hoursOld, string status = ApimOperation.Succeeded, string account = "weu", string? replicaOf = null, params string[] replicas)
        {
            DateTime created = Now.AddHours(-hoursOld);
            return new ApimBackup
            {
                StorageAccountName = account,
                ContainerName = "apim",
                BackupName = name,
                Created = created,
                StartTime = created,
                ExpiresOn = created + TimeSpan.FromDays(30),
                SourceServiceId = Id(service),
                SourceServiceName = service,
                Status = status,
                ReplicaOf = replicaOf,
                Replicas = replicas,
                Uri = new Uri($"https://{account}.blob.core.windows.net/apim/{name}"),
            };
        }

        [Fact]
        public void ItTestsTheNewestRestorableBackupOfEachSourceAndAVerifiedReplicaOfItFirst()
        {
            var primary = new[]
            {
                Backup("prod", "prod-new-failed", 1, ApimOperation.Failed),
                Backup("prod", "prod-yesterday", 24),
                Backup("prod", "prod-old", 48),
                Backup("edge", "edge-expired", 24 * 31),
            };
            var replicas = new[] { Backup("prod", "prod-yesterday", 24, account: "noe", replicaOf: "weu/apim/prod-yesterday") };

            var chosen = BackupTests.Choose(primary, replicas, null, Now);

            Assert.Equal(2, chosen.Count);
            var prod = chosen.Single(c => c.SourceServiceName == "prod");
            Assert.Equal("prod-yesterday", prod.Backup!.BackupName);
            Assert.Equal("noe", prod.Backup.StorageAccountName);
            Assert.Null(chosen.Single(c => c.SourceServiceName == "edge").Backup);   // nothing restorable: a Failed test
            Assert.Equal("weu", BackupTests.Choose(primary, null, null, Now).Single(c => c.SourceServiceName == "prod").Backup!.StorageAccountName);
            Assert.Equal("prod-old", BackupTests.Choose(primary, null, "prod-old", Now).Single(c => c.SourceServiceName == "prod").Backup!.BackupName);
        }

        [Fact]
        public void TwoSourcesIntoOneTargetOrASourceWithoutOneAreRefusedAsAWhole()
        {
            var sources = new List<(string, string)> { (Id("prod"), "prod"), (Id("edge"), "edge") };

            var conflict = Assert.Throws<ApimDrException>(() => BackupTests.Targets(sources, (id, name) => ServiceId.Create(Sub, "rg", "standby")));
            Assert.Equal(ErrorIds.BackupTestTargetConflict, conflict.ErrorId);
            Assert.Contains("'prod', 'edge'", conflict.Message);

            var missing = Assert.Throws<ApimDrException>(() => BackupTests.Targets(sources, (id, name) => name == "prod" ? ServiceId.Create(Sub, "rg", "standby") : null));
            Assert.Equal(ErrorIds.BackupTestTargetRequired, missing.ErrorId);

            var targets = BackupTests.Targets(sources, (id, name) => ServiceId.Create(Sub, "rg", name + "-dr"));
            Assert.Equal("edge-dr", targets[Id("edge")].Name);
        }

        [Fact]
        public void ATestPassesOnlyWhenTheRestoreSucceededAndVerifiedEqual()
        {
            ApimBackup backup = Backup("prod", "prod-yesterday", 24);
            var restore = new ApimOperation { Kind = "Restore", Name = "standby", Status = ApimOperation.Succeeded, StartTime = Now.AddMinutes(-40), BackupName = backup.BackupName, ResourceId = Id("standby") };
            var equal = new ApimRestoreVerification { IsEqual = true, CarryOver = { new ApimConfigurationDifference { Entity = ApimConfigurationDifference.NotRestoredKind, Name = "service", Property = "sku.name" } } };

            ApimBackupTestResult passed = BackupTests.Complete(BackupTests.Begin(Id("prod"), "prod", backup, ServiceId.Create(Sub, "rg", "standby"), Now.AddHours(-1)), restore, equal, null, Now);
            Assert.Equal(ApimBackupTestResult.Succeeded, passed.Result);
            Assert.Equal(TimeSpan.FromMinutes(40), passed.Rto);
            Assert.Equal(TimeSpan.FromHours(24), passed.Rpo);
            Assert.Equal(new[] { "service sku.name" }, passed.CarryOver);
            Assert.Equal(0, passed.Differences);

            var differs = new ApimRestoreVerification { IsEqual = false, Differences = { new ApimConfigurationDifference() } };
            ApimDrException verificationFailed = new ApimDrException(ErrorIds.RestoreVerificationFailed, ApimErrorCategory.InvalidResult, "differs");
            ApimBackupTestResult failed = BackupTests.Complete(BackupTests.Begin(Id("prod"), "prod", backup, null, Now), restore, differs, verificationFailed, Now);
            Assert.Equal(ApimBackupTestResult.Failed, failed.Result);
            Assert.Equal(ErrorIds.RestoreVerificationFailed, failed.ErrorId);
            Assert.Equal(1, failed.Differences);
            Assert.Null(failed.Rto);
        }

        [Fact]
        public void EveryWritablePropertyOfAResultIsWrittenAndReadBackByTheFactory()
        {
            ApimBackupTestResult original = EveryProperty.Fill(new ApimBackupTestResult { Result = ApimBackupTestResult.Failed, IsReplica = true, IsVerified = true, StartTime = Now, EndTime = Now });
            original.Schema = ApimBackupTestResult.CurrentSchema;

            string json = BackupTestHistory.ToJson(original);
            ApimBackupTestResult? read = BackupTestHistory.Parse(json);

            Assert.NotNull(read);
            EveryProperty.AssertEqual(original, read!);
            Assert.Null(BackupTestHistory.Parse("{\"schema\":\"other/1\"}"));
        }

        [Fact]
        public void HistoryNamesSortByTimeLiveInTheSourcesFolderAndAreNeverBackupNames()
        {
            var result = new ApimBackupTestResult { SourceServiceName = "Prod", EndTime = Now };
            string name = BackupTestHistory.NameFor(result, Guid.Empty);
            Assert.Equal("apimdr-history/prod/20261206T120000000Z-00000000000000000000000000000000.json", name);
            Assert.Equal("prod", BackupTestHistory.SourceOf(name));
            Assert.True(BackupManifest.IsCompanionName(name));
        }

        [Fact]
        public void ThePostureIsHealthyWithinTheTargetsAndSaysWhatMissesThem()
        {
            var primary = new[] { Backup("prod", "prod-1", 30, replicas: "noe/apim"), Backup("edge", "edge-1", 2) };
            var replicas = new[] { Backup("prod", "prod-1", 30, account: "noe", replicaOf: "weu/apim/prod-1") };
            var history = new[]
            {
                new ApimBackupTestResult { SourceServiceId = Id("prod"), SourceServiceName = "prod", Result = ApimBackupTestResult.Succeeded, EndTime = Now.AddDays(-2), Rto = TimeSpan.FromMinutes(35) },
                new ApimBackupTestResult { SourceServiceId = Id("prod"), SourceServiceName = "prod", Result = ApimBackupTestResult.Failed, ErrorId = "SkuMismatch", EndTime = Now.AddDays(-3) },
            };

            var loose = DrPosture.Compute(primary, replicas, history, new DrTargets { MaxBackupAge = TimeSpan.FromHours(36), MaxTestAge = TimeSpan.FromDays(7), MinRestorableDays = 20 }, Now);
            ApimDrStatus prod = loose.Single(r => r.SourceServiceName == "prod");
            Assert.True(prod.IsHealthy, string.Join("; ", prod.Issues));
            Assert.Equal(TimeSpan.FromMinutes(35), prod.LastTestRto);
            Assert.Equal(28.75, prod.RestorableDaysLeft);
            Assert.Equal(TimeSpan.FromHours(30), prod.LatestReplicaAge);
            ApimDrStatus edge = loose.Single(r => r.SourceServiceName == "edge");
            Assert.Equal(new[] { "never tested (Test-ApimBackup), -MaxTestAge 7d 0h" }, edge.Issues);

            var strict = DrPosture.Compute(primary, replicas, history, new DrTargets { MaxBackupAge = TimeSpan.FromHours(24), RequireReplica = true, MaxTestAge = TimeSpan.FromDays(1), MinRestorableDays = 29 }, Now);
            Assert.Equal(3, strict.Single(r => r.SourceServiceName == "prod").Issues.Length);   // backup age, restorable days, test age
            Assert.Contains(strict.Single(r => r.SourceServiceName == "edge").Issues, i => i.Contains("-RequireReplica"));

            var failedLast = DrPosture.Compute(primary, null, new[] { history[1] }, new DrTargets(), Now).Single(r => r.SourceServiceName == "prod");
            Assert.False(failedLast.IsHealthy);
            Assert.Contains("last test failed (SkuMismatch)", failedLast.Issues.Single());
            Assert.Equal("prod-1", failedLast.LatestReplicaName);   // without the replica container: the manifest's record of one
        }
    }
}
