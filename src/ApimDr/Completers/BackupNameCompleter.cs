using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.CompilerServices;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Storage;

namespace ApimDr.Completers
{
    /// <summary>
    /// Tab completion for -BackupName of Restore-ApimService, Get-ApimBackup and Remove-ApimBackup: the blob
    /// names of the container, newest first, when -StorageAccountName, -ContainerName and -StorageAccountKey
    /// are already on the command line (-BlobEndpoint and -Environment are used when given). Otherwise, or when
    /// anything fails or takes longer than <see cref="Budget"/>, it offers nothing, and never file names.
    /// Only the key is used: a token would mean Az.Accounts or DefaultAzureCredential, which may prompt,
    /// need the pipeline thread or take far longer than a Tab press may.
    /// </summary>
    public sealed class BackupNameCompleter : IArgumentCompleter
    {
        internal static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            try
            {
                string? account = Bound(fakeBoundParameters, "StorageAccountName") as string;
                string? container = Bound(fakeBoundParameters, "ContainerName") as string;
                if (!(Bound(fakeBoundParameters, "StorageAccountKey") is SecureString key) || string.IsNullOrEmpty(account) || string.IsNullOrEmpty(container))
                {
                    return NoFileNamesCompleter.Nothing;
                }
                object? endpoint = Bound(fakeBoundParameters, "BlobEndpoint");
                string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
                return ListNames(account!, container!, key, endpoint?.ToString() is string url ? new Uri(url) : null, Bound(fakeBoundParameters, "Environment") as string, prefix)
                    .Select(name => new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, name))
                    .ToArray();
            }
            catch (Exception)
            {
                return NoFileNamesCompleter.Nothing;   // a completer never writes an error: Tab just offers nothing
            }
        }

        /// <summary>The value PowerShell's pseudo-binding found for a parameter on the line (variables are evaluated), unwrapped.</summary>
        private static object? Bound(IDictionary? bound, string name)
            => bound != null && bound.Contains(name) && bound[name] != null ? PSObject.AsPSObject(bound[name]).BaseObject : null;

        /// <summary>Engine types only here, so the completer class itself loads without the engine.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static IEnumerable<string> ListNames(string account, string container, SecureString key, Uri? endpoint, string? environment, string prefix)
        {
            var location = new StorageLocation(account, container, CloudEnvironment.Get(environment), endpoint) { AccountKey = key };
            // Cancelled by its own timer; not disposed here, since a listing past the budget may still hold its token.
            var cancel = new CancellationTokenSource(Budget);
            Task<IReadOnlyList<ApimBackup>> list = Task.Run(() => BackupCatalog.ListAsync(location, prefix, cancel.Token));
            // Observed either way, so a failure after the budget is never an unobserved task exception.
            list.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return list.Wait(Budget) ? list.Result.Where(b => b.Uri != null).Select(b => b.BackupName).ToList() : new List<string>();   // backups only: never a manifest, snapshot or running backup
        }

        private static string Quote(string name)
            => name.Any(c => char.IsWhiteSpace(c) || "'\"`$&|;,(){}[]@#<>".IndexOf(c) >= 0) ? "'" + name.Replace("'", "''") + "'" : name;
    }
}
