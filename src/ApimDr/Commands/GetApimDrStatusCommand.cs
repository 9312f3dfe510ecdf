using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr.Commands
{
    /// <summary>
    /// The DR posture per source service, from storage alone (no ARM call): newest restorable backup and replica,
    /// days of restorable life left, the last Test-ApimBackup result (the drill history), and IsHealthy with the
    /// Issues against the targets given.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "ApimDrStatus")]
    [OutputType(typeof(ApimDrStatus))]
    public sealed class GetApimDrStatusCommand : StorageCmdlet
    {
        /// <summary>A replica container (another account, another region): its verified replicas and its drill history count too.</summary>
        [Parameter]
        public string? ReplicaStorageAccountName { get; set; }

        [Parameter]
        public string? ReplicaContainerName { get; set; }

        [Parameter]
        public SecureString? ReplicaStorageAccountKey { get; set; }

        [Parameter]
        public Uri? ReplicaBlobEndpoint { get; set; }

        /// <summary>The RPO target: unhealthy when the newest restorable backup (or replica) is older.</summary>
        [Parameter]
        public TimeSpan? MaxBackupAge { get; set; }

        /// <summary>Unhealthy without a restorable verified replica.</summary>
        [Parameter]
        public SwitchParameter RequireReplica { get; set; }

        /// <summary>Unhealthy when the last Test-ApimBackup ended longer ago than this, or never ran.</summary>
        [Parameter]
        public TimeSpan? MaxTestAge { get; set; }

        /// <summary>Unhealthy when the newest restorable backup reaches APIM's 30-day limit in fewer days.</summary>
        [Parameter]
        [ValidateRange(0.0, 30.0)]
        public double? MinRestorableDays { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                DrTargets.RefuseUnderOneSecond(MaxBackupAge, "-MaxBackupAge");
                DrTargets.RefuseUnderOneSecond(MaxTestAge, "-MaxTestAge");
                StorageLocation primary = CreateLocation();
                StorageLocation? replica = StorageSelection.Replica(ReplicaStorageAccountName, ReplicaContainerName, ReplicaStorageAccountKey, ReplicaBlobEndpoint, () => Session.ResolveCloud(Environment, null), Session);
                replica?.ValidateCredentials();
                var targets = new DrTargets { MaxBackupAge = MaxBackupAge, RequireReplica = RequireReplica, MaxTestAge = MaxTestAge, MinRestorableDays = MinRestorableDays };
                // With a replica container, each container is read on its own: the posture while one region is down is
                // what this cmdlet is for. The unreadable one is a non-terminating error and an Issue on every row.
                (ContainerRead primaryRead, ContainerRead? replicaRead) = Session.Run(async ct =>
                {
                    var first = ReadAsync(primary, "primary", ct, tolerate: replica != null);
                    var second = replica == null ? null : ReadAsync(replica, "replica", ct, tolerate: true);
                    return (await first.ConfigureAwait(false), second == null ? null : await second.ConfigureAwait(false));
                });
                var unreadable = new List<string>();
                foreach (ContainerRead? read in new[] { primaryRead, replicaRead })
                {
                    if (read?.Failure == null) continue;
                    Session.WriteFailure(read.Failure, read.Failure.Target ?? read.At.AccountName);
                    unreadable.Add($"{read.Role} container {read.At.AccountName}/{read.At.ContainerName} could not be read ({read.Failure.ErrorId})");
                }
                if (primaryRead.Failure != null && (replicaRead == null || replicaRead.Failure != null)) return;
                IReadOnlyList<ApimDrStatus> rows = DrPosture.Compute(Select(primaryRead.Backups, null, null),
                    replicaRead == null ? null : Select(replicaRead.Backups, null, null),
                    primaryRead.Tests.Concat(replicaRead?.Tests ?? Array.Empty<ApimBackupTestResult>()), targets, DateTime.UtcNow, unreadable);
                foreach (ApimDrStatus row in rows) WriteObject(row);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, ex.Target ?? Target);
            }
        }

        private sealed class ContainerRead
        {
            public ContainerRead(StorageLocation at, string role)
            {
                At = at;
                Role = role;
            }

            public StorageLocation At { get; }
            public string Role { get; }
            public IReadOnlyList<ApimBackup> Backups { get; set; } = Array.Empty<ApimBackup>();
            public IReadOnlyList<ApimBackupTestResult> Tests { get; set; } = Array.Empty<ApimBackupTestResult>();
            public ApimDrException? Failure { get; set; }
        }

        /// <summary>One container's catalog and drill history; with <paramref name="tolerate"/> a failure is returned, not thrown.</summary>
        private async System.Threading.Tasks.Task<ContainerRead> ReadAsync(StorageLocation at, string role, System.Threading.CancellationToken ct, bool tolerate)
        {
            var read = new ContainerRead(at, role);
            try
            {
                var backups = BackupCatalog.ListAsync(at, null, ct, Session.PostWarning);
                var tests = BackupCatalog.ReadLastTestsAsync(at, ct);
                read.Backups = await backups.ConfigureAwait(false);
                read.Tests = await tests.ConfigureAwait(false);
            }
            catch (ApimDrException ex) when (tolerate)
            {
                read.Failure = ex;
            }
            return read;
        }
    }
}
