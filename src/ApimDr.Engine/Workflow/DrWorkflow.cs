using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Journal;
using ApimDr.Engine.Storage;

namespace ApimDr.Engine.Workflow
{
    /// <summary>
    /// Where a backup or restore starts: the checks before the POST, the POST itself, and recording a
    /// fresh backup's source on its blob. Cmdlets call this; the wait is OperationPoller's.
    /// </summary>
    public static class DrWorkflow
    {
        /// <summary>
        /// Checks the service exists, supports backup and is idle, takes its configuration snapshot unless
        /// told not to, then POSTs …/backup; once ARM took it, writes the backup's manifest (and the
        /// snapshot) beside it — best effort: a warning naming what is lost, never a failed backup. The
        /// operation carries the follow-up "record the end in the manifest" when the manifest was written.
        /// </summary>
        public static async Task<ApimOperation> StartBackupAsync(ArmClient client, ServiceId service, BackupRestoreRequest request,
            bool takeSnapshot, bool overwrite, string[] alsoWhenEnded, OperationJournal? journal, Action<string> warn, CancellationToken cancellationToken)
        {
            StorageLocation storage = request.Location;
            ServiceInfo info = await client.GetServiceAsync(service, cancellationToken).ConfigureAwait(false);
            EnsureReady(info, "back up", journal);
            EnsureIdentity(info, request, "back up");
            string? notChecked = overwrite ? null : await RefuseOverwriteAsync(storage, request.BackupName, cancellationToken).ConfigureAwait(false);
            ApimConfiguration? snapshot = takeSnapshot ? await TrySnapshotAsync(client, service, warn, cancellationToken).ConfigureAwait(false) : null;
            ApimOperation operation = await PostAsync(OperationKind.Backup, client, service, request, alsoWhenEnded.Concat(new[] { ApimFollowUp.RecordEnd }).ToArray(), journal, warn, cancellationToken).ConfigureAwait(false);
            operation.Sku = info.SkuName;
            try
            {
                // The backup runs now: record it even after Ctrl+C.
                await BackupCatalog.WriteManifestAsync(storage, BackupManifest.ForStart(operation, info), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                operation.FollowUps = operation.FollowUps.Where(f => f != ApimFollowUp.RecordEnd).ToArray();   // this warning already says what is lost
                // ONE warning for one missing access: the check before the POST failed the same way.
                warn($"Backup of '{operation.Name}' started, but ApimDr could not write its manifest '{BackupManifest.NameFor(operation.BackupName)}'{(snapshot != null ? " or its configuration snapshot" : string.Empty)} ({ex.Message}). " +
                    "Without it, Restore-ApimService cannot check the SKU before starting (nor -Verify the result), and Get-ApimBackup -ServiceName/-IncludeInProgress do not know this backup. " +
                    (notChecked != null ? $"Nor could it check beforehand whether a backup '{operation.BackupName}' was already there (it is replaced if it was). " : string.Empty) +
                    "Pass -StorageAccountKey, or give your identity 'Storage Blob Data Contributor' on the container.");
                return operation;
            }
            if (notChecked != null) warn(notChecked);
            if (snapshot != null)
            {
                try
                {
                    await BackupCatalog.WriteSnapshotAsync(storage, operation.BackupName, snapshot, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    warn($"Backup of '{operation.Name}' started, but ApimDr could not store its configuration snapshot '{BackupManifest.SnapshotNameFor(operation.BackupName)}' ({ex.Message}); Restore-ApimService -Verify cannot check a restore of it.");
                }
            }
            return operation;
        }

        /// <summary>
        /// BackupExists before the POST when a backup (blob or manifest) of that name is in the container: APIM
        /// would overwrite it without a word. When ApimDr cannot look (no storage access of its own, e.g. managed
        /// identity only), the warning that says so comes back (null: checked, nothing there).
        /// </summary>
        private static async Task<string?> RefuseOverwriteAsync(StorageLocation storage, string backupName, CancellationToken cancellationToken)
        {
            bool exists;
            try
            {
                storage.ValidateCredentials();
                exists = await BackupCatalog.ExistsAsync(storage, backupName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                return $"ApimDr could not check whether backup '{backupName}' already exists in '{storage.AccountName}/{storage.ContainerName}' ({(ex is ApimDrException known ? known.ErrorId + ": " : string.Empty)}{ex.Message}); if it did, the backup replaced it. " +
                    "Pass -StorageAccountKey, or give your identity 'Storage Blob Data Reader' on the container, so ApimDr can check.";
            }
            if (exists)
            {
                throw new ApimDrException(ErrorIds.BackupExists, ApimErrorCategory.ResourceExists,
                    $"Backup '{backupName}' already exists in container '{storage.ContainerName}' of storage account '{storage.AccountName}'; the backup would overwrite it. Nothing was started. " +
                    "Choose another -BackupName (tokens {service}, {resourceGroup}, {subscription}, {timestamp} make names unique), or pass -Overwrite to replace it.", backupName);
            }
            return null;
        }

        /// <summary>The configuration just before the backup; a warning (never a failed backup) when it cannot be read.</summary>
        private static async Task<ApimConfiguration?> TrySnapshotAsync(ArmClient client, ServiceId service, Action<string> warn, CancellationToken cancellationToken)
        {
            try
            {
                return await new ConfigurationReader(client).ReadAsync(service, null, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException ex)
            {
                warn($"ApimDr could not take the configuration snapshot of '{service.Name}' before the backup ({ex.ErrorId}: {ex.Message}); the backup goes on, but a restore of it cannot be verified. Pass -SkipSnapshot to skip it.");
                return null;
            }
        }

        /// <summary>
        /// What restoring a backup now would lose (a report's RPO in content): the source's restorable changes since the
        /// backup's snapshot, the source read under the snapshot's salt so a changed secret counts without either value
        /// being shown. One storage read and one configuration read of the source; when either cannot be had (no
        /// snapshot, the source unreachable) the reason instead, never a failed test.
        /// </summary>
        public static async Task<(IReadOnlyList<ApimConfigurationDifference>? Changes, string? NotChecked)> SourceChangesAsync(
            ArmClient client, StorageLocation storage, string backupName, ServiceId source, CancellationToken cancellationToken)
        {
            try
            {
                ApimConfiguration? snapshot = await BackupCatalog.ReadSnapshotAsync(storage, backupName, cancellationToken).ConfigureAwait(false);
                if (snapshot == null) return (null, "not checked: the backup has no configuration snapshot");
                ApimConfiguration now = await new ConfigurationReader(client).ReadAsync(source, snapshot.Salt, cancellationToken).ConfigureAwait(false);
                return (ConfigurationComparer.Compare(snapshot, now).Where(d => d.IsRestorable && d.Change != ApimConfigurationDifference.Equal).ToList(), null);
            }
            catch (ApimDrException ex)
            {
                return (null, $"not checked: {source.Name} could not be read ({ex.ErrorId})");
            }
        }

        /// <summary>
        /// Restore-ApimService -Verify: reads the restored service with the snapshot's salt (so secrets
        /// compare) and compares it with the snapshot taken before the backup.
        /// </summary>
        public static async Task<ApimRestoreVerification> VerifyRestoreAsync(ArmClient client, ServiceId service, string backupName, ApimConfiguration snapshot, CancellationToken cancellationToken)
        {
            ApimConfiguration now = await new ConfigurationReader(client).ReadAsync(service, snapshot.Salt, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<ApimConfigurationDifference> all = ConfigurationComparer.Compare(snapshot, now, includeEqual: true);
            var differences = all.Where(d => d.IsRestorable && d.Change != ApimConfigurationDifference.Equal).ToList();
            return new ApimRestoreVerification
            {
                ServiceId = service.ResourceId,
                ServiceName = service.Name,
                BackupName = backupName,
                SourceServiceName = snapshot.Name,
                SnapshotTakenAt = snapshot.TakenAt,
                VerifiedAt = now.TakenAt,
                IsEqual = differences.Count == 0,
                EntityCount = now.EntityCount,
                Differences = differences,
                CarryOver = all.Where(d => !d.IsRestorable).ToList(),
            };
        }

        /// <summary>
        /// The POST with its journal records: the intent before, the operation after; a POST whose
        /// outcome is unknown stays in the journal as Unknown, one surely not taken is removed.
        /// </summary>
        private static async Task<ApimOperation> PostAsync(OperationKind kind, ArmClient client, ServiceId service, BackupRestoreRequest request,
            string[] followUps, OperationJournal? journal, Action<string> warn, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();   // the request was validated at the edge (ServiceStart.Read) and ArmClient checks it before sending
            ApimOperation intent = Operations.ForStart(kind, service, request, client.Options.Cloud.ResourceManagerUrl, Guid.NewGuid().ToString(), client.Options.Time.GetUtcNow());
            intent.FollowUps = followUps;
            intent.Status = ApimOperation.Unknown;
            Warn(warn, journal?.RecordIntent(intent));
            ApimOperation operation;
            try
            {
                operation = await client.StartAsync(kind, service, request, intent.CorrelationId, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.OperationOutcomeUnknown)
            {
                Warn(warn, journal?.RecordUnknown(intent));
                throw;
            }
            catch (Exception ex)
            {
                Warn(warn, journal?.Remove(intent));   // refused (or stopped before sending): surely not started
                if (ex is ApimDrException busy && busy.ErrorId == ErrorIds.ServiceBusy) throw WithJournalHint(busy, journal, service.ResourceId);
                throw;
            }
            operation.FollowUps = followUps;
            Warn(warn, operation.IsTerminal ? journal?.Remove(operation) : journal?.RecordStarted(operation));
            return operation;
        }

        private static void Warn(Action<string> warn, string? message)
        {
            if (message != null) warn(message);
        }

        /// <summary>A busy service: if this user's journal knows an operation on it, say which and how to follow it.</summary>
        private static ApimDrException WithJournalHint(ApimDrException busy, OperationJournal? journal, string resourceId)
        {
            ApimOperation? known;
            try
            {
                known = journal?.ForResource(resourceId).Select(e => e.Operation).FirstOrDefault(o => o.PollUrl != null);
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.JournalUnreadable)
            {
                return busy.Rephrase(busy.Message + $" (ApimDr's operation journal could not be read to say which operation: {ex.Message})");
            }
            if (known == null) return busy;
            return busy.Rephrase(busy.Message + $" ApimDr started a {known.Kind.ToLowerInvariant()} of '{known.Name}' at {known.StartTime:u} (backup '{known.BackupName}'): " +
                $"follow it with Get-ApimOperation -Name {known.Name} | Wait-ApimOperation.");
        }

        /// <summary>
        /// The backup as the pre-flight sees it, read with the caller's storage credentials: the blob joined
        /// with its manifest (source service, SKU). Null — with a warning — when it cannot be read
        /// client-side (the service checks it anyway); BackupNotFound when it does not exist; StorageAccessDenied
        /// when storage refuses the key itself (the restore would carry the same key).
        /// </summary>
        public static async Task<ApimBackup?> ReadBackupAsync(StorageLocation storage, string backupName, Action<string> warn, CancellationToken cancellationToken)
        {
            storage.ValidateCredentials();   // input first, before any request: a Storage token would have to go over plain http
            ApimBackup backup;
            try
            {
                backup = await BackupCatalog.GetAsync(storage, backupName, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.BackupNotFound || ex.ErrorId == ErrorIds.ContainerNotFound)
            {
                throw new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup '{backupName}' does not exist in container '{storage.ContainerName}' of storage account '{storage.AccountName}'.", backupName, ex);
            }
            catch (ApimDrException ex) when (IsKeyRejected(ex, storage))
            {
                throw new ApimDrException(ErrorIds.StorageAccessDenied, ApimErrorCategory.PermissionDenied,
                    $"Storage account '{storage.AccountName}' refused the access key itself (403 AuthenticationFailed: the request signature did not match), so the restore was not started and the key was not sent to ARM. " +
                    "The key is wrong, belongs to another account or was rotated: pass the current key1 or key2 of the account. (If the key is right, this machine's clock may be more than 15 minutes off, which storage also refuses: fix the clock, or pass -SkipPreflight.)",
                    storage.AccountName, ex)
                {
                    HttpStatus = ex.HttpStatus,
                    ArmCode = ex.ArmCode,
                };
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) && !(ex is ApimDrException input && input.Category == ApimErrorCategory.InvalidArgument))
            {
                warn($"Pre-flight could not read backup blob '{backupName}' ({ex.GetType().Name}: {ex.Message}); skipping the blob checks, the service will check it.");
                return null;
            }
            await CheckIntegrityAsync(storage, backup, cancellationToken).ConfigureAwait(false);
            return backup;
        }

        /// <summary>
        /// A backup whose manifest records the MD5 of its bytes (every replica, and a source once copied) is read
        /// and checked before anything is started: bytes changed since (a tampered or torn replica) are
        /// BackupIntegrityFailed, not a restore of something else.
        /// </summary>
        private static async Task CheckIntegrityAsync(StorageLocation storage, ApimBackup backup, CancellationToken cancellationToken)
        {
            if (backup.ContentMd5 == null) return;
            string actual = await BackupCopier.ContentMd5Async(storage, backup.BackupName, cancellationToken).ConfigureAwait(false);
            if (actual == backup.ContentMd5) return;
            throw new ApimDrException(ErrorIds.BackupIntegrityFailed, ApimErrorCategory.InvalidData,
                $"Backup '{backup.BackupName}' in '{storage.AccountName}/{storage.ContainerName}' does not match the MD5 its manifest recorded when it was {(backup.ReplicaOf != null ? "copied from " + backup.ReplicaOf : "copied")} (now {actual}, recorded {backup.ContentMd5}): its bytes changed. Nothing was restored; restore another copy (Get-ApimBackup lists the replicas).", backup.BackupName);
        }

        /// <summary>
        /// The restore pre-flight, read-only (so -WhatIf runs it too): the target exists, is idle and its tier
        /// supports restore; the backup (when <see cref="ReadBackupAsync"/> could read it) is younger than 30 days
        /// and its source SKU — from the manifest, else legacy blob metadata — matches the target's. Returns the
        /// target's SKU.
        /// </summary>
        public static async Task<string?> PreflightRestoreAsync(ArmClient client, ServiceId service, BackupRestoreRequest request, ApimBackup? backup, OperationJournal? journal, CancellationToken cancellationToken)
        {
            ServiceInfo target;
            try
            {
                target = await client.GetServiceAsync(service, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException missing) when (missing.ErrorId == ErrorIds.ServiceNotFound)
            {
                throw await SoftDeletedOrAsync(client, service, missing, cancellationToken).ConfigureAwait(false);
            }
            EnsureReady(target, "restore into", journal);
            EnsureIdentity(target, request, "restore into");
            if (backup != null) CheckBackupFits(backup, target, client.Options.Time.GetUtcNow());
            return target.SkuName;
        }

        /// <summary>
        /// The target does not exist: when a soft-deleted service holds its name (48 h), say so — with its purge
        /// date and the commands that undelete or purge it — rather than a plain ServiceNotFound. Nothing is
        /// undeleted or purged: that is the user's call. A list that cannot be read leaves ServiceNotFound.
        /// </summary>
        private static async Task<ApimDrException> SoftDeletedOrAsync(ArmClient client, ServiceId service, ApimDrException missing, CancellationToken cancellationToken)
        {
            IReadOnlyList<DeletedService> deleted;
            try
            {
                deleted = await client.ListDeletedServicesAsync(service, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException)
            {
                return missing;
            }
            DeletedService? held = deleted.FirstOrDefault(d => string.Equals(d.Name, service.Name, StringComparison.OrdinalIgnoreCase));
            if (held == null) return missing;
            string location = held.Location;
            return new ApimDrException(ErrorIds.ServiceSoftDeleted, ApimErrorCategory.ObjectNotFound,
                $"Service '{service.Name}' does not exist: it was deleted{(held.DeletionDate is DateTimeOffset when ? $" at {when.UtcDateTime:u}" : string.Empty)} and is soft-deleted in '{location}' until " +
                $"{(held.ScheduledPurgeDate is DateTimeOffset purge ? purge.UtcDateTime.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "its purge date")}, which holds its name. Nothing was restored, undeleted or purged. " +
                $"To restore into it, undelete it first (create it again with properties.restore = true, e.g. az apim create --name {service.Name} --resource-group {service.ResourceGroupName} --location \"{location}\" … with \"restore\": true in the ARM template), " +
                $"or purge it to reuse the name (az apim deletedservice purge --service-name {service.Name} --location \"{location}\"; needs rights at subscription scope) and create a new service.", service.ResourceId, missing);
        }

        /// <summary>POSTs …/restore (after <see cref="PreflightRestoreAsync"/> unless skipped) and marks the backup in use.</summary>
        public static async Task<ApimOperation> StartRestoreAsync(ArmClient client, ServiceId service, BackupRestoreRequest request,
            string? targetSku, string[] followUps, OperationJournal? journal, Action<string> warn, CancellationToken cancellationToken)
        {
            ApimOperation operation = await PostAsync(OperationKind.Restore, client, service, request, followUps.Concat(new[] { ApimFollowUp.ReleaseBackup }).ToArray(), journal, warn, cancellationToken).ConfigureAwait(false);
            operation.Sku = targetSku;
            if (!operation.IsTerminal) await MarkInUseAsync(request.Location, operation, warn).ConfigureAwait(false);
            return operation;
        }

        /// <summary>
        /// The in-use mark beside the backup a restore reads (Remove-ApimBackup on any machine spares the backup);
        /// its follow-up ReleaseBackup removes it when a wait sees the restore end. Best effort: a warning.
        /// </summary>
        private static async Task MarkInUseAsync(StorageLocation storage, ApimOperation restore, Action<string> warn)
        {
            try
            {
                storage.ValidateCredentials();
                await BackupCatalog.WriteRestoreMarkerAsync(storage, restore, CancellationToken.None).ConfigureAwait(false);   // the restore runs now: mark it even after Ctrl+C
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                restore.FollowUps = restore.FollowUps.Where(f => f != ApimFollowUp.ReleaseBackup).ToArray();
                warn($"Restore of '{restore.Name}' started, but ApimDr could not mark backup '{restore.BackupName}' as in use ({ex.Message}); only this machine's journal knows, so Remove-ApimBackup elsewhere would not spare it until the restore ends. " +
                    "Pass -StorageAccountKey, or give your identity 'Storage Blob Data Contributor' on the container.");
            }
        }

        private static void EnsureReady(ServiceInfo info, string verb, OperationJournal? journal)
        {
            if (!info.SupportsBackup)
            {
                throw new ApimDrException(ErrorIds.SkuNotSupported, ApimErrorCategory.InvalidOperation,
                    $"Cannot {verb} '{info.Name}': its tier '{info.SkuName}' does not support backup and restore (Developer, Basic, Standard, Premium and Isolated do).", info.ResourceId);
            }
            if (!info.IsIdle)
            {
                throw WithJournalHint(new ApimDrException(ErrorIds.ServiceBusy, ApimErrorCategory.ResourceBusy,
                    $"Cannot {verb} '{info.Name}': it is busy (provisioningState '{info.ProvisioningState}', target '{info.TargetProvisioningState}'). Wait for the running operation to finish.", info.ResourceId), journal, info.ResourceId);
            }
        }

        /// <summary>
        /// Without a storage key the SERVICE reaches storage as its managed identity: one of the kind asked for
        /// must be on it, or ARM refuses the POST with its own text (docs/arm-protocol.md §1, "Without a key"). Said before the
        /// POST, with what to pass instead.
        /// </summary>
        private static void EnsureIdentity(ServiceInfo info, BackupRestoreRequest request, string verb)
        {
            string? missing = request.AccessType switch
            {
                StorageAccessType.SystemAssignedManagedIdentity when !info.HasSystemAssignedIdentity =>
                    $"it has no system-assigned managed identity (identity type '{info.IdentityType ?? "None"}')",
                StorageAccessType.UserAssignedManagedIdentity when !info.HasUserAssignedIdentity(request.ClientId) =>
                    info.UserAssignedClientIds.Length == 0
                        ? $"it has no user-assigned managed identity, so none with client id '{request.ClientId}'"
                        : $"no user-assigned identity with client id '{request.ClientId}' is attached to it (attached: {string.Join(", ", info.UserAssignedClientIds)})",
                _ => null,
            };
            if (missing == null) return;
            throw new ApimDrException(ErrorIds.ManagedIdentityNotConfigured, ApimErrorCategory.InvalidOperation,
                $"Cannot {verb} '{info.Name}' with access type {request.AccessType}: {missing}, and without a storage key the service reaches storage as its own managed identity. Nothing was started. " +
                "Pass -StorageAccountKey; or enable the identity on the service and grant it 'Storage Blob Data Contributor' on the account; or choose the identity the service has with -AccessType (and -IdentityClientId for a user-assigned one).",
                info.ResourceId);
        }

        /// <summary>
        /// Storage refused the KEY as a key (403 AuthenticationFailed: signature mismatch), as opposed to a
        /// refusal about network or rights (AuthorizationFailure, AuthorizationPermissionMismatch, a
        /// firewall), which stays a warning: APIM's control plane may be let in where this machine is not.
        /// </summary>
        internal static bool IsKeyRejected(ApimDrException error, StorageLocation storage)
            => storage.AccountKey != null && error.HttpStatus == 403
               && string.Equals(error.ArmCode, "AuthenticationFailed", StringComparison.Ordinal);

        private static void CheckBackupFits(ApimBackup blob, ServiceInfo target, DateTimeOffset now)
        {
            if (blob.ExpiresOn <= now.UtcDateTime)
            {
                throw new ApimDrException(ErrorIds.BackupExpired, ApimErrorCategory.InvalidData,
                    $"Backup '{blob.BackupName}' was created {blob.Created:u} and expired {blob.ExpiresOn:u}: APIM restores backups up to 30 days old.", blob.BackupName);
            }
            if (!string.IsNullOrEmpty(blob.SourceSku) && !string.Equals(blob.SourceSku, target.SkuName, StringComparison.OrdinalIgnoreCase))
            {
                throw new ApimDrException(ErrorIds.SkuMismatch, ApimErrorCategory.InvalidOperation,
                    $"Cannot restore into '{target.Name}': its SKU is '{target.SkuName}', the backup was taken from a '{blob.SourceSku}' service. APIM restores only into the same tier.", target.ResourceId);
            }
        }
    }
}
