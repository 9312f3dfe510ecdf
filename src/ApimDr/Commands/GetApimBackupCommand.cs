using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Security;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>Lists the APIM backups in a blob container, newest first, with their source from ApimDr's manifests.</summary>
    [Cmdlet(VerbsCommon.Get, "ApimBackup")]
    [OutputType(typeof(ApimBackup))]
    public sealed class GetApimBackupCommand : StorageCmdlet
    {
        /// <summary>A blob name or wildcard pattern.</summary>
        [Parameter(Position = 2)]
        [Alias("BlobName")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string? BackupName { get; set; }

        /// <summary>Also list backups that have not finished (a manifest, no blob yet): they pipe into Wait-ApimOperation.</summary>
        [Parameter]
        public SwitchParameter IncludeInProgress { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                // A name with wildcards is a pattern (a blob named literally so still matches); one without is a literal name.
                bool isPattern = !string.IsNullOrEmpty(BackupName) && WildcardPattern.ContainsWildcardCharacters(BackupName);
                WildcardPattern? pattern = isPattern ? NamePattern.Create(BackupName, "-BackupName") : null;
                if (!isPattern) ValidateLiteralBackupName(BackupName);
                StorageLocation location = CreateLocation();
                WriteVerbose($"Listing backups in {SafeUrl.Render(location.ContainerUri)} using {(StorageAccountKey != null ? "the account key" : "a Storage token")}.");
                IReadOnlyList<ApimBackup> all = Session.Run(ct => BackupCatalog.ListAsync(location, null, ct, Session.PostWarning)).Where(b => b.Uri != null || IncludeInProgress).ToList();
                IReadOnlyList<ApimBackup> matches = isPattern
                    ? Select(all, null, null).Where(b => pattern!.IsMatch(b.BackupName) || b.BackupName == BackupName).ToList()
                    : Select(all, BackupName, null);
                foreach (ApimBackup backup in matches) WriteObject(backup);
                if (matches.Count == 0 && !string.IsNullOrEmpty(BackupName) && !isPattern) Session.WriteFailure(NotFound(BackupName!), Target);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, Target);
            }
        }
    }
}
