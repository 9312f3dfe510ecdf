using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr
{
    /// <summary>
    /// An operation to wait for, with where its follow-ups reach storage (<see cref="ApimOperation.FollowUps"/>
    /// say WHAT its end needs; this says with which credentials, in this process). <see cref="Storage"/> may
    /// throw (an ApimDrException: no trusted endpoint, a bad key): then the follow-ups that need storage wait
    /// for a later wait, with a warning.
    /// </summary>
    internal sealed class StartedOperation
    {
        public StartedOperation(ApimOperation operation, Func<StorageLocation>? storage = null, Func<string, string, StorageLocation>? replicaStorage = null)
        {
            Operation = operation;
            Storage = storage;
            ReplicaStorage = replicaStorage;
        }

        public ApimOperation Operation { get; }

        public Func<StorageLocation>? Storage { get; }

        /// <summary>Where this process reaches a replica container (account, container) for a CopyTo follow-up.</summary>
        public Func<string, string, StorageLocation>? ReplicaStorage { get; }
    }

    /// <summary>
    /// One input of Backup-/Restore-ApimService turned into engine inputs, validated once, before any
    /// request: the service, the backup request and where ApimDr itself reaches the blob. It is what the
    /// one hook (<c>ApimServiceCmdlet.StartAsync</c>) gets, with the way to confirm and to warn.
    /// </summary>
    internal sealed class ServiceStart
    {
        private readonly CommandSession _session;

        private ServiceStart(CommandSession session, ServiceId service, BackupRestoreRequest request, ArmClient client)
        {
            _session = session;
            Service = service;
            Request = request;
            Client = client;
            _post = session.Post;
        }

        public ServiceId Service { get; }
        public BackupRestoreRequest Request { get; }

        /// <summary>Where ApimDr itself reads/writes beside the blob (pre-flight, manifest, snapshot): the request's location.</summary>
        public StorageLocation Storage => Request.Location;
        public ArmClient Client { get; }

        /// <summary>account/container/backup, for prompts.</summary>
        public string Describe => $"{Request.StorageAccountName}/{Request.ContainerName}/{Request.BackupName}";

        /// <summary>The confirmation before this one in the call's input order (none: ask at once).</summary>
        private Task _previousTurn = Task.CompletedTask;

        /// <summary>Ends when this start has asked its confirmation, or ended without asking.</summary>
        private readonly TaskCompletionSource<bool> _turnPassed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Where this start's writes go: the pipeline thread's queue, or its place in the call's input order.</summary>
        private Action<Action> _post;

        /// <summary>
        /// One of several starts run at once (ApimServiceCmdlet): its confirmation waits for the previous
        /// input's (<paramref name="previousTurn"/>), its writes go through <paramref name="post"/> (in input order).
        /// Returns the turn the next input waits for.
        /// </summary>
        public Task InOrder(Task previousTurn, Action<Action> post)
        {
            _previousTurn = previousTurn;
            _post = post;
            return _turnPassed.Task;
        }

        /// <summary>This start ended: the next input's confirmation need not wait for it any longer.</summary>
        public void Ended() => _turnPassed.TrySetResult(true);

        /// <summary>
        /// ShouldProcess on the pipeline thread, from the engine work (before any request that changes anything),
        /// in input order: after the previous input's confirmation.
        /// </summary>
        public async Task<bool> ConfirmAsync(bool force, string action)
        {
            try
            {
                await _previousTurn.ConfigureAwait(false);
                return await _session.InvokeOnPipelineThread(() => _session.ShouldProcessUnlessForced(force, Service.ResourceId, action)).ConfigureAwait(false);
            }
            finally
            {
                Ended();
            }
        }

        /// <summary>Writes on the pipeline thread, in this start's place in the input order.</summary>
        public void Post(Action write) => _post(write);

        public void Warn(string? message)
        {
            if (message != null) _post(() => _session.WriteWarning(message));
        }

        /// <summary>Reads one input (the service as <see cref="ServiceSelection.Select"/> picks it, the storage as <see cref="StorageSelection.Select"/> does).</summary>
        public static ServiceStart Read(Commands.ApimServiceCmdlet input, ISet<string> boundOnCommandLine, CommandSession session, ArmSession arm, Func<ServiceId, string> backupNameFor)
        {
            ServiceId service = ServiceSelection.Select(input, boundOnCommandLine, session);
            CloudEnvironment cloud = arm.ResolveCloud();
            var request = new BackupRestoreRequest
            {
                Location = StorageSelection.Select(input, boundOnCommandLine, cloud, session),
                BackupName = backupNameFor(service),
                AccessType = ResolveAccessType(input.AccessType, input.StorageAccountKey != null, input.IdentityClientId),
                ClientId = input.IdentityClientId?.ToString(),
            };
            request.Validate();
            return new ServiceStart(session, service, request, arm.GetClient(cloud));
        }

        /// <summary>One restore input built by a command that picks its backups itself (Test-ApimBackup): the request is validated here too.</summary>
        public static ServiceStart ForRestore(CommandSession session, ArmSession arm, ServiceId target, StorageLocation backupAt, string backupName, string? accessType, Guid? identityClientId)
        {
            BackupRestoreRequest request = RestoreRequest(backupAt, backupName, accessType, identityClientId);
            request.Validate();
            return new ServiceStart(session, target, request, arm.GetClient(arm.ResolveCloud()));
        }

        /// <summary>Test-ApimBackup's up-front check: the access type it would send for a backup read from <paramref name="backupAt"/> fits the key and client id given.</summary>
        public static void ValidateRestoreAccess(StorageLocation backupAt, string? accessType, Guid? identityClientId)
            => RestoreRequest(backupAt, string.Empty, accessType, identityClientId).ValidateAccess();

        private static BackupRestoreRequest RestoreRequest(StorageLocation backupAt, string backupName, string? accessType, Guid? identityClientId) => new BackupRestoreRequest
        {
            Location = backupAt,
            BackupName = backupName,
            AccessType = ResolveAccessType(accessType, backupAt.AccountKey != null, identityClientId),
            ClientId = identityClientId?.ToString(),
        };

        /// <summary>
        /// Restore-ApimService's start, the one copy (Restore and Test-ApimBackup): the read-only pre-flight first —
        /// also under -WhatIf, which then says what would fail — so the prompt shows the backup's source, SKU, age and
        /// size and nothing is asked that cannot succeed; then the prompt; then the POST. -Verify travels with the
        /// operation: whichever wait sees the restore succeed verifies it.
        /// </summary>
        public async Task<ApimOperation?> StartRestoreAsync(bool force, bool skipPreflight, bool verify, CancellationToken cancellationToken)
        {
            ApimBackup? backup = skipPreflight ? null : await DrWorkflow.ReadBackupAsync(Storage, Request.BackupName, Warn, cancellationToken).ConfigureAwait(false);
            if (verify) await EnsureSnapshotAsync(cancellationToken).ConfigureAwait(false);
            string? targetSku = skipPreflight ? null : await DrWorkflow.PreflightRestoreAsync(Client, Service, Request, backup, ArmSession.Journal, cancellationToken).ConfigureAwait(false);
            string about = backup == null ? string.Empty : " (" + BackupDescription.Describe(backup, Service.ResourceId, DateTimeOffset.UtcNow) + ")";
            if (!await ConfirmAsync(force, $"Restore {Describe}{about}, replacing the service's configuration").ConfigureAwait(false)) return null;
            return await DrWorkflow.StartRestoreAsync(Client, Service, Request, targetSku,
                verify ? new[] { ApimFollowUp.Verify } : Array.Empty<string>(), ArmSession.Journal, Warn, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>SnapshotNotFound before anything starts: -Verify without a snapshot could never verify.</summary>
        private async Task EnsureSnapshotAsync(CancellationToken cancellationToken)
        {
            if (await BackupCatalog.ReadSnapshotAsync(Storage, Request.BackupName, cancellationToken).ConfigureAwait(false) != null) return;
            throw new ApimDrException(ErrorIds.SnapshotNotFound, ApimErrorCategory.ObjectNotFound,
                $"-Verify needs the configuration snapshot stored beside backup '{Request.BackupName}' ({BackupManifest.SnapshotNameFor(Request.BackupName)}), and there is none (backed up with -SkipSnapshot or by another tool?). Nothing was restored; restore without -Verify, or compare with Compare-ApimConfiguration.", Request.BackupName);
        }

        /// <summary>The -AccessType given; else AccessKey if a key is given, UserAssigned if a client id is, else SystemAssigned.</summary>
        private static StorageAccessType ResolveAccessType(string? accessType, bool hasKey, Guid? identityClientId)
        {
            if (!string.IsNullOrEmpty(accessType)) return (StorageAccessType)Enum.Parse(typeof(StorageAccessType), accessType!, ignoreCase: true);
            if (hasKey) return StorageAccessType.AccessKey;
            if (identityClientId != null) return StorageAccessType.UserAssignedManagedIdentity;
            return StorageAccessType.SystemAssignedManagedIdentity;
        }
    }
}
