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
                ValidateLiteralBackupName(BackupName);
                StorageLocation location = CreateLocation();
                WriteVerbose($"Listing backups in {SafeUrl.Render(location.ContainerUri)} using {(StorageAccountKey != null ? "the account key" : "a Storage token")}.");
                IReadOnlyList<ApimBackup> matches = Select(Session.Run(ct => BackupCatalog.ListAsync(location, null, ct)).Where(b => b.Uri != null || IncludeInProgress), BackupName);
                foreach (ApimBackup backup in matches) WriteObject(backup);
                if (matches.Count == 0 && !string.IsNullOrEmpty(BackupName) && !WildcardPattern.ContainsWildcardCharacters(BackupName))
                {
                    Session.WriteFailure(new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                        $"Backup '{BackupName}' was not found in container '{ContainerName}' of storage account '{StorageAccountName}'.", BackupName), Target);
                }
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, Target);
            }
        }
    }
}
