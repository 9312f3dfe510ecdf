using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ApimDr.Engine.Credentials;

namespace ApimDr.Engine.Workflow
{
    /// <summary>One tested source as the report sees it: its result, and what only this run knows about it.</summary>
    public sealed class DrillReportTest
    {
        public DrillReportTest(ApimBackupTestResult result) => Result = result ?? throw new ArgumentNullException(nameof(result));

        public ApimBackupTestResult Result { get; }

        /// <summary>The verification (differences and carry-over with values); null when the restore was not verified.</summary>
        public ApimRestoreVerification? Verification { get; set; }

        /// <summary>The source's restorable changes since the backup's snapshot (what restoring it would lose); null: not checked.</summary>
        public IReadOnlyList<ApimConfigurationDifference>? SourceChanges { get; set; }

        /// <summary>Why <see cref="SourceChanges"/> was not checked (said in the report, never silently skipped).</summary>
        public string? SourceChangesNotChecked { get; set; }
    }

    /// <summary>What the cmdlet knows besides the results: where, who, which version, the targets, the history.</summary>
    public sealed class DrillReportInput
    {
        public string Cloud { get; set; } = string.Empty;
        public Uri ResourceManagerUrl { get; set; } = new Uri("https://management.azure.com/");
        public TokenClaims Caller { get; set; } = TokenClaims.Unknown;
        public string ApimDrVersion { get; set; } = string.Empty;
        public TimeSpan? MaxRto { get; set; }
        public TimeSpan? MaxRpo { get; set; }
        public DateTime GeneratedAt { get; set; }
        public IReadOnlyList<DrillReportTest> Tests { get; set; } = Array.Empty<DrillReportTest>();

        /// <summary>The recorded tests of the tested sources (the drill history beside the backups), any order.</summary>
        public IReadOnlyList<ApimBackupTestResult> History { get; set; } = Array.Empty<ApimBackupTestResult>();
    }

    /// <summary>
    /// The report an auditor accepts (docs/drill-report.md): one per Test-ApimBackup call, covering all its
    /// sources, as JSON (<see cref="ToJson"/>, shape <see cref="Format"/>) and Markdown (<see cref="ToMarkdown"/>),
    /// both from one <see cref="Build"/> so they cannot disagree. Plain ASCII only. It holds names, ids, times,
    /// counts and configuration values as the comparer shows them (a secret only as "(secret differs)"), and
    /// the caller's claims, never a token or a key.
    /// </summary>
    public static class DrillReport
    {
        public const string Format = "apimdr-drill-report/2";
        public const int HistoryPerSource = 10;

        private static readonly JsonSerializerOptions JsonOptions = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // then every non-ASCII char is \u-escaped (ToJson)
        };

        // ---- the model (serialized as is) ----

        public sealed class Report
        {
            public string Format { get; set; } = DrillReport.Format;
            public string Result { get; set; } = ApimBackupTestResult.Failed;
            public string Summary { get; set; } = string.Empty;
            public string GeneratedAt { get; set; } = string.Empty;
            public Where RanIn { get; set; } = new Where();
            public Who RanBy { get; set; } = new Who();
            public string ApimDrVersion { get; set; } = string.Empty;
            public TargetValues Targets { get; set; } = new TargetValues();
            public List<Test> Tests { get; set; } = new List<Test>();
            public List<HistoryRow> History { get; set; } = new List<HistoryRow>();
        }

        public sealed class Where
        {
            public string Cloud { get; set; } = string.Empty;
            public string ResourceManagerUrl { get; set; } = string.Empty;
            public List<string> SubscriptionIds { get; set; } = new List<string>();
            public bool IsEmulator { get; set; }
            public string? Note { get; set; }
        }

        public sealed class Who
        {
            public string Summary { get; set; } = "unknown";
            public string? DisplayName { get; set; }
            public string? AppId { get; set; }
            public string? ObjectId { get; set; }
            public string? TenantId { get; set; }
        }

