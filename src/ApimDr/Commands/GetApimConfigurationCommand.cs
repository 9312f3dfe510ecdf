using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>
    /// A snapshot of an APIM service's configuration read through ARM (apis, operations, policies,
    /// products, named values…; secrets only as salted HMACs) — or, given a backup, the snapshot stored
    /// beside a backup. -Path also writes it as JSON, which Compare-ApimConfiguration reads back.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "ApimConfiguration", DefaultParameterSetName = ByResourceId)]
    [OutputType(typeof(ApimConfiguration))]
    public sealed class GetApimConfigurationCommand : ArmCmdlet, IServiceSelection, IStorageSelection
    {
        private const string ByName = "ByName";
        private const string ByResourceId = "ByResourceId";
        private const string FromBackup = "FromBackup";
        private HashSet<string> _line = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        public string ResourceGroupName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true, Position = 0)]
        [Alias("ServiceName")]
        public string Name { get; set; } = string.Empty;

        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        public string? SubscriptionId { get; set; }

        /// <summary>A full APIM service resource id (Get-AzApiManagement output binds its Id here).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        public string? ResourceId { get; set; }

        /// <summary>The storage account of the backup whose snapshot to read (binds from Get-ApimBackup output).</summary>
        [Parameter(Mandatory = true, ParameterSetName = FromBackup, ValueFromPipelineByPropertyName = true)]
        public string StorageAccountName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ParameterSetName = FromBackup, ValueFromPipelineByPropertyName = true)]
        public string ContainerName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ParameterSetName = FromBackup, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string BackupName { get; set; } = string.Empty;

        [Parameter(ParameterSetName = FromBackup)]
        public SecureString? StorageAccountKey { get; set; }

        /// <summary>The storage account's blob endpoint (only from the command line: credentials go where you choose).</summary>
        [Parameter(ParameterSetName = FromBackup)]
        public Uri? BlobEndpoint { get; set; }

        /// <summary>Also write the snapshot as JSON to this file (or, for a directory, to &lt;service&gt;.apimdr-config.json in it).</summary>
        [Parameter]
        public string? Path { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _line = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        }

        protected override void ProcessRecord()
        {
            try
            {
                string? path = SnapshotPath();   // before anything is read
                ApimConfiguration snapshot = ParameterSetName == FromBackup ? ReadStored() : ReadLive();
                if (path != null) Save(snapshot, path);
                WriteObject(snapshot);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, ParameterSetName == FromBackup ? BackupName : ResourceId ?? Name);
            }
        }

        private ApimConfiguration ReadLive()
        {
            ServiceId service = ServiceSelection.Select(this, _line, Session);
            ArmClient client = Arm.GetClient(Arm.ResolveCloud());
            return Session.Run(ct => new ConfigurationReader(client).ReadAsync(service, null, ct));
        }

        private ApimConfiguration ReadStored()
        {
            StorageLocation location = StorageSelection.Select(this, _line, Arm.ResolveCloud(), Session);
            location.ValidateCredentials();
            return Session.Run(ct => BackupCatalog.ReadSnapshotAsync(location, BackupName, ct))
                ?? throw new ApimDrException(ErrorIds.SnapshotNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup '{BackupName}' in '{StorageAccountName}/{ContainerName}' has no configuration snapshot beside it (backed up with -SkipSnapshot, or by another tool).", BackupName);
        }

        /// <summary>
        /// -Path as a file-system path, or null when not given. InvalidSnapshotPath, before any request, for an empty
        /// or blank -Path (it used to be ignored silently: the snapshot was read and never written) or one that is
        /// not a file-system path (another drive or provider, a drive that does not exist).
        /// </summary>
        private string? SnapshotPath() => Path == null ? null
            : FileSystemPaths.Resolve(SessionState, Path, "-Path", ErrorIds.InvalidSnapshotPath, "give the file (or folder) to write the snapshot to, or leave -Path out to only emit it.");

        private void Save(ApimConfiguration snapshot, string path)
        {
            if (Directory.Exists(path)) path = System.IO.Path.Combine(path, snapshot.Name + BackupManifest.SnapshotSuffix);
            try
            {
                File.WriteAllText(path, ConfigurationJson.Serialize(snapshot));
                WriteVerbose($"Wrote the snapshot of {snapshot.Name} to {path}.");
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                throw new ApimDrException(ErrorIds.SnapshotWriteFailed, ApimErrorCategory.WriteError, $"Could not write the snapshot to '{path}': {ex.Message}", path, ex);
            }
        }
    }
}
