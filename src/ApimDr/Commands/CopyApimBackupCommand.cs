using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Security;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>
    /// Copies backups — blob, configuration snapshot, manifest — to another storage account/container (a replica
    /// in a second region), server-side when the source can be read by the destination's service, verified
    /// against the MD5 of the source's bytes before the replica's manifest is written.
    /// </summary>
    [Cmdlet(VerbsCommon.Copy, "ApimBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ApimBackup))]
    public sealed class CopyApimBackupCommand : StorageCmdlet
    {
        private readonly List<(StorageLocation Source, string BackupName)> _queued = new List<(StorageLocation, string)>();

        /// <summary>The backup to copy (binds from Get-ApimBackup output), matched literally.</summary>
        [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("BlobName")]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string BackupName { get; set; } = string.Empty;

        [Parameter(Mandatory = true)]
        public string DestinationStorageAccountName { get; set; } = string.Empty;

        [Parameter(Mandatory = true)]
        public string DestinationContainerName { get; set; } = string.Empty;

        /// <summary>The destination account's key (else a Storage token from the identity order).</summary>
        [Parameter]
        public SecureString? DestinationStorageAccountKey { get; set; }

        /// <summary>The destination account's blob endpoint, when it is not the standard host (Azurite, a private endpoint).</summary>
        [Parameter]
        public Uri? DestinationBlobEndpoint { get; set; }

        /// <summary>How many backups are copied at once (1-16, default 4).</summary>
        [Parameter]
        [ValidateRange(1, 16)]
        public int ThrottleLimit { get; set; } = 4;

        protected override void ProcessRecord()
        {
            try
            {
                ValidateLiteralBackupName(BackupName);
                StorageLocation source = CreateLocation();
                if (!Session.ShouldProcessUnlessForced(false, $"{Target}/{BackupName}", $"Copy backup {BackupName} to {DestinationStorageAccountName}/{DestinationContainerName}")) return;
                _queued.Add((source, BackupName));
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, $"{Target}/{BackupName}");
            }
        }

        protected override void EndProcessing()
        {
            if (_queued.Count == 0) return;
            StorageLocation destination;
            try
            {
                destination = StorageSelection.At(DestinationStorageAccountName, DestinationContainerName, DestinationBlobEndpoint, true, DestinationStorageAccountKey,
                    Session.ResolveCloud(Environment, null), Session);
                destination.ValidateCredentials();
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, $"{DestinationStorageAccountName}/{DestinationContainerName}");
                return;
            }
            int done = 0;
            var activity = new ProgressRecord(1, "Copy-ApimBackup", $"Copying {_queued.Count} backup(s) to {SafeUrl.Render(destination.ContainerUri)}");
            Session.Run(async ct =>
            {
                using var gate = new SemaphoreSlim(ThrottleLimit);
                await Task.WhenAll(_queued.Select(async item =>
                {
                    await gate.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        (ApimBackup replica, CopyMethod method) = await BackupCopier.CopyAsync(item.Source, item.BackupName, destination, Session.PostWarning, ct).ConfigureAwait(false);
                        int count = Interlocked.Increment(ref done);
                        Session.Post(() =>
                        {
                            WriteVerbose($"Copied {item.BackupName} to {destination.AccountName}/{destination.ContainerName} ({method}); its bytes match the source's MD5.");
                            WriteObject(replica);
                            activity.PercentComplete = count * 100 / _queued.Count;
                            activity.StatusDescription = $"{count} of {_queued.Count} copied and verified";
                            WriteProgress(activity);
                        });
                    }
                    catch (ApimDrException ex)
                    {
                        Interlocked.Increment(ref done);
                        Session.Post(() => Session.WriteFailure(ex, $"{item.Source.AccountName}/{item.Source.ContainerName}/{item.BackupName}"));
                    }
                    finally
                    {
                        gate.Release();
                    }
                })).ConfigureAwait(false);
                return true;
            });
            activity.RecordType = ProgressRecordType.Completed;
            WriteProgress(activity);
        }
    }
}