        public sealed class TargetValues
        {
            public double? MaxRtoSeconds { get; set; }
            public double? MaxRpoSeconds { get; set; }
        }

        public sealed class Service
        {
            public string Name { get; set; } = string.Empty;
            public string? ResourceId { get; set; }
        }

        public sealed class BackupInfo
        {
            public string Name { get; set; } = string.Empty;
            public string Location { get; set; } = string.Empty;
            public bool IsReplica { get; set; }
            public string? TakenAt { get; set; }
        }

        public sealed class Measure
        {
            public double? Seconds { get; set; }
            public double? TargetSeconds { get; set; }

            /// <summary>met, missed, no target, or not measured.</summary>
            public string Verdict { get; set; } = "not measured";
        }

        public sealed class SourceCheck
        {
            public bool Checked { get; set; }
            public int? Count { get; set; }
            public string? Note { get; set; }
            public List<ChangeRow> Changes { get; set; } = new List<ChangeRow>();
        }

        public sealed class ChangeRow
        {
            public string Entity { get; set; } = string.Empty;
            public string Name { get; set; } = string.Empty;
            public string Property { get; set; } = string.Empty;
            public string Change { get; set; } = string.Empty;
        }

        public sealed class DifferenceRow
        {
            public string Entity { get; set; } = string.Empty;
            public string Name { get; set; } = string.Empty;
            public string Property { get; set; } = string.Empty;
            public string Change { get; set; } = string.Empty;
            public string? Snapshot { get; set; }
            public string? Target { get; set; }
            public string Explanation { get; set; } = string.Empty;
        }

        public sealed class Setting
        {
            public string Name { get; set; } = string.Empty;
            public string? Source { get; set; }
            public string? Target { get; set; }
        }

        /// <summary>One thing to do by hand on the target (a restore does not carry it).</summary>
        public sealed class CarryOverAction
        {
            /// <summary>custom hostname, managed identity, vnet, protocols and ciphers, sku and capacity, other.</summary>
            public string Area { get; set; } = string.Empty;
            public string Subject { get; set; } = string.Empty;
            public string Action { get; set; } = string.Empty;
            public List<Setting> Settings { get; set; } = new List<Setting>();
        }

        /// <summary>A carry-over setting that needs no action (built-in hostnames, the gateway URL, equal values).</summary>
        public sealed class InformationalRow
        {
            public string Setting { get; set; } = string.Empty;
            public string? Source { get; set; }
            public string? Target { get; set; }
            public string Note { get; set; } = string.Empty;
        }

        public sealed class Test
        {
            public Service Source { get; set; } = new Service();
            public Service Target { get; set; } = new Service();
            public BackupInfo Backup { get; set; } = new BackupInfo();
            public string Result { get; set; } = ApimBackupTestResult.Failed;
            public string? RestoreStatus { get; set; }
            public bool IsVerified { get; set; }
            public string? ErrorId { get; set; }
            public string? Message { get; set; }
            public string StartedAt { get; set; } = string.Empty;
            public string EndedAt { get; set; } = string.Empty;
            public Measure Rto { get; set; } = new Measure();
            public Measure Rpo { get; set; } = new Measure();
            public SourceCheck ChangesSinceSnapshot { get; set; } = new SourceCheck();
            public List<DifferenceRow> Differences { get; set; } = new List<DifferenceRow>();
            public List<CarryOverAction> Actions { get; set; } = new List<CarryOverAction>();
            public List<InformationalRow> Informational { get; set; } = new List<InformationalRow>();
            public List<string> NotChecked { get; set; } = new List<string>();
        }

        public sealed class HistoryRow
        {
            public string Source { get; set; } = string.Empty;
            public string EndedAt { get; set; } = string.Empty;
            public string Result { get; set; } = string.Empty;
            public string BackupName { get; set; } = string.Empty;
            public bool IsReplica { get; set; }
            public string? Target { get; set; }
            public double? RtoSeconds { get; set; }
            public double? RpoSeconds { get; set; }
            public string? ErrorId { get; set; }
        }

        // ---- building ----

