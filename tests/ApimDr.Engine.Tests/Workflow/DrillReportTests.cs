using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Workflow;
using Xunit;

namespace ApimDr.Engine.Tests.Workflow
{
    /// <summary>The report an auditor accepts (Test-ApimBackup -ReportPath): who from the token's claims, the loopback flag, the carry-over's actions vs informational rows, ASCII only.</summary>
    public class DrillReportTests
    {
        private const string Sub = "00000000-0000-0000-0000-000000000001";
        private static readonly DateTime Now = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

        private static string Jwt(object claims)
        {
            static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            return B64(Encoding.UTF8.GetBytes("{\"alg\":\"none\"}")) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".c2lnbmF0dXJl";
        }

        private static ApimConfigurationDifference Row(string property, string? source, string? target)
            => new ApimConfigurationDifference
            {
                Entity = ApimConfigurationDifference.NotRestoredKind, Property = property, Reference = source, Difference = target,
                Change = source == target ? ApimConfigurationDifference.Equal : source == null ? ApimConfigurationDifference.Added : target == null ? ApimConfigurationDifference.Removed : ApimConfigurationDifference.Changed,
            };

        /// <summary>What the emulator's prod vs standby carry-over looks like: 2 built-in hostnames each side, one custom, identity, VNet, TLS, SKU.</summary>
        private static List<ApimConfigurationDifference> CarryOver() => new List<ApimConfigurationDifference>
        {
            Row("gatewayUrl", "https://prod.azure-api.net", "https://standby.azure-api.net"),
            Row("hostnameConfigurations[prod.azure-api.net].hostName", "prod.azure-api.net", null),
            Row("hostnameConfigurations[prod.azure-api.net].type", "Proxy", null),
            Row("hostnameConfigurations[prod.developer.azure-api.net].hostName", "prod.developer.azure-api.net", null),
            Row("hostnameConfigurations[standby.azure-api.net].hostName", null, "standby.azure-api.net"),
            Row("hostnameConfigurations[api.contoso.example].hostName", "api.contoso.example", null),
            Row("hostnameConfigurations[api.contoso.example].type", "Proxy", null),
            Row("hostnameConfigurations[api.contoso.example].certificate.expiry", "2027-01-01T00:00:00Z", null),
            Row("hostnameConfigurations[shared.contoso.example].hostName", "shared.contoso.example", "shared.contoso.example"),
            Row("identity.type", "SystemAssigned", "None"),
            Row("virtualNetworkType", "External", "None"),
            Row("virtualNetworkConfiguration.subnetResourceId", "/subscriptions/x/subnets/apim", null),
            Row("customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10", "False", "True"),
            Row("customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11", "False", "False"),
            Row("sku.capacity", "2", "1"),
            Row("sku.name", "Developer", "Developer"),
        };

        private static ApimBackupTestResult Result(string result = ApimBackupTestResult.Succeeded, double rtoSeconds = 90, double rpoHours = 5) => new ApimBackupTestResult
        {
            SourceServiceName = "prod", SourceServiceId = ServiceId.Create(Sub, "rg", "prod").ResourceId,
            TargetServiceName = "standby", TargetServiceId = ServiceId.Create(Sub, "dr-rg", "standby").ResourceId,
            BackupName = "prod-20261206", BackupLocation = "weu/apim", BackupTime = Now.AddHours(-rpoHours), Result = result,
            RestoreStatus = ApimOperation.Succeeded, IsVerified = result == ApimBackupTestResult.Succeeded, Differences = 0,
            Rto = TimeSpan.FromSeconds(rtoSeconds), Rpo = TimeSpan.FromHours(rpoHours), StartTime = Now.AddMinutes(-2), EndTime = Now, ApimDrVersion = "1.2.3",
        };

