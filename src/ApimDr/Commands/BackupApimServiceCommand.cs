using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr.Commands
{
    /// <summary>Backs up APIM services to blob storage through ARM's …/backup action.</summary>
    [Cmdlet(VerbsData.Backup, "ApimService", DefaultParameterSetName = ByResourceId, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ApimOperation))]
    public sealed class BackupApimServiceCommand : ApimServiceCmdlet
    {
        /// <summary>
        /// The blob to write. Default {service}-{resourceGroup}-{UTC yyyyMMddTHHmmssZ}-{4 random hex}.apimbackup, unique
        /// per service and start. Tokens {service}, {resourceGroup}, {subscription}, {timestamp} are filled in per
        /// service; one name given to several services must make them distinct (else BackupNameCollision).
        /// </summary>
        [Parameter]
        [Alias("TargetBlobName", "BlobName")]
        [ArgumentCompleter(typeof(Completers.NoFileNamesCompleter))]   // a new name: nothing to offer, and never file names
        public string? BackupName { get; set; }

        /// <summary>Do not read the service's configuration before the backup (then Restore-ApimService -Verify cannot check a restore of it).</summary>
        [Parameter]
        public SwitchParameter SkipSnapshot { get; set; }

        /// <summary>Replace a backup of the same name that is already in the container (without it: BackupExists, nothing started).</summary>
        [Parameter]
        public SwitchParameter Overwrite { get; set; }

        /// <summary>Copy each backup that succeeds to this storage account (a replica, e.g. in a second region), verified; with -ReplicaContainerName.</summary>
        [Parameter]
        public string? ReplicaStorageAccountName { get; set; }

        [Parameter]
        public string? ReplicaContainerName { get; set; }

        /// <summary>The replica account's key (else a Storage token from the identity order).</summary>
        [Parameter]
        public SecureString? ReplicaStorageAccountKey { get; set; }

        /// <summary>The replica account's blob endpoint, when it is not the standard host (Azurite, a private endpoint).</summary>
        [Parameter]
        public Uri? ReplicaBlobEndpoint { get; set; }

        private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            try
            {
                StorageSelection.Replica(ReplicaStorageAccountName, ReplicaContainerName, ReplicaStorageAccountKey, ReplicaBlobEndpoint, Arm.ResolveCloud, Session);   // names, endpoint and key checked before any request
            }
            catch (ApimDrException ex)
            {
                ThrowTerminatingError(ErrorRecords.From(ex, ex.Target));
            }
        }

        private protected override Func<string, string, StorageLocation>? ReplicaStorage => ReplicaStorageAccountName == null ? null
            : StorageSelection.ReplicaAt(ReplicaBlobEndpoint, ReplicaStorageAccountKey, Arm.ResolveCloud(), Session);

        private protected override string BackupNameFor(ServiceId service)
            => BackupName == null ? BackupNames.Default(service, DateTimeOffset.UtcNow) : BackupNames.Expand(BackupName, service, _startedAt);

        private protected override void CheckDeferred(IReadOnlyList<ServiceStart> starts)
        {
            if (BackupName == null) return;   // default names are unique per service and start
            var shared = starts.GroupBy(s => s.Request.BackupName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (shared == null) return;
            throw new ApimDrException(ErrorIds.BackupNameCollision, ApimErrorCategory.InvalidArgument,
                $"-BackupName '{BackupName}' names the same blob '{shared.Key}' for {shared.Count()} services ({string.Join(", ", shared.Select(s => s.Service.ResourceGroupName + "/" + s.Service.Name))}): each backup would overwrite the other. Nothing was started. " +
                $"Add tokens that differ per service: {BackupNames.ServiceToken}, {BackupNames.ResourceGroupToken}, {BackupNames.SubscriptionToken} (and {BackupNames.TimestampToken}), e.g. -BackupName '{{service}}-{{resourceGroup}}-{{timestamp}}.apimbackup', or omit -BackupName for unique default names.", BackupName);
        }

        /// <summary>Asked before anything is sent for the service (-WhatIf sends nothing; -Confirm in a host that cannot prompt: ConfirmationRequired).</summary>
        private protected override string? ConfirmBeforeStart(ServiceStart start) => $"Back up to {start.Describe}";

        private protected override async Task<ApimOperation?> StartAsync(ServiceStart start, CancellationToken cancellationToken)
        {
            // The manifest beside the backup is written at start; the operation carries "record the end" for whichever wait sees it.
            string[] copyTo = ReplicaStorageAccountName == null ? Array.Empty<string>() : new[] { ApimFollowUp.CopyTo(ReplicaStorageAccountName, ReplicaContainerName!) };
            return await DrWorkflow.StartBackupAsync(start.Client, start.Service, start.Request, !SkipSnapshot, Overwrite, copyTo, ArmSession.Journal, start.Warn, cancellationToken).ConfigureAwait(false);
        }
    }
}