        public static Report Build(DrillReportInput input)
        {
            if (input == null) throw new ArgumentNullException(nameof(input));
            var report = new Report
            {
                GeneratedAt = Iso(input.GeneratedAt),
                ApimDrVersion = input.ApimDrVersion,
                RanIn = WhereOf(input),
                RanBy = WhoOf(input.Caller),
                Targets = new TargetValues { MaxRtoSeconds = Seconds(input.MaxRto), MaxRpoSeconds = Seconds(input.MaxRpo) },
                Tests = input.Tests.Select(t => TestOf(t, input.MaxRto, input.MaxRpo)).ToList(),
                History = input.History
                    .GroupBy(h => h.SourceServiceId.TrimEnd('/'), StringComparer.OrdinalIgnoreCase)
                    .SelectMany(g => g.OrderByDescending(h => h.EndTime).Take(HistoryPerSource))
                    .OrderByDescending(h => h.EndTime)
                    .Select(h => new HistoryRow
                    {
                        Source = h.SourceServiceName, EndedAt = Iso(h.EndTime), Result = h.Result, BackupName = h.BackupName, IsReplica = h.IsReplica,
                        Target = h.TargetServiceName, RtoSeconds = Seconds(h.Rto), RpoSeconds = Seconds(h.Rpo), ErrorId = h.ErrorId,
                    }).ToList(),
            };
            int passed = report.Tests.Count(t => t.Result == ApimBackupTestResult.Succeeded);
            int missed = report.Tests.Count(t => t.Rto.Verdict == "missed" || t.Rpo.Verdict == "missed");
            report.Result = report.Tests.Count > 0 && passed == report.Tests.Count && missed == 0 ? ApimBackupTestResult.Succeeded : ApimBackupTestResult.Failed;
            report.Summary = $"{report.Tests.Count} source(s) tested: {passed} restored and verified, {report.Tests.Count - passed} failed; " +
                             (input.MaxRto == null && input.MaxRpo == null ? "no RTO/RPO target given" : $"{missed} missed an RTO/RPO target") +
                             $"; {report.Tests.Sum(t => t.Actions.Count)} carry-over action(s) to do by hand.";
            return report;
        }

        /// <summary>True when the ARM host is this machine (an emulator or a test endpoint, never Azure).</summary>
        public static bool IsLoopback(Uri resourceManagerUrl)
            => resourceManagerUrl.IsLoopback || (IPAddress.TryParse(resourceManagerUrl.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));

        private static Where WhereOf(DrillReportInput input)
        {
            bool loopback = IsLoopback(input.ResourceManagerUrl);
            IEnumerable<string?> ids = input.Tests.SelectMany(t => new[] { t.Result.SourceServiceId, t.Result.TargetServiceId });
            return new Where
            {
                Cloud = input.Cloud,
                ResourceManagerUrl = input.ResourceManagerUrl.GetLeftPart(UriPartial.Authority) + "/",
                SubscriptionIds = ids.Select(SubscriptionOf).Where(s => s != null).Select(s => s!).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                IsEmulator = loopback,
                Note = loopback ? $"emulator / test endpoint: the ARM host {input.ResourceManagerUrl.Host} is this machine (loopback), not Azure; this run proves nothing about production" : null,
            };
        }

        private static string? SubscriptionOf(string? resourceId)
        {
            string[] parts = (resourceId ?? string.Empty).Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length > 1 && string.Equals(parts[0], "subscriptions", StringComparison.OrdinalIgnoreCase) ? parts[1] : null;
        }

        public static Who WhoOf(TokenClaims caller)
        {
            if (!caller.IsKnown) return new Who { Summary = "unknown (the access token carries no identity claims)" };
            var facts = new List<string>();
            if (caller.AppId != null) facts.Add("app id " + caller.AppId);
            if (caller.ObjectId != null) facts.Add("object id " + caller.ObjectId);
            if (caller.TenantId != null) facts.Add("tenant " + caller.TenantId);
            string summary = (caller.DisplayName ?? (caller.AppId != null ? "application " + caller.AppId : "object " + caller.ObjectId)) + (facts.Count > 0 ? " (" + string.Join(", ", facts) + ")" : string.Empty);
            return new Who { Summary = Ascii(summary), DisplayName = caller.DisplayName, AppId = caller.AppId, ObjectId = caller.ObjectId, TenantId = caller.TenantId };
        }

