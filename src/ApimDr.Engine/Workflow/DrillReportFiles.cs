using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Engine.Workflow
{
    /// <summary>
    /// Test-ApimBackup -ReportPath's service side: gathers what the report needs besides the results (who, from the
    /// ARM token's claims; the sources' changes since their snapshots; the drill history beside the tested backups)
    /// and writes &lt;path&gt;.md and &lt;path&gt;.json. The report itself is <see cref="DrillReport"/> (pure).
    /// </summary>
    public static class DrillReportFiles
    {
        /// <summary>The path without a trailing .md or .json: both files are written beside each other.</summary>
        public static string BaseOf(string path)
            => path.EndsWith(".md", StringComparison.OrdinalIgnoreCase) ? path.Substring(0, path.Length - 3)
             : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path.Substring(0, path.Length - 5) : path;

        public static async Task<DrillReportInput> GatherAsync(ArmClient client, CloudEnvironment cloud,
            IReadOnlyList<(ApimBackupTestResult Result, ApimRestoreVerification? Verification, StorageLocation At)> tested,
            bool sourceUnavailable, TimeSpan? maxRto, TimeSpan? maxRpo, DateTime now, CancellationToken cancellationToken)
        {
            var tests = new List<DrillReportTest>();
            foreach ((ApimBackupTestResult result, ApimRestoreVerification? verification, StorageLocation at) in tested)
            {
                var test = new DrillReportTest(result) { Verification = verification };
                if (sourceUnavailable) test.SourceChangesNotChecked = "not checked: the source was declared unavailable (-SourceUnavailable), nothing was sent to it";
                else if (result.BackupName.Length == 0) test.SourceChangesNotChecked = "not checked: no backup was tested";
                else (test.SourceChanges, test.SourceChangesNotChecked) = await DrWorkflow.SourceChangesAsync(client, at, result.BackupName, ServiceId.Parse(result.SourceServiceId), cancellationToken).ConfigureAwait(false);
                tests.Add(test);
            }
            var history = new List<ApimBackupTestResult>();
            foreach (var place in tested.GroupBy(t => (t.At.AccountName, t.At.ContainerName, t.Result.SourceServiceName.ToLowerInvariant())))
            {
                try
                {
                    history.AddRange(await BackupCatalog.ReadTestsAsync(place.First().At, place.First().Result.SourceServiceName, DrillReport.HistoryPerSource, cancellationToken).ConfigureAwait(false));
                }
                catch (ApimDrException)
                {
                    history.AddRange(place.Select(p => p.Result));   // the history cannot be read: at least this run's results
                }
            }
            return new DrillReportInput
            {
                Cloud = cloud.Name,
                ResourceManagerUrl = cloud.ResourceManagerUrl,
                Caller = await client.GetCallerAsync(cancellationToken).ConfigureAwait(false),
                ApimDrVersion = tested[0].Result.ApimDrVersion,
                MaxRto = maxRto,
                MaxRpo = maxRpo,
                GeneratedAt = now,
                Tests = tests,
                History = history,
            };
        }

        /// <summary>Writes &lt;base&gt;.md and &lt;base&gt;.json (creating the folder); ReportWriteFailed when it cannot.</summary>
        public static (string Markdown, string Json) Write(string basePath, DrillReport.Report report)
        {
            string markdown = basePath + ".md";
            string json = basePath + ".json";
            try
            {
                string? folder = Path.GetDirectoryName(Path.GetFullPath(basePath));
                if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
                var utf8 = new UTF8Encoding(false);
                File.WriteAllText(markdown, DrillReport.ToMarkdown(report), utf8);
                File.WriteAllText(json, DrillReport.ToJson(report), utf8);
                return (markdown, json);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException || ex is System.Security.SecurityException)
            {
                throw new ApimDrException(ErrorIds.ReportWriteFailed, ApimErrorCategory.WriteError, $"Could not write the report to '{basePath}.md/.json': {ex.Message}. The test results above stand; give a writable -ReportPath.", basePath, ex);
            }
        }
    }
}
