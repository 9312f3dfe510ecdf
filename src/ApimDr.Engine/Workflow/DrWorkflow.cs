using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
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
        /// <summary>Checks the service exists, supports backup and is idle, then POSTs …/backup.</summary>
        public static async Task<ApimOperation> StartBackupAsync(ArmClient client, ServiceId service, BackupRestoreRequest request,
            OperationJournal? journal, Action<string> warn, CancellationToken cancellationToken)
        {
            ServiceInfo info = await client.GetServiceAsync(service, cancellationToken).ConfigureAwait(false);
            EnsureReady(info, "back up", journal);
            ApimOperation operation = await PostAsync(OperationKind.Backup, client, service, request, journal, warn, cancellationToken).ConfigureAwait(false);
            operation.Sku = info.SkuName;
            return operation;
        }

        /// <summary>
        /// The POST with its journal records: the intent before, the operation after; a POST whose
        /// outcome is unknown stays in the journal as Unknown, one surely not taken is removed.
        /// </summary>
        private static async Task<ApimOperation> PostAsync(OperationKind kind, ArmClient client, ServiceId service, BackupRestoreRequest request,
            OperationJournal? journal, Action<string> warn, CancellationToken cancellationToken)
        {
            request.Validate();
            cancellationToken.ThrowIfCancellationRequested();
            ApimOperation intent = Operations.ForStart(kind, service, request, client.Options.Cloud.ResourceManagerUrl, Guid.NewGuid().ToString(), client.Options.Time.GetUtcNow());
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
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
            {
                known = null;
            }
            if (known == null) return busy;
            return busy.Rephrase(busy.Message + $" ApimDr started a {known.Kind.ToLowerInvariant()} of '{known.Name}' at {known.StartTime:u} (backup '{known.BackupName}'): " +
                $"follow it with Get-ApimOperation -Name {known.Name} | Wait-ApimOperation.");
        }

        /// <summary>
        /// Unless skipped: target exists, is idle and its tier supports restore; when the blob is readable
        /// with the caller's storage credentials, it exists, is younger than 30 days and its recorded
        /// source SKU matches the target's. An unreadable blob is a warning (the service checks it too).
        /// </summary>
        public static async Task<ApimOperation> StartRestoreAsync(ArmClient client, ServiceId service, BackupRestoreRequest request,
            StorageLocation? storage, bool skipPreflight, OperationJournal? journal, Action<string> warn, CancellationToken cancellationToken)
        {
            string? sku = null;
            // Input first, before any request: a Storage token would have to go over plain http.
            if (!skipPreflight && storage != null) storage.ValidateCredentials();
            if (!skipPreflight)
            {
                ServiceInfo target = await client.GetServiceAsync(service, cancellationToken).ConfigureAwait(false);
                EnsureReady(target, "restore into", journal);
                sku = target.SkuName;
                if (storage != null)
                {
                    BackupBlob? blob = await TryReadBlobAsync(storage, request.BackupName, warn, cancellationToken).ConfigureAwait(false);
                    if (blob != null) CheckBackupFits(blob, target, client.Options.Time.GetUtcNow());
                }
            }
            ApimOperation operation = await PostAsync(OperationKind.Restore, client, service, request, journal, warn, cancellationToken).ConfigureAwait(false);
            operation.Sku = sku;
            return operation;
        }

        /// <summary>Best effort: returns a warning instead of failing the (already successful) backup.</summary>
        public static async Task<string?> RecordBackupSourceAsync(StorageLocation storage, ApimOperation operation, CancellationToken cancellationToken)
        {
            try
            {
                await BackupCatalog.SetSourceAsync(storage, operation.BackupName, operation.ResourceId, operation.Sku, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                return $"Backup of '{operation.Name}' succeeded, but ApimDr could not record its source service and SKU on blob '{operation.BackupName}': {ex.Message}";
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

        private static async Task<BackupBlob?> TryReadBlobAsync(StorageLocation storage, string backupName, Action<string> warn, CancellationToken cancellationToken)
        {
            try
            {
                return await BackupCatalog.GetAsync(storage, backupName, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.BackupNotFound || ex.ErrorId == ErrorIds.ContainerNotFound)
            {
                throw new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup '{backupName}' does not exist in container '{storage.ContainerName}' of storage account '{storage.AccountName}'.", backupName, ex);
            }
            catch (ApimDrException ex) when (IsKeyRejected(ex, storage))
            {
                // The same key would go to ARM in the restore body: the service would fail with it too.
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
        }

        /// <summary>
        /// Storage refused the KEY as a key (403 AuthenticationFailed: signature mismatch), as opposed to a
        /// refusal about network or rights (AuthorizationFailure, AuthorizationPermissionMismatch, a
        /// firewall), which stays a warning: APIM's control plane may be let in where this machine is not.
        /// </summary>
        internal static bool IsKeyRejected(ApimDrException error, StorageLocation storage)
            => storage.AccountKey != null && error.HttpStatus == 403
               && string.Equals(error.ArmCode, "AuthenticationFailed", StringComparison.Ordinal);

        private static void CheckBackupFits(BackupBlob blob, ServiceInfo target, DateTimeOffset now)
        {
            if (blob.ExpiresOn <= now)
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
