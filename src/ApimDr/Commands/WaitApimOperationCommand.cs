using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>
    /// Waits for APIM backup/restore operations — live ApimOperation objects or deserialized ones
    /// (Import-Clixml, ConvertFrom-Json, Get-ApimOperation), or one named by -PollUrl/-ResourceId —
    /// all together, emitting each as it ends. Every input becomes the operation record through
    /// <see cref="ApimOperation.FromProperties"/>, the one factory.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "ApimOperation", DefaultParameterSetName = ByObject)]
    [OutputType(typeof(ApimOperation))]
    public sealed class WaitApimOperationCommand : ArmCmdlet
    {
        private const string ByObject = "ByObject";
        private const string ByUrl = "ByUrl";
        private readonly List<StartedOperation> _pending = new List<StartedOperation>();

        /// <summary>An operation object: what Backup-/Restore-ApimService or Get-ApimOperation returned, live or deserialized.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true, Position = 0)]
        [Alias("Operation")]
        public PSObject InputObject { get; set; } = null!;

        /// <summary>The operation's poll URL (the resume line of a started operation prints it).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByUrl)]
        [Alias("Location")]
        public Uri PollUrl { get; set; } = null!;

        [Parameter(Mandatory = true, ParameterSetName = ByUrl)]
        [Alias("Id")]
        public string ResourceId { get; set; } = string.Empty;

        [Parameter(ParameterSetName = ByUrl)]
        [ValidateSet("Backup", "Restore")]
        public string Kind { get; set; } = "Backup";

        /// <summary>With -PollUrl: the backup's storage account, container and blob, for its follow-ups.</summary>
        [Parameter(ParameterSetName = ByUrl)]
        public string? StorageAccountName { get; set; }

        [Parameter(ParameterSetName = ByUrl)]
        public string? ContainerName { get; set; }

        [Parameter(ParameterSetName = ByUrl)]
        public string? BackupName { get; set; }

        /// <summary>With -PollUrl: what the operation's end must still do (the warning of an earlier wait names them).</summary>
        [Parameter(ParameterSetName = ByUrl)]
        public string[]? FollowUp { get; set; }

        /// <summary>The storage account key for the follow-ups (else a Storage token from the identity order).</summary>
        [Parameter]
        [Alias("AccessKey")]
        public SecureString? StorageAccountKey { get; set; }

        /// <summary>The blob endpoint for the follow-ups, when it is not the account's standard host (Azurite, a private endpoint). The one saved in an operation is used only when it is the standard host.</summary>
        [Parameter]
        public Uri? BlobEndpoint { get; set; }

        /// <summary>The replica account's key, for a backup's CopyTo follow-up (else a Storage token from the identity order).</summary>
        [Parameter]
        public SecureString? ReplicaStorageAccountKey { get; set; }

        /// <summary>The replica account's blob endpoint, for a CopyTo follow-up, when it is not the standard host.</summary>
        [Parameter]
        public Uri? ReplicaBlobEndpoint { get; set; }

        /// <summary>Bounds the wait; the operation keeps running server side and stays resumable.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        private protected override int WaitTimeoutSeconds => TimeoutSeconds;

        protected override void ProcessRecord()
        {
            ApimOperation? operation = null;
            try
            {
                operation = ParameterSetName == ByUrl
                    ? ApimOperation.FromProperties(name => ByUrlProperty(name))
                    : ApimOperation.FromProperties(name => Property(InputObject, name));
                Validate(operation);
                if (ParameterSetName == ByUrl) operation.CorrelationId = JournaledCorrelationId(operation.PollUrl!, WriteWarning) ?? operation.CorrelationId;
                if (operation.IsTerminal && !operation.HasPendingFollowUps)
                {
                    WriteObject(operation);   // the service's verdict is final and nothing is left to do: nothing to poll
                    return;
                }
                _pending.Add(new StartedOperation(operation, StorageFor(operation), ReplicaStorageFor(operation)));
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, operation?.PollUrl ?? (object?)InputObject);
            }
        }

        protected override void EndProcessing() => Arm.WaitAndEmit(_pending);

        private object? ByUrlProperty(string name) => name switch
        {
            nameof(PollUrl) => PollUrl,
            nameof(ResourceId) => ResourceId,
            nameof(Kind) => Kind,
            nameof(StorageAccountName) => StorageAccountName,
            nameof(ContainerName) => ContainerName,
            nameof(BackupName) => BackupName,
            nameof(ApimOperation.FollowUps) => FollowUp,
            _ => null,
        };

        /// <summary>
        /// Where this wait reaches the backup's container for the operation's follow-ups: the record's account and
        /// container, the user's -BlobEndpoint (else the record's, only when it is the account's standard host),
        /// the user's -StorageAccountKey (else a Storage token). Built when the follow-ups run; a failure there is
        /// their warning, never the operation's outcome.
        /// </summary>
        private Func<StorageLocation>? StorageFor(ApimOperation operation)
        {
            if (!operation.HasPendingFollowUps) return null;
            bool userChoseCloud = ResourceManagerUrl != null || !string.IsNullOrEmpty(Environment);
            CloudEnvironment cloud = !userChoseCloud && operation.Environment != null && CloudEnvironment.KnownNames.Contains(operation.Environment, StringComparer.OrdinalIgnoreCase)
                ? CloudEnvironment.Get(operation.Environment)
                : Arm.ResolveCloud();
            Uri? typed = BlobEndpoint;
            SecureString? key = StorageAccountKey;
            return () => StorageSelection.At(operation.StorageAccountName, operation.ContainerName, typed ?? operation.BlobEndpoint, typed != null, key, cloud, Session);
        }

        /// <summary>
        /// The journal's correlation id for an operation named only by its poll URL (a resume line, a warning's
        /// completing command), so the journal entry is the one this wait ends; null when the journal has none.
        /// </summary>
        private static string? JournaledCorrelationId(Uri pollUrl, Action<string> warn)
        {
            try
            {
                return Engine.Journal.OperationJournal.ForCurrentUser()?.Read()
                    .FirstOrDefault(e => e.Operation.PollUrl != null && string.Equals(e.Operation.PollUrl.OriginalString, pollUrl.OriginalString, StringComparison.Ordinal))?.Operation.CorrelationId;
            }
            catch (ApimDrException ex) when (ex.ErrorId == ErrorIds.JournalUnreadable)
            {
                // The journal is housekeeping: the wait goes on, but its entry for this operation may outlive the end.
                warn(ex.Message + " This wait goes on, but cannot clear the operation's journal entry.");
                return null;
            }
        }

        /// <summary>Where a CopyTo follow-up reaches its replica account: the user's -ReplicaBlobEndpoint, else the account's standard host; -ReplicaStorageAccountKey, else a Storage token.</summary>
        private Func<string, string, StorageLocation>? ReplicaStorageFor(ApimOperation operation)
        {
            if (!operation.FollowUps.Any(f => ApimFollowUp.ParseCopyTo(f) != null)) return null;
            return StorageSelection.ReplicaAt(ReplicaBlobEndpoint, ReplicaStorageAccountKey, Arm.ResolveCloud(), Session);
        }

        private static object? Property(PSObject input, string name)
        {
            object? value = input?.Properties[name]?.Value;
            return value is PSObject wrapped ? wrapped.BaseObject : value;
        }

        /// <summary>Input checks, before any request: the record itself (engine), then the endpoint.</summary>
        private void Validate(ApimOperation operation)
        {
            Operations.ValidateForResume(operation);
            Arm.ResolveCloud();   // a bad -ResourceManagerUrl / -Environment is refused here, per input
            // Never the object's own ResourceManagerUrl (data, not the user's choice): only a well-known
            // cloud recognised from the poll URL; otherwise the wait uses the endpoint the user chose.
            operation.ResourceManagerUrl = CloudEnvironment.KnownFor(operation.PollUrl)?.ResourceManagerUrl;
        }
    }
}