        private static Test TestOf(DrillReportTest input, TimeSpan? maxRto, TimeSpan? maxRpo)
        {
            ApimBackupTestResult r = input.Result;
            string sourceName = r.SourceServiceName;
            string targetName = r.TargetServiceName ?? "the target";
            var test = new Test
            {
                Source = new Service { Name = sourceName, ResourceId = r.SourceServiceId },
                Target = new Service { Name = r.TargetServiceName ?? string.Empty, ResourceId = r.TargetServiceId },
                Backup = new BackupInfo { Name = r.BackupName, Location = r.BackupLocation, IsReplica = r.IsReplica, TakenAt = r.BackupTime is DateTime taken ? Iso(taken) : null },
                Result = r.Result,
                RestoreStatus = r.RestoreStatus,
                IsVerified = r.IsVerified,
                ErrorId = r.ErrorId,
                Message = r.Message,
                StartedAt = Iso(r.StartTime),
                EndedAt = Iso(r.EndTime),
                Rto = MeasureOf(r.Rto, maxRto),
                Rpo = MeasureOf(r.Rpo, maxRpo),
            };
            if (input.SourceChanges != null)
            {
                test.ChangesSinceSnapshot = new SourceCheck
                {
                    Checked = true,
                    Count = input.SourceChanges.Count,
                    Changes = input.SourceChanges.Select(c => new ChangeRow { Entity = c.Entity, Name = c.Name, Property = c.Property, Change = c.Change }).ToList(),
                };
            }
            else
            {
                string why = input.SourceChangesNotChecked ?? "not checked";
                test.ChangesSinceSnapshot = new SourceCheck { Checked = false, Note = why };
                test.NotChecked.Add($"changes on {sourceName} since the snapshot: {why}");
            }
            if (input.Verification is ApimRestoreVerification v)
            {
                test.Differences = v.Differences.Select(d => new DifferenceRow
                {
                    Entity = d.Entity, Name = d.Name, Property = d.Property, Change = d.Change, Snapshot = d.Reference, Target = d.Difference,
                    Explanation = Explain(d, targetName),
                }).ToList();
                (test.Actions, test.Informational) = ClassifyCarryOver(v.CarryOver, sourceName, targetName);
            }
            else
            {
                test.NotChecked.Add($"differences and carry-over: not known, the restore into {targetName} was not verified" + (r.ErrorId != null ? $" ({r.ErrorId})" : string.Empty));
            }
            return test;
        }

        private static Measure MeasureOf(TimeSpan? measured, TimeSpan? target) => new Measure
        {
            Seconds = Seconds(measured),
            TargetSeconds = Seconds(target),
            Verdict = measured == null ? "not measured" : target == null ? "no target" : measured.Value <= target.Value ? "met" : "missed",
        };

        /// <summary>A restorable difference after the restore, in words (the snapshot is what the backup holds).</summary>
        public static string Explain(ApimConfigurationDifference d, string targetName)
        {
            string what = $"{d.Entity} '{d.Name}'";
            bool whole = d.Property == ApimConfigurationDifference.WholeEntity;
            string text = d.Change switch
            {
                ApimConfigurationDifference.Added when whole => $"{what} is on {targetName} but not in the backup's snapshot (made after the restore, or not removed by it)",
                ApimConfigurationDifference.Removed when whole => $"{what} is in the backup's snapshot but missing on {targetName}: the restore did not bring it back",
                ApimConfigurationDifference.Added => $"{what}: {d.Property} is set on {targetName} ({Short(d.Difference)}) but not in the snapshot",
                ApimConfigurationDifference.Removed => $"{what}: {d.Property} is in the snapshot ({Short(d.Reference)}) but not set on {targetName}",
                ApimConfigurationDifference.NotComparable => $"{what}: {d.Property} is a secret that could not be compared (the two sides were read under different salts)",
                _ when d.Reference == ApimConfigurationDifference.SecretDiffersText || d.Difference == ApimConfigurationDifference.SecretDiffersText
                    => $"{what}: the secret value of {d.Property} on {targetName} differs from the backup's",
                _ => $"{what}: {d.Property} is {Short(d.Reference)} in the snapshot but {Short(d.Difference)} on {targetName}",
            };
            return Ascii(text);
        }

