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
                IReadOnlyList<ApimDrStatus> rows = Session.Run(async ct =>
                {
                    var backups = BackupCatalog.ListAsync(primary, null, ct, Session.PostWarning);
                    var history = BackupCatalog.ReadLastTestsAsync(primary, ct);
                    var copies = replica == null ? null : BackupCatalog.ListAsync(replica, null, ct, Session.PostWarning);
                    var copiesHistory = replica == null ? null : BackupCatalog.ReadLastTestsAsync(replica, ct);
                    IEnumerable<ApimBackupTestResult> tests = await history.ConfigureAwait(false);
                    if (copiesHistory != null) tests = tests.Concat(await copiesHistory.ConfigureAwait(false));
                    return DrPosture.Compute(Select(await backups.ConfigureAwait(false), null, null),
                        copies == null ? null : Select(await copies.ConfigureAwait(false), null, null), tests, targets, DateTime.UtcNow);
                });
                foreach (ApimDrStatus row in rows) WriteObject(row);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, ex.Target ?? Target);
            }
        }
    }
}