        private static DrillReportInput Input(string arm = "https://management.azure.com/", string? token = null, TimeSpan? maxRto = null, TimeSpan? maxRpo = null, ApimRestoreVerification? verification = null) => new DrillReportInput
        {
            Cloud = "AzureCloud", ResourceManagerUrl = new Uri(arm), Caller = TokenClaims.Parse(token), ApimDrVersion = "1.2.3",
            MaxRto = maxRto, MaxRpo = maxRpo, GeneratedAt = Now,
            Tests = new[]
            {
                new DrillReportTest(Result())
                {
                    Verification = verification ?? new ApimRestoreVerification { IsEqual = true, CarryOver = CarryOver() },
                    SourceChanges = new[] { new ApimConfigurationDifference { Entity = "apiPolicies", Name = "orders", Property = "value", Change = ApimConfigurationDifference.Changed } },
                },
            },
            History = new[] { Result(), Result(ApimBackupTestResult.Failed) },
        };

        [Fact]
        public void Names_the_user_from_the_tokens_claims_and_never_holds_the_token()
        {
            string token = Jwt(new { name = "Ada Admin", upn = "ada@contoso.example", oid = "11111111-1111-1111-1111-111111111111", tid = "22222222-2222-2222-2222-222222222222", appid = "33333333-3333-3333-3333-333333333333", exp = 1 });
            DrillReport.Report report = DrillReport.Build(Input(token: token));
            Assert.Equal("Ada Admin", report.RanBy.DisplayName);
            Assert.Equal("33333333-3333-3333-3333-333333333333", report.RanBy.AppId);
            Assert.Equal("11111111-1111-1111-1111-111111111111", report.RanBy.ObjectId);
            Assert.Contains("Ada Admin (app id 33333333-3333-3333-3333-333333333333, object id 11111111-1111-1111-1111-111111111111", report.RanBy.Summary, StringComparison.Ordinal);
            foreach (string text in new[] { DrillReport.ToJson(report), DrillReport.ToMarkdown(report) })
            {
                Assert.DoesNotContain(token.Split('.')[1], text, StringComparison.Ordinal);
                Assert.DoesNotContain("c2lnbmF0dXJl", text, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void Names_an_application_by_azp_when_the_token_has_no_user()
        {
            TokenClaims claims = TokenClaims.Parse(Jwt(new { azp = "44444444-4444-4444-4444-444444444444", oid = "55555555-5555-5555-5555-555555555555" }));
            Assert.Null(claims.DisplayName);
            Assert.Equal("44444444-4444-4444-4444-444444444444", claims.AppId);
            Assert.StartsWith("application 44444444-4444-4444-4444-444444444444 (", DrillReport.WhoOf(claims).Summary, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(null)]
        [InlineData("apimdr-static-0123abcd")]
        [InlineData("a.b.c")]
        [InlineData("eyJhbGciOiJub25lIn0.eyJleHAiOjF9.x")]   // a JWT with no identity claim
        public void Says_unknown_for_a_token_without_claims(string? token)
        {
            DrillReport.Report report = DrillReport.Build(Input(token: token));
            Assert.Null(report.RanBy.DisplayName);
            Assert.Null(report.RanBy.ObjectId);
            Assert.StartsWith("unknown", report.RanBy.Summary, StringComparison.Ordinal);
            Assert.Contains("| run by | unknown", DrillReport.ToMarkdown(report), StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("https://127.0.0.1:8443/", true)]
        [InlineData("https://localhost:8443/", true)]
        [InlineData("https://[::1]:8443/", true)]
        [InlineData("https://management.azure.com/", false)]
        [InlineData("https://management.usgovcloudapi.net/", false)]
        public void Flags_a_loopback_ARM_host_as_an_emulator_or_test_endpoint(string arm, bool flagged)
        {
            DrillReport.Report report = DrillReport.Build(Input(arm: arm));
            Assert.Equal(flagged, report.RanIn.IsEmulator);
            Assert.Equal(flagged, report.RanIn.Note?.StartsWith("emulator / test endpoint", StringComparison.Ordinal) ?? false);
            Assert.Equal(flagged, DrillReport.ToMarkdown(report).Contains("> WARNING, emulator / test endpoint: the ARM host", StringComparison.Ordinal));
            Assert.Equal(new[] { Sub }, report.RanIn.SubscriptionIds);
        }

        [Fact]
        public void Lists_the_carry_over_as_a_short_list_of_actions_apart_from_informational_rows()
        {
            (List<DrillReport.CarryOverAction> actions, List<DrillReport.InformationalRow> info) = DrillReport.ClassifyCarryOver(CarryOver(), "prod", "standby");
            Assert.Equal(new[] { "custom hostname: api.contoso.example", "managed identity: identity", "vnet: vnet", "protocols and ciphers: protocols", "sku and capacity: sku" },
                actions.Select(a => $"{a.Area}: {a.Subject}").ToArray());
            DrillReport.CarryOverAction host = actions[0];
            Assert.Contains("Add custom hostname api.contoso.example (Proxy) to standby", host.Action, StringComparison.Ordinal);
            Assert.Equal(3, host.Settings.Count);
            Assert.Contains("role assignments", actions[1].Action, StringComparison.Ordinal);
            Assert.Equal(new[] { "customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10" }, actions[3].Settings.Select(s => s.Name).ToArray());
            Assert.Equal(new[] { "sku.capacity" }, actions[4].Settings.Select(s => s.Name).ToArray());
            // no action: built-in hostnames, the gateway URL, a custom hostname equal on both, equal settings
            string[] informational = info.Select(i => i.Setting).ToArray();
            Assert.Contains("gatewayUrl", informational);
            Assert.Contains("hostnameConfigurations[prod.azure-api.net].hostName", informational);
            Assert.Contains("hostnameConfigurations[prod.developer.azure-api.net].hostName", informational);
            Assert.Contains("hostnameConfigurations[standby.azure-api.net].hostName", informational);
            Assert.Contains("hostnameConfigurations[shared.contoso.example].hostName", informational);
            Assert.Contains("customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11", informational);
            Assert.Contains("sku.name", informational);
            Assert.Equal(CarryOver().Count, informational.Length + actions.Sum(a => a.Settings.Count));
            Assert.Contains("built-in hostname of prod", info.Single(i => i.Setting == "hostnameConfigurations[prod.azure-api.net].hostName").Note, StringComparison.Ordinal);
        }

        [Fact]
        public void Needs_no_action_when_the_standby_already_matches()
        {
            var rows = new List<ApimConfigurationDifference>
            {
                Row("hostnameConfigurations[api.contoso.example].hostName", "api.contoso.example", "api.contoso.example"),
                Row("identity.type", "None", "None"),
                Row("sku.capacity", "1", "1"),
            };
            (List<DrillReport.CarryOverAction> actions, List<DrillReport.InformationalRow> info) = DrillReport.ClassifyCarryOver(rows, "prod", "standby");
            Assert.Empty(actions);
            Assert.Equal(3, info.Count);
        }

        [Fact]
        public void Judges_the_measured_RTO_and_RPO_against_the_targets()
        {
            DrillReport.Report met = DrillReport.Build(Input(maxRto: TimeSpan.FromMinutes(5), maxRpo: TimeSpan.FromHours(24)));
            Assert.Equal("met", met.Tests[0].Rto.Verdict);
            Assert.Equal("met", met.Tests[0].Rpo.Verdict);
            Assert.Equal(300, met.Targets.MaxRtoSeconds);
            Assert.Equal(ApimBackupTestResult.Succeeded, met.Result);

            DrillReport.Report missed = DrillReport.Build(Input(maxRto: TimeSpan.FromMinutes(1), maxRpo: TimeSpan.FromHours(1)));
            Assert.Equal("missed", missed.Tests[0].Rto.Verdict);
            Assert.Equal("missed", missed.Tests[0].Rpo.Verdict);
            Assert.Equal(ApimBackupTestResult.Failed, missed.Result);

            DrillReport.Report none = DrillReport.Build(Input());
            Assert.Equal("no target", none.Tests[0].Rto.Verdict);
            Assert.Equal(ApimBackupTestResult.Succeeded, none.Result);
        }

        [Fact]
        public void Explains_differences_in_words_and_says_what_was_not_checked()
        {
            var verification = new ApimRestoreVerification
            {
                Differences = new List<ApimConfigurationDifference>
                {
                    new ApimConfigurationDifference { Entity = "apis", Name = "orders", Property = ApimConfigurationDifference.WholeEntity, Change = ApimConfigurationDifference.Removed, Reference = "(exists)" },
                    new ApimConfigurationDifference { Entity = "namedValues", Name = "key", Property = "value", Change = ApimConfigurationDifference.Changed, Reference = ApimConfigurationDifference.SecretText, Difference = ApimConfigurationDifference.SecretDiffersText },
                    new ApimConfigurationDifference { Entity = "apis", Name = "echo", Property = "path", Change = ApimConfigurationDifference.Changed, Reference = "echo", Difference = "echo2" },
                },
            };
            DrillReportInput input = Input(verification: verification);
            var test = (DrillReportTest)input.Tests[0];
            test.SourceChanges = null;
            test.SourceChangesNotChecked = "not checked: the source was declared unavailable (-SourceUnavailable), nothing was sent to it";
            DrillReport.Report report = DrillReport.Build(input);
            string[] words = report.Tests[0].Differences.Select(d => d.Explanation).ToArray();
            Assert.Equal("apis 'orders' is in the backup's snapshot but missing on standby: the restore did not bring it back", words[0]);
            Assert.Equal("namedValues 'key': the secret value of value on standby differs from the backup's", words[1]);
            Assert.Equal("apis 'echo': path is 'echo' in the snapshot but 'echo2' on standby", words[2]);
            Assert.False(report.Tests[0].ChangesSinceSnapshot.Checked);
            Assert.Contains(report.Tests[0].NotChecked, n => n.Contains("not checked: the source was declared unavailable", StringComparison.Ordinal));
            Assert.Contains("### Not checked", DrillReport.ToMarkdown(report), StringComparison.Ordinal);
        }

        [Fact]
        public void Writes_plain_ASCII_only_even_from_typographic_input()
        {
            DrillReportInput input = Input(token: Jwt(new { name = "Zo\u00eb \u2014 Ops", oid = "1" }));
            var test = (DrillReportTest)input.Tests[0];
            test.Result.Message = "The restore \u2192 standby failed \u2026 \u201cquoted\u201d";
            test.Result.ErrorId = "X";
            DrillReport.Report report = DrillReport.Build(input);
            string md = DrillReport.ToMarkdown(report);
            string json = DrillReport.ToJson(report);
            Assert.All(md, c => Assert.True(c < 128, $"non-ASCII U+{(int)c:X4} in the Markdown"));
            Assert.All(json, c => Assert.True(c < 128, $"non-ASCII U+{(int)c:X4} in the JSON"));
            Assert.Contains("The restore -> standby failed ... \"quoted\"", md, StringComparison.Ordinal);
            Assert.Contains("Zo? - Ops", md, StringComparison.Ordinal);
            Assert.Equal("Zo\u00eb \u2014 Ops", JsonDocument.Parse(json).RootElement.GetProperty("ranBy").GetProperty("displayName").GetString());   // the JSON keeps the value, escaped
        }

        [Fact]
        public void Keeps_the_last_tests_per_source_newest_first()
        {
            DrillReportInput input = Input();
            input.History = Enumerable.Range(0, 15).Select(i => { ApimBackupTestResult r = Result(); r.EndTime = Now.AddDays(-i); return r; }).ToList();
            DrillReport.Report report = DrillReport.Build(input);
            Assert.Equal(DrillReport.HistoryPerSource, report.History.Count);
            Assert.Equal(DrillReport.Iso(Now), report.History[0].EndedAt);
            Assert.Equal("2026-12-06T12:00:00.000Z", report.History[0].EndedAt);
        }
    }
}