        private static string Short(string? value)
        {
            if (value == null) return "(none)";
            string flat = value.Replace("\r", " ").Replace("\n", " ");
            return "'" + (flat.Length > 80 ? flat.Substring(0, 77) + "..." : flat) + "'";
        }

        private static readonly string[] BuiltInHostSuffixes = { ".azure-api.net", ".azure-api.cn", ".azure-api.us" };

        /// <summary>
        /// The carry-over (what a restore does not carry by design; Reference = the source at backup time, Difference = the
        /// target) as a SHORT list of actions to do by hand — one per custom hostname that differs, one for the managed
        /// identity and its role assignments, one for the VNet, one for protocols and ciphers, one for SKU/capacity, one per
        /// other differing setting — and informational rows that need none: built-in *.azure-api.net hostnames (each service
        /// has its own), the gateway URL, and settings equal on both sides.
        /// </summary>
        public static (List<CarryOverAction> Actions, List<InformationalRow> Informational) ClassifyCarryOver(IEnumerable<ApimConfigurationDifference> carryOver, string sourceName, string targetName)
        {
            var actions = new List<CarryOverAction>();
            var info = new List<InformationalRow>();
            Setting ToSetting(ApimConfigurationDifference d) => new Setting { Name = d.Property, Source = d.Reference, Target = d.Difference };
            void Inform(IEnumerable<ApimConfigurationDifference> rows, string note)
                => info.AddRange(rows.Select(d => new InformationalRow { Setting = d.Property, Source = d.Reference, Target = d.Difference, Note = Ascii(note) }));
            bool Differs(ApimConfigurationDifference d) => d.Change != ApimConfigurationDifference.Equal;

            foreach (IGrouping<string, ApimConfigurationDifference> group in carryOver.GroupBy(d => AreaOf(d.Property)))
            {
                List<ApimConfigurationDifference> rows = group.ToList();
                string area = group.Key;
                if (area.StartsWith("hostname:", StringComparison.Ordinal))
                {
                    string host = area.Substring("hostname:".Length);
                    bool onSource = rows.Any(d => d.Reference != null);
                    bool onTarget = rows.Any(d => d.Difference != null);
                    if (BuiltInHostSuffixes.Any(s => host.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
                    {
                        Inform(rows, $"built-in hostname of {(onSource ? sourceName : targetName)}: every service has its own, nothing to do");
                    }
                    else if (!rows.Any(Differs))
                    {
                        Inform(rows, "custom hostname, the same on both: nothing to do");
                    }
                    else if (!onSource)
                    {
                        Inform(rows, $"custom hostname on {targetName} only: nothing to do unless it is unwanted");
                    }
                    else
                    {
                        string type = rows.FirstOrDefault(d => d.Property.EndsWith("].type", StringComparison.Ordinal))?.Reference ?? "Proxy";
                        actions.Add(new CarryOverAction
                        {
                            Area = "custom hostname", Subject = host, Settings = rows.Where(Differs).Select(ToSetting).ToList(),
                            Action = Ascii(onTarget
                                ? $"Align custom hostname {host} on {targetName} with {sourceName} (the settings below differ), including its certificate."
                                : $"Add custom hostname {host} ({type}) to {targetName} with its certificate (Key Vault or upload); at failover point its DNS record at {targetName}."),
                        });
                    }
                    continue;
                }
                switch (area)
                {
                    case "gatewayUrl":
                        Inform(rows, "each service has its own gateway URL: nothing to do (clients use the custom hostnames)");
                        continue;
                    case "identity":
                    {
                        string type = rows.FirstOrDefault(d => d.Property == "identity.type")?.Reference ?? "None";
                        if (rows.Any(Differs))
                        {
                            actions.Add(new CarryOverAction
                            {
                                Area = "managed identity", Subject = "identity", Settings = rows.Where(Differs).Select(ToSetting).ToList(),
                                Action = Ascii($"Give {targetName} the managed identity {sourceName} has ({type}) and grant it the role assignments {sourceName}'s identity has (Key Vault secrets, storage, backends)."),
                            });
                        }
                        else
                        {
                            Inform(rows, string.Equals(type, "None", StringComparison.OrdinalIgnoreCase)
                                ? "no managed identity on either: nothing to do"
                                : $"same identity type on both; role assignments are not read by ApimDr: confirm once that {targetName}'s identity has the roles {sourceName}'s has");
                        }
                        continue;
                    }
                }
                if (!rows.Any(Differs))
                {
                    Inform(rows, "the same on both: nothing to do");
                    continue;
                }
                (string label, string action) = area switch
                {
                    "vnet" => ("vnet", $"Connect {targetName} to a virtual network as {sourceName} is (type and subnet below; the subnet is the standby region's own)."),
                    "protocols" => ("protocols and ciphers", $"Set the protocol and cipher settings of {targetName} as on {sourceName} (below)."),
                    "sku" => ("sku and capacity", $"Scale {targetName} to {sourceName}'s SKU and capacity before it takes production traffic (below)."),
                    _ => ("other", $"Set {area} on {targetName} as on {sourceName}, or confirm it is meant to differ."),
                };
                actions.Add(new CarryOverAction { Area = label, Subject = area, Action = Ascii(action), Settings = rows.Where(Differs).Select(ToSetting).ToList() });
                Inform(rows.Where(d => !Differs(d)), "the same on both: nothing to do");
            }
            return (actions, info);
        }

        /// <summary>The group of a carry-over setting: a hostname, identity, vnet, protocols, sku, gatewayUrl, else its top-level name.</summary>
        private static string AreaOf(string property)
        {
            if (property.StartsWith("hostnameConfigurations[", StringComparison.Ordinal))
            {
                int end = property.IndexOf(']');
                return "hostname:" + (end > 0 ? property.Substring("hostnameConfigurations[".Length, end - "hostnameConfigurations[".Length) : property);
            }
            if (property.StartsWith("identity", StringComparison.Ordinal)) return "identity";
            if (property.StartsWith("virtualNetwork", StringComparison.Ordinal)) return "vnet";
            if (property.StartsWith("customProperties", StringComparison.Ordinal)) return "protocols";
            if (property.StartsWith("sku", StringComparison.Ordinal)) return "sku";
            int cut = property.IndexOfAny(new[] { '.', '[' });
            return cut > 0 ? property.Substring(0, cut) : property;
        }

        // ---- writing ----

        /// <summary>The report as JSON, ASCII only (every other character \u-escaped).</summary>
        public static string ToJson(Report report)
        {
            string json = JsonSerializer.Serialize(report, JsonOptions);
            var text = new StringBuilder(json.Length);
            foreach (char c in json)
            {
                if (c < 128) text.Append(c);
                else text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            return text.ToString();
        }

        /// <summary>The report as Markdown for people: plain ASCII, the same facts as the JSON.</summary>
        public static string ToMarkdown(Report report)
        {
            var md = new StringBuilder();
            void Line(string text = "") => md.Append(text).Append('\n');
            Line("# ApimDr backup test report");
            Line();
            Line($"**Result: {(report.Result == ApimBackupTestResult.Succeeded ? "PASSED" : "FAILED")}** - {report.Summary}");
            Line();
            if (report.RanIn.IsEmulator) { Line($"> WARNING, {report.RanIn.Note}."); Line(); }
            Line("## Where, who, what");
            Line();
            Line("| | |");
            Line("|---|---|");
            Line($"| generated (UTC) | {report.GeneratedAt} |");
            Line($"| cloud | {Cell(report.RanIn.Cloud)} |");
            Line($"| ARM endpoint | {Cell(report.RanIn.ResourceManagerUrl)}{(report.RanIn.IsEmulator ? " (emulator / test endpoint)" : string.Empty)} |");
            Line($"| subscription(s) | {Cell(string.Join(", ", report.RanIn.SubscriptionIds))} |");
            Line($"| run by | {Cell(report.RanBy.Summary)} |");
            Line($"| ApimDr version | {Cell(report.ApimDrVersion)} |");
            Line($"| RTO target | {(report.Targets.MaxRtoSeconds is double rto ? Duration(rto) : "none given")} |");
            Line($"| RPO target | {(report.Targets.MaxRpoSeconds is double rpo ? Duration(rpo) : "none given")} |");
            Line();
            Line("## Targets vs measured");
            Line();
            Line("| source | target | backup | result | RTO | RTO verdict | RPO | RPO verdict |");
            Line("|---|---|---|---|---:|---|---:|---|");
            foreach (Test t in report.Tests)
            {
                Line($"| {Cell(t.Source.Name)} | {Cell(t.Target.Name)} | {Cell(t.Backup.Name)}{(t.Backup.IsReplica ? " (replica)" : string.Empty)} | {t.Result} | {Duration(t.Rto.Seconds)} | {t.Rto.Verdict} | {Duration(t.Rpo.Seconds)} | {t.Rpo.Verdict} |");
            }
            foreach (Test t in report.Tests)
            {
                Line();
                Line($"## {Cell(t.Source.Name)} -> {Cell(t.Target.Name)}: {t.Result}");
                Line();
                Line($"- Backup: `{t.Backup.Name}` in {Cell(t.Backup.Location)}{(t.Backup.IsReplica ? " (a verified replica)" : string.Empty)}, taken {t.Backup.TakenAt ?? "(unknown)"}.");
                Line($"- Test: {t.StartedAt} to {t.EndedAt}; restore {t.RestoreStatus ?? "not started"}; {(t.IsVerified ? "verified equal to the backup's snapshot" : "not verified equal to the snapshot")}.");
                if (t.ErrorId != null) Line($"- Error: {t.ErrorId}: {Cell(t.Message)}");
                Line($"- RTO (restore start to verified): {Duration(t.Rto.Seconds)}, target {Duration(t.Rto.TargetSeconds)}: {t.Rto.Verdict}.");
                Line($"- RPO (backup age at the end of the test): {Duration(t.Rpo.Seconds)}, target {Duration(t.Rpo.TargetSeconds)}: {t.Rpo.Verdict}.");
                Line(t.ChangesSinceSnapshot.Checked
                    ? $"- Changes on {Cell(t.Source.Name)} since the snapshot (what restoring this backup now would lose): {t.ChangesSinceSnapshot.Count}."
                    : $"- Changes on {Cell(t.Source.Name)} since the snapshot: {Cell(t.ChangesSinceSnapshot.Note)}.");
                foreach (ChangeRow c in t.ChangesSinceSnapshot.Changes) Line($"  - {c.Change} {Cell(c.Entity)} '{Cell(c.Name)}' {Cell(c.Property)}");
                Line();
                Line("### Differences after the restore");
                Line();
                if (!t.IsVerified && t.Differences.Count == 0) Line("Not known: the restore was not verified.");
                else if (t.Differences.Count == 0) Line("None: every restorable entity equals the backup's snapshot.");
                foreach (DifferenceRow d in t.Differences) Line($"- {Cell(d.Explanation)}");
                Line();
                Line($"### Carry-over: {t.Actions.Count} action(s) to do by hand on {Cell(t.Target.Name)}");
                Line();
                Line("A restore does not carry these settings by design (docs/drill-report.md). Values: the source's at backup time, then the target's.");
                Line();
                if (t.Actions.Count == 0) Line("None.");
                int n = 0;
                foreach (CarryOverAction a in t.Actions)
                {
                    Line($"{++n}. [ ] **{a.Area}: {Cell(a.Subject)}** - {Cell(a.Action)}");
                    foreach (Setting s in a.Settings) Line($"   - {Cell(s.Name)}: {Value(s.Source)} -> {Value(s.Target)}");
                }
                Line();
                Line($"### Carry-over: informational ({t.Informational.Count} setting(s), no action)");
                Line();
                if (t.Informational.Count > 0)
                {
                    Line($"| setting | {Cell(t.Source.Name)} | {Cell(t.Target.Name)} | note |");
                    Line("|---|---|---|---|");
                    foreach (InformationalRow i in t.Informational) Line($"| {Cell(i.Setting)} | {Value(i.Source)} | {Value(i.Target)} | {Cell(i.Note)} |");
                }
                else
                {
                    Line("None.");
                }
                if (t.NotChecked.Count > 0)
                {
                    Line();
                    Line("### Not checked");
                    Line();
                    foreach (string why in t.NotChecked) Line($"- {Cell(why)}");
                }
            }
            Line();
            Line($"## History: the last tests recorded beside the backups (up to {HistoryPerSource} per source, this run included)");
            Line();
            if (report.History.Count == 0)
            {
                Line("None recorded.");
            }
            else
            {
                Line("| ended (UTC) | source | backup | target | result | RTO | RPO | error |");
                Line("|---|---|---|---|---|---:|---:|---|");
                foreach (HistoryRow h in report.History)
                {
                    Line($"| {h.EndedAt} | {Cell(h.Source)} | {Cell(h.BackupName)}{(h.IsReplica ? " (replica)" : string.Empty)} | {Cell(h.Target)} | {h.Result} | {Duration(h.RtoSeconds)} | {Duration(h.RpoSeconds)} | {Cell(h.ErrorId)} |");
                }
            }
            return Ascii(md.ToString());
        }

        private static string Value(string? value) => value == null ? "(none)" : Cell(value);

        private static string Cell(string? value)
            => string.IsNullOrEmpty(value) ? "-" : value!.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

        /// <summary>Seconds as "12.3 s" under two minutes, else "[Nd ]hh:mm:ss"; "-" when none.</summary>
        public static string Duration(double? seconds)
        {
            if (seconds is not double s) return "-";
            if (Math.Abs(s) < 120) return s.ToString("0.0", CultureInfo.InvariantCulture) + " s";
            TimeSpan span = TimeSpan.FromSeconds(Math.Round(s));
            return (span.Days > 0 ? span.Days.ToString(CultureInfo.InvariantCulture) + "d " : string.Empty) + span.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
        }

        private static double? Seconds(TimeSpan? span) => span == null ? (double?)null : Math.Round(span.Value.TotalSeconds, 3);

        /// <summary>ISO 8601 UTC with milliseconds and Z (a time of unspecified kind is taken as UTC, as the records store it).</summary>
        public static string Iso(DateTime time)
            => (time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        /// <summary>Plain characters only: typographic ones spelled in ASCII, anything else outside ASCII as '?'.</summary>
        public static string Ascii(string text)
        {
            var result = new StringBuilder(text.Length);
            foreach (char c in text)
            {
                switch (c)
                {
                    case '\u2014': case '\u2013': case '\u2212': result.Append('-'); break;
                    case '\u2192': result.Append("->"); break;
                    case '\u2190': result.Append("<-"); break;
                    case '\u2026': result.Append("..."); break;
                    case '\u2018': case '\u2019': result.Append('\''); break;
                    case '\u201C': case '\u201D': result.Append('"'); break;
                    case '\u00A0': result.Append(' '); break;
                    case '\u2260': result.Append("!="); break;
                    case '\u00D7': result.Append('x'); break;
                    case '\u00A7': result.Append("section "); break;
                    default: result.Append(c < 128 ? c : '?'); break;
                }
            }
            return result.ToString();
        }
    }
}
