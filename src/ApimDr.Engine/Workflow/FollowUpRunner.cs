using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Engine.Workflow
{
    /// <summary>What one ended operation's follow-ups produced: objects to emit (each with an error when it shows a failure) and warnings.</summary>
    public sealed class FollowUpResult
    {
        public List<(object Output, ApimDrException? Failure)> Outputs { get; } = new List<(object, ApimDrException?)>();
        public List<string> Warnings { get; } = new List<string>();
    }

    /// <summary>
    /// Runs the follow-ups an operation carries (<see cref="ApimOperation.FollowUps"/>) once a wait has seen the
    /// service's verdict — the same code for an operation started in this call, piped from Import-Clixml or
    /// ConvertFrom-Json, from Get-ApimOperation or from Get-ApimBackup -IncludeInProgress (docs/design.md,
    /// "Follow-ups travel with the operation"). Each one done is removed from the record; one that cannot run
    /// stays, with a warning naming it and the exact command that completes it later. Never fails the operation.
    /// </summary>
    public static class FollowUpRunner
    {
        /// <param name="storage">Where this process reaches the backup's container; may throw an ApimDrException (then the storage follow-ups wait).</param>
        /// <param name="replicaStorage">Where this process reaches a replica container (account, container) for CopyTo; may throw an ApimDrException.</param>
        public static async Task<FollowUpResult> RunAsync(ApimOperation operation, ArmClient client, Func<StorageLocation>? storage, CancellationToken cancellationToken,
            Func<string, string, StorageLocation>? replicaStorage = null)
        {
            var result = new FollowUpResult();
            if (!operation.IsTerminal || !operation.HasPendingFollowUps) return result;
            var failed = new List<(string FollowUp, string Reason)>();
            StorageLocation? location = null;
            string? noStorage = storage == null ? "no storage location was given to this wait" : null;
            if (storage != null)
            {
                try
                {
                    location = storage();
                    location.ValidateCredentials();
                }
                catch (ApimDrException ex)
                {
                    location = null;
                    noStorage = $"{ex.ErrorId}: {ex.Message}";
                }
            }
            var pending = operation.FollowUps.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            // Verify before ReleaseBackup (the backup stays marked while its snapshot is read); RecordEnd last: the manifest then records which follow-ups are still to do.
            foreach (string followUp in pending.OrderBy(Order).ToList())
            {
                string? reason;
                if (location == null && (IsKnown(followUp) || ApimFollowUp.ParseCopyTo(followUp) != null))
                {
                    reason = noStorage;
                }
                else
                {
                    operation.FollowUps = pending.ToArray();
                    reason = ApimFollowUp.ParseCopyTo(followUp) is (string account, string container)
                        ? await CopyToAsync(operation, location!, account, container, replicaStorage, result, cancellationToken).ConfigureAwait(false)
                        : await RunOneAsync(followUp, operation, client, location!, result, cancellationToken).ConfigureAwait(false);
                }
                if (reason == null) pending.Remove(followUp);
                else failed.Add((followUp, reason));
            }
            operation.FollowUps = pending.ToArray();
            // One warning per cause (usually one: no way to storage), naming every follow-up it stopped and the one command that completes them.
            foreach (IGrouping<string, string> cause in failed.GroupBy(f => f.Reason, f => f.FollowUp))
            {
                result.Warnings.Add($"The {operation.Kind.ToLowerInvariant()} of '{operation.Name}' ended ({operation.Status}), but ApimDr could not {string.Join(" nor ", cause.Select(ApimFollowUp.Describe))} ({cause.Key}). " +
                    $"To complete it later: {operation.ResumeCommand()} -StorageAccountKey <key> (or, without the key, as an identity with 'Storage Blob Data Contributor' on the container).");
            }
            return result;
        }

        private static int Order(string followUp)
            => string.Equals(followUp, ApimFollowUp.RecordEnd, StringComparison.OrdinalIgnoreCase) ? 3
               : ApimFollowUp.ParseCopyTo(followUp) != null ? 2
               : string.Equals(followUp, ApimFollowUp.ReleaseBackup, StringComparison.OrdinalIgnoreCase) ? 1 : 0;

        /// <summary>A backup that succeeded is copied to the replica container and verified (<see cref="BackupCopier"/>); one that did not has nothing to copy.</summary>
        private static async Task<string?> CopyToAsync(ApimOperation operation, StorageLocation source, string account, string container,
            Func<string, string, StorageLocation>? replicaStorage, FollowUpResult result, CancellationToken cancellationToken)
        {
            if (!string.Equals(operation.Kind, "Backup", StringComparison.OrdinalIgnoreCase) || !string.Equals(operation.Status, ApimOperation.Succeeded, StringComparison.OrdinalIgnoreCase)) return null;
            try
            {
                if (replicaStorage == null) return $"this wait was given no way to reach replica account '{account}' (-ReplicaStorageAccountKey, -ReplicaBlobEndpoint)";
                StorageLocation destination = replicaStorage(account, container);
                destination.ValidateCredentials();
                (ApimBackup replica, _) = await BackupCopier.CopyAsync(source, operation.BackupName, destination, result.Warnings.Add, cancellationToken).ConfigureAwait(false);
                result.Outputs.Add((replica, null));
                return null;
            }
            catch (ApimDrException ex)
            {
                return $"{ex.ErrorId}: {ex.Message}";
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                return $"{ex.GetType().Name} (not mapped; its text is not shown, it may carry a request URL)";
            }
        }

        private static bool IsKnown(string followUp) => ApimFollowUp.Known.Contains(followUp, StringComparer.OrdinalIgnoreCase);

        /// <summary>Null when done (or nothing is left to do); otherwise why not.</summary>
        private static async Task<string?> RunOneAsync(string followUp, ApimOperation operation, ArmClient client, StorageLocation location, FollowUpResult result, CancellationToken cancellationToken)
        {
            try
            {
                if (string.Equals(followUp, ApimFollowUp.RecordEnd, StringComparison.OrdinalIgnoreCase))
                {
                    await RecordEndAsync(operation, location, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                if (string.Equals(followUp, ApimFollowUp.ReleaseBackup, StringComparison.OrdinalIgnoreCase))
                {
                    await BackupCatalog.DeleteRestoreMarkerAsync(location, operation, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                if (string.Equals(followUp, ApimFollowUp.Verify, StringComparison.OrdinalIgnoreCase))
                {
                    return await VerifyAsync(operation, client, location, result, cancellationToken).ConfigureAwait(false);
                }
                return $"'{followUp}' is not a follow-up this version of ApimDr knows";
            }
            catch (ApimDrException ex)
            {
                return $"{ex.ErrorId}: {ex.Message}";
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                return $"{ex.GetType().Name} (not mapped; its text is not shown, it may carry a request URL)";   // the follow-up waits
            }
        }

        /// <summary>The backup's manifest records the end the wait saw (a manifest is written from the record when none is there).</summary>
        private static async Task RecordEndAsync(ApimOperation operation, StorageLocation location, CancellationToken cancellationToken)
        {
            ApimBackupManifest manifest = await BackupCatalog.ReadManifestAsync(location, operation.BackupName, cancellationToken).ConfigureAwait(false)
                ?? BackupManifest.ForStart(operation, null);
            BackupManifest.RecordEnd(manifest, operation);
            await BackupCatalog.WriteManifestAsync(location, manifest, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>A restore that succeeded is compared with the snapshot stored beside its backup; one that did not has nothing to verify.</summary>
        private static async Task<string?> VerifyAsync(ApimOperation operation, ArmClient client, StorageLocation location, FollowUpResult result, CancellationToken cancellationToken)
        {
            if (!string.Equals(operation.Status, ApimOperation.Succeeded, StringComparison.OrdinalIgnoreCase)) return null;
            ApimConfiguration? snapshot = await BackupCatalog.ReadSnapshotAsync(location, operation.BackupName, cancellationToken).ConfigureAwait(false);
            if (snapshot == null)
            {
                return $"{ErrorIds.SnapshotNotFound}: there is no configuration snapshot '{BackupManifest.SnapshotNameFor(operation.BackupName)}' beside the backup in '{location.AccountName}/{location.ContainerName}'";
            }
            ServiceId service = ServiceId.Parse(operation.ResourceId);
            ApimRestoreVerification verification = await DrWorkflow.VerifyRestoreAsync(client, service, operation.BackupName, snapshot, cancellationToken).ConfigureAwait(false);
            result.Outputs.Add((verification, verification.IsEqual ? null : new ApimDrException(ErrorIds.RestoreVerificationFailed, ApimErrorCategory.InvalidResult,
                $"The restore of '{operation.BackupName}' into '{service.Name}' succeeded, but {verification.Differences.Count} restorable properties differ from the snapshot taken before the backup ({verification.SnapshotTakenAt:u}): see the ApimRestoreVerification output.", service.ResourceId)));
            return null;
        }
    }
}
