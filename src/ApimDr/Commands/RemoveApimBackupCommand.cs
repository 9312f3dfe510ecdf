using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>
    /// Removes APIM backups from a container: by name or pattern, and/or by retention rule
    /// (-Expired, -OlderThan, -KeepLast), narrowed by source (-ServiceName, -SourceServiceId). Every rule
    /// given must hold; -KeepLast spares the newest N of each source service. A backup's manifest goes with it.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "ApimBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ApimBackup))]
    public sealed class RemoveApimBackupCommand : StorageCmdlet
    {
        /// <summary>A blob name or wildcard pattern (binds from Get-ApimBackup output).</summary>
        [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("BlobName")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string? BackupName { get; set; }

        /// <summary>Only backups past APIM's 30-day restore limit.</summary>
        [Parameter]
        public SwitchParameter Expired { get; set; }

        [Parameter]
        public TimeSpan? OlderThan { get; set; }

        /// <summary>
        /// Always keep the newest N (1 or more) of each source service's backups (backups without a manifest are one group).
        /// No ValidateRange: 0 or a negative number is refused by the engine as InvalidRetentionRule, an ErrorId scripts can catch.
        /// </summary>
        [Parameter]
        public int? KeepLast { get; set; }

        /// <summary>Remove without asking (-WhatIf still applies).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Emit each removed backup.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                if (string.IsNullOrEmpty(BackupName) && !Expired && !OlderThan.HasValue && !KeepLast.HasValue)
                {
                    throw new ApimDrException(ErrorIds.RetentionRuleRequired, ApimErrorCategory.InvalidArgument,
                        "Say which backups to remove: -BackupName (a name or pattern), -Expired, -OlderThan or -KeepLast. Remove-ApimBackup never empties a container by default.", Target);
                }
                // Before anything is listed: a rule that would select every backup, a name that is not one.
                BackupRetention.ValidateRules(OlderThan, KeepLast);
                ValidateLiteralBackupName(BackupName);
                StorageLocation location = CreateLocation();
                IReadOnlyList<BackupBlob> considered = Select(Session.Run(ct => BackupCatalog.ListAsync(location, null, ct)).Where(b => b.Exists), BackupName);
                IReadOnlyList<BackupBlob> doomed = BackupRetention.SelectForRemoval(considered, Expired, OlderThan, KeepLast, DateTimeOffset.UtcNow);
                foreach (BackupBlob blob in doomed)
                {
                    string what = $"{blob.BackupName} (created {blob.Created.UtcDateTime:u})";
                    if (!Session.ShouldProcessUnlessForced(Force, $"{Target}/{blob.BackupName}", $"Remove backup {what}")) continue;
                    Session.Run(ct => BackupCatalog.DeleteAsync(location, blob.BackupName, ct));
                    if (PassThru) WriteObject(ToApimBackup(blob));
                }
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, Target);
            }
        }
    }
}
