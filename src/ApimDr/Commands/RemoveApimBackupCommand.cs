using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Journal;
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
        /// <summary>The backup's blob name, matched literally (binds from Get-ApimBackup output); a name that is not there is BackupNotFound.</summary>
        [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("BlobName")]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string? BackupName { get; set; }

        /// <summary>A wildcard pattern of blob names: what to consider, explicitly as a pattern.</summary>
        [Parameter]
        [SupportsWildcards]
        public string? BackupNamePattern { get; set; }

        /// <summary>Remove only backups that have a verified replica elsewhere (their manifest lists it): retention on the primary never destroys the last copy outside the region.</summary>
        [Parameter]
        public SwitchParameter OnlyIfReplicated { get; set; }

        /// <summary>Also remove backups a running restore is reading (marked in use). Without it they are spared, even with -Force.</summary>
        [Parameter]
        public SwitchParameter IgnoreInUse { get; set; }

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
                if (string.IsNullOrEmpty(BackupName) && string.IsNullOrEmpty(BackupNamePattern) && !Expired && !OlderThan.HasValue && !KeepLast.HasValue)
                {
                    throw new ApimDrException(ErrorIds.RetentionRuleRequired, ApimErrorCategory.InvalidArgument,
                        "Say which backups to remove: -BackupName (a name), -BackupNamePattern (a wildcard pattern), -Expired, -OlderThan or -KeepLast. Remove-ApimBackup never empties a container by default.", Target);
                }
                // Before anything is listed: a rule that would select every backup, a name that is not one, a malformed pattern.
                BackupRetention.ValidateRules(OlderThan, KeepLast);
                ValidateLiteralBackupName(BackupName);
                WildcardPattern? pattern = NamePattern.Create(BackupNamePattern, "-BackupNamePattern");
                StorageLocation location = CreateLocation();
                IReadOnlyList<ApimBackup> considered = Select(Session.Run(ct => BackupCatalog.ListAsync(location, null, ct, Session.PostWarning)).Where(b => b.Uri != null), BackupName, pattern);
                if (!string.IsNullOrEmpty(BackupName) && considered.Count == 0) throw NotFound(BackupName!);
                IReadOnlyList<ApimBackup> doomed = BackupRetention.SelectForRemoval(considered, Expired, OlderThan, KeepLast, DateTimeOffset.UtcNow);
                if (OnlyIfReplicated)
                {
                    foreach (ApimBackup kept in doomed.Where(b => b.Replicas.Length == 0)) WriteVerbose($"Kept {kept.BackupName}: it has no verified replica (-OnlyIfReplicated).");
                    doomed = doomed.Where(b => b.Replicas.Length > 0).ToList();
                }
                ISet<string> journaledInUse = IgnoreInUse ? new HashSet<string>() : RestoresInJournal(location);
                foreach (ApimBackup blob in doomed)
                {
                    if (!IgnoreInUse && (blob.ActiveRestores > 0 || journaledInUse.Contains(blob.BackupName)))
                    {
                        Session.WriteFailure(InUse(location, blob), $"{Target}/{blob.BackupName}");
                        continue;
                    }
                    string what = $"{blob.BackupName} (created {blob.Created:u})";
                    if (!Session.ShouldProcessUnlessForced(Force, $"{Target}/{blob.BackupName}", $"Remove backup {what}")) continue;
                    Session.Run(ct => BackupCatalog.DeleteAsync(location, blob.BackupName, ct));
                    if (PassThru) WriteObject(blob);
                }
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, Target);
            }
        }

        /// <summary>Backups of this container that a restore started from this account is reading, as the operation journal knows them.</summary>
        private ISet<string> RestoresInJournal(StorageLocation location)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (JournalEntry entry in OperationJournal.ForCurrentUser()?.Read() ?? Array.Empty<JournalEntry>())
                {
                    ApimOperation op = entry.Operation;
                    if (string.Equals(op.Kind, "Restore", StringComparison.OrdinalIgnoreCase) && !op.IsTerminal
                        && string.Equals(op.StorageAccountName, location.AccountName, StringComparison.Ordinal)
                        && string.Equals(op.ContainerName, location.ContainerName, StringComparison.Ordinal))
                    {
                        names.Add(op.BackupName);
                    }
                }
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.JournalUnreadable)
            {
                // The marks beside the backups still count; the journal only adds this machine's unmarked restores. Said, not hidden.
                WriteWarning(ex.Message + " Remove-ApimBackup goes on with the in-use marks beside the backups only: a restore from this machine that has no mark is not seen.");
            }
            return names;
        }

        /// <summary>BackupInUse, naming the restores that read it (from their marks) and how to end the wait that frees it.</summary>
        private ApimDrException InUse(StorageLocation location, ApimBackup blob)
        {
            IReadOnlyList<ApimOperation> restores;
            try
            {
                restores = Session.Run(ct => BackupCatalog.ReadRestoreMarkersAsync(location, blob.BackupName, ct));
            }
            catch (ApimDrException)
            {
                restores = Array.Empty<ApimOperation>();
            }
            string who = restores.Count == 0
                ? "a restore this machine's journal knows"
                : string.Join("; ", restores.Select(r => $"a restore into '{r.Name}' started {r.StartTime:u}" + (r.PollUrl != null ? $" (wait for it, which clears the mark: {r.ResumeCommand()})" : string.Empty)));
            return new ApimDrException(ErrorIds.BackupInUse, ApimErrorCategory.ResourceBusy,
                $"Backup '{blob.BackupName}' was not removed: {who} is reading it. Removing it could fail that restore. Pass -IgnoreInUse to remove it anyway (-Force alone does not).", blob.BackupName);
        }
    }
}
