using System;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;

namespace ApimDr.Engine.Tests.Configuration
{
    /// <summary>Compare two snapshots: Added/Removed/Changed per property, secrets as "(secret differs)", by-design settings apart, JSON round trip.</summary>
    public class ConfigurationComparerTests
    {
        private static Task<ApimConfiguration> Snapshot(FakeApim apim, string? salt = null)
        {
            var clock = new VirtualClock();
            return ConfigurationReaderTests.Read(clock, new FakeArmTransport(clock, apim.Handle), salt, name: apim.Name);
        }

        [Fact]
        public async Task TwoServicesWithTheSameEntitiesDifferOnlyInWhatRestoreDoesNotCarry()
        {
            ApimConfiguration prod = await Snapshot(ConfigurationReaderTests.Sample("prod"));
            FakeApim standbyApim = ConfigurationReaderTests.Sample("standby");
            standbyApim.ServiceProperties["gatewayUrl"] = "https://standby.azure-api.net";
            ApimConfiguration standby = await Snapshot(standbyApim, prod.Salt);

            var differences = ConfigurationComparer.Compare(prod, standby);

            var row = Assert.Single(differences);
            Assert.Equal(ApimConfigurationDifference.NotRestoredKind, row.Entity);
            Assert.Equal("gatewayUrl", row.Property);
            Assert.False(row.IsRestorable);
            ApimConfigurationSummary summary = ConfigurationComparer.Summarize(prod, standby);
            Assert.True(summary.IsEqual);
            Assert.True(summary.SecretsCompared);
            Assert.Equal(1, summary.NotRestoredDifferences);
            Assert.Equal(5, summary.Kinds.Single(k => k.Entity == "apis").Equal);
        }

        [Fact]
        public async Task ReportsAddedRemovedChangedAndASecretThatDiffersWithoutShowingIt()
        {
            FakeApim apim = ConfigurationReaderTests.Sample();
            ApimConfiguration reference = await Snapshot(apim);
            apim.Policies["policies/policy"] = "<policies><inbound><cors allow-credentials=\"true\" /></inbound></policies>";
            apim.Secrets["backend-key"] = "another-secret-value";
            apim.Collections["apis"].RemoveAt(4);
            apim.Add("tags", "new-tag", new JsonObject { ["displayName"] = "New" });
            ApimConfiguration difference = await Snapshot(apim, reference.Salt);

            var rows = ConfigurationComparer.Compare(reference, difference);

            var policy = Assert.Single(rows, r => r.Entity == "policy");
            Assert.Equal(ApimConfigurationDifference.Changed, policy.Change);
            Assert.Equal("value", policy.Property);
            var secret = Assert.Single(rows, r => r.Entity == "namedValues");
            Assert.Equal((ApimConfigurationDifference.Changed, "backend-key", "(secret)", "(secret differs)"), (secret.Change, secret.Name, secret.Reference, secret.Difference));
            Assert.Equal(ApimConfigurationDifference.Removed, Assert.Single(rows, r => r.Entity == "apis").Change);
            Assert.Equal(3, rows.Count(r => r.Entity == "apiOperations" && r.Change == ApimConfigurationDifference.Removed));
            var tag = Assert.Single(rows, r => r.Entity == "tags");
            Assert.Equal((ApimConfigurationDifference.Added, "*", null, "(exists)"), (tag.Change, tag.Property, tag.Reference, tag.Difference));
            Assert.DoesNotContain(rows, r => (r.Reference ?? "").Contains("hmac") || (r.Difference ?? "").Contains("hmac"));
            ApimConfigurationSummary summary = ConfigurationComparer.Summarize(reference, difference);
            Assert.False(summary.IsEqual);
            Assert.Equal(1, summary.Kinds.Single(k => k.Entity == "apis").Removed);
            Assert.Equal(1, summary.Kinds.Single(k => k.Entity == "tags").Added);
            Assert.Equal(1, summary.Kinds.Single(k => k.Entity == "namedValues").Changed);
        }

        [Fact]
        public async Task SecretsUnderDifferentSaltsAreNotComparableNeverEqualOrDifferent()
        {
            FakeApim apim = ConfigurationReaderTests.Sample();
            ApimConfiguration first = await Snapshot(apim);
            ApimConfiguration second = await Snapshot(apim);

            var rows = ConfigurationComparer.Compare(first, second);

            Assert.NotEqual(first.Salt, second.Salt);
            Assert.All(rows, r => Assert.Equal(ApimConfigurationDifference.NotComparable, r.Change));
            Assert.Contains(rows, r => r.Name == "backend-key" && r.Difference == ApimConfigurationDifference.SecretNotComparableText);
            Assert.False(ConfigurationComparer.Summarize(first, second).SecretsCompared);
        }

        [Fact]
        public async Task ASnapshotRoundTripsThroughJsonAndEqualsItself()
        {
            ApimConfiguration snapshot = await Snapshot(ConfigurationReaderTests.Sample());

            ApimConfiguration back = ConfigurationJson.Parse(ConfigurationJson.Serialize(snapshot));

            Assert.Empty(ConfigurationComparer.Compare(snapshot, back));
            Assert.Equal(snapshot.EntityCount, back.EntityCount);
            Assert.Equal(snapshot.TakenAt, back.TakenAt);
            Assert.Equal(DateTimeKind.Utc, back.TakenAt.Kind);
            Assert.Equal(snapshot.Salt, back.Salt);
            Assert.All(ConfigurationComparer.Compare(snapshot, back, includeEqual: true), r => Assert.Equal(ApimConfigurationDifference.Equal, r.Change));
        }

        [Theory]
        [InlineData("not json")]
        [InlineData("{\"Format\":\"something-else\",\"ServiceId\":\"x\"}")]
        [InlineData("[]")]
        public void AnythingButASnapshotIsInvalidConfigurationSnapshot(string json)
        {
            var error = Assert.Throws<ApimDrException>(() => ConfigurationJson.Parse(json, "prod.json"));
            Assert.Equal(ErrorIds.InvalidConfigurationSnapshot, error.ErrorId);
        }
    }
}
