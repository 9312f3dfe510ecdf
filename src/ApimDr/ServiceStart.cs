using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr
{
    /// <summary>An operation a command started, with what its end needs (null when nothing).</summary>
    internal sealed class StartedOperation
    {
        public StartedOperation(ApimOperation operation, Completion? onEnded = null)
        {
            Operation = operation;
            OnEnded = onEnded;
        }

        public ApimOperation Operation { get; }

        /// <summary>Runs when a wait sees the service's verdict (Succeeded, Failed or Canceled).</summary>
        public Completion? OnEnded { get; }
    }

    /// <summary>
    /// One input of Backup-/Restore-ApimService turned into engine inputs, validated once, before any
    /// request: the service, the backup request and where ApimDr itself reaches the blob. It is what the
    /// one hook (<c>ApimServiceCmdlet.StartAsync</c>) gets, with the way to confirm and to warn.
    /// </summary>
    internal sealed class ServiceStart
    {
        private readonly CommandSession _session;
        private readonly Action<object> _write;

        private ServiceStart(CommandSession session, ServiceId service, BackupRestoreRequest request, StorageLocation storage, ArmClient client, Action<object> write)
        {
            _write = write;
            _session = session;
            Service = service;
            Request = request;
            Storage = storage;
            Client = client;
            WhatIf = session.WhatIf;   // read here, on the pipeline thread
        }

        /// <summary>Under -WhatIf nothing is sent, not even a read: the hook only says what it would do.</summary>
        public bool WhatIf { get; }

        public ServiceId Service { get; }
        public BackupRestoreRequest Request { get; }
        public StorageLocation Storage { get; }
        public ArmClient Client { get; }

        /// <summary>account/container/backup, for prompts.</summary>
        public string Describe => $"{Request.StorageAccountName}/{Request.ContainerName}/{Request.BackupName}";

        /// <summary>ShouldProcess on the pipeline thread, from the engine work (before any request that changes anything).</summary>
        public Task<bool> ConfirmAsync(bool force, string action) => _session.InvokeOnPipelineThread(() => _session.ShouldProcessUnlessForced(force, Service.ResourceId, action));

        public void Warn(string? message) => _session.PostWarning(message);

        /// <summary>Writes an object (and, when given, a non-terminating error for this service) on the pipeline thread.</summary>
        public void Emit(object output, Exception? failure) => _session.Post(() =>
        {
            _write(output);
            if (failure != null) _session.WriteFailure(failure, Service.ResourceId);
        });

        /// <summary>Reads one input (the service as <see cref="ServiceSelection.Select"/> picks it).</summary>
        public static ServiceStart Read(Commands.ApimServiceCmdlet input, ISet<string> boundOnCommandLine, CommandSession session, ArmSession arm, string? backupName)
        {
            ServiceId service = ServiceSelection.Select(input, boundOnCommandLine, session);
            var request = new BackupRestoreRequest
            {
                StorageAccountName = input.StorageAccountName,
                ContainerName = input.ContainerName,
                BackupName = backupName ?? $"{service.Name}-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}.apimbackup",
                AccessType = ResolveAccessType(input),
                AccessKey = input.StorageAccountKey,
                ClientId = input.IdentityClientId?.ToString(),
            };
            request.Validate();
            CloudEnvironment cloud = arm.ResolveCloud();
            if (input.BlobEndpoint != null && !boundOnCommandLine.Contains(nameof(input.BlobEndpoint)) && !cloud.IsStandardBlobEndpoint(input.BlobEndpoint, request.StorageAccountName))
            {
                // A blob endpoint read from a piped object is data, not the user's choice: credentials never go there.
                throw new ApimDrException(ErrorIds.UntrustedEndpoint, ApimErrorCategory.SecurityError,
                    $"The piped object names the blob endpoint {PollUrlRules.Authority(input.BlobEndpoint)}, which is not storage account '{request.StorageAccountName}' of {cloud.Name}. " +
                    "ApimDr sends storage credentials only where you choose: pass -BlobEndpoint on the command line to use it.", service.ResourceId);
            }
            // Where ApimDr itself reads/writes beside the blob (pre-flight, manifest, snapshot).
            StorageLocation storage = session.StorageAt(request.StorageAccountName, request.ContainerName, cloud, input.BlobEndpoint, input.StorageAccountKey);
            return new ServiceStart(session, service, request, storage, arm.GetClient(cloud), input.WriteObject);
        }

        /// <summary>AccessKey if a key is given, UserAssigned if a client id is, else SystemAssigned.</summary>
        private static StorageAccessType ResolveAccessType(Commands.ApimServiceCmdlet input)
        {
            if (!string.IsNullOrEmpty(input.AccessType)) return (StorageAccessType)Enum.Parse(typeof(StorageAccessType), input.AccessType!, ignoreCase: true);
            if (input.StorageAccountKey != null) return StorageAccessType.AccessKey;
            if (input.IdentityClientId != null) return StorageAccessType.UserAssignedManagedIdentity;
            return StorageAccessType.SystemAssignedManagedIdentity;
        }
    }
}
