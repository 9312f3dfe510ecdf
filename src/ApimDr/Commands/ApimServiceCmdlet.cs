using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;

namespace ApimDr.Commands
{
    /// <summary>
    /// Shared by Backup- and Restore-ApimService: service selection (ByName / ByResourceId, both from the
    /// pipeline by property name), storage location and access type, start-per-input then wait-for-all.
    /// </summary>
    public abstract class ApimServiceCmdlet : ArmCmdlet
    {
        protected const string ByName = "ByName";
        protected const string ByResourceId = "ByResourceId";

        private readonly List<(ApimOperation Operation, Func<System.Threading.CancellationToken, System.Threading.Tasks.Task>? OnSucceeded)> _started
            = new List<(ApimOperation, Func<System.Threading.CancellationToken, System.Threading.Tasks.Task>?)>();
        private HashSet<string> _boundOnCommandLine = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        public string ResourceGroupName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true, Position = 0)]
        [Alias("ServiceName")]
        public string Name { get; set; } = string.Empty;

        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        public string? SubscriptionId { get; set; }

        /// <summary>
        /// A full APIM service resource id. Also (optional) in ByName, and ByResourceId is the default set:
        /// that is the one arrangement in which PowerShell's binder resolves every input shape — an object
        /// shaped like Get-AzApiManagement output (Id, Name, ResourceGroupName) binds Id (and so the
        /// subscription), an object with only Id binds, and -Name/-ResourceGroupName select ByName.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        public string? ResourceId { get; set; }

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("StorageAccount")]
        public string StorageAccountName { get; set; } = string.Empty;

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Container", "TargetContainerName", "SourceContainerName")]
        public string ContainerName { get; set; } = string.Empty;

        [Parameter]
        [ValidateSet("AccessKey", "SystemAssignedManagedIdentity", "UserAssignedManagedIdentity")]
        public string? AccessType { get; set; }

        [Parameter]
        [Alias("AccessKey")]
        public SecureString? StorageAccountKey { get; set; }

        /// <summary>The client id of a user-assigned identity attached to the APIM service.</summary>
        [Parameter]
        public Guid? IdentityClientId { get; set; }

        /// <summary>The storage account's blob endpoint, for what ApimDr itself does on storage.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public Uri? BlobEndpoint { get; set; }

        /// <summary>Emit each started operation at once instead of waiting.</summary>
        [Parameter]
        public SwitchParameter NoWait { get; set; }

        protected abstract string? RequestedBackupName { get; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _boundOnCommandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        }

        protected override void ProcessRecord()
        {
            ServiceId service;
            BackupRestoreRequest request;
            StorageLocation storage;
            try
            {
                service = SelectService();
                request = BuildRequest(service);
                storage = CreateStorageLocation(request);
            }
            catch (ApimDrException ex)
            {
                WriteFailure(ex, ResourceId ?? Name);
                return;
            }
            try
            {
                if (!Confirm(service, request)) return;
                ApimOperation operation = Run(ct => StartAsync(GetClient(ResolveCloud()), service, request, storage, ct));
                // Ctrl+C while the POST was in flight: its answer was awaited and journaled; now stop.
                if (CancelToken.IsCancellationRequested) throw new PipelineStoppedException();
                WriteVerbose($"{operation.Kind} of {service.ResourceId} started; poll URL {Engine.Security.SafeUrl.Render(operation.PollUrl)}");
                if (NoWait)
                {
                    WriteObject(operation);
                }
                else
                {
                    // Visible in -InformationVariable even if the wait below is interrupted: nothing is lost.
                    WriteInformation(operation.Copy(), new[] { "ApimDr.OperationStarted" });   // a snapshot: the wait goes on changing the record
                    _started.Add((operation, ct => OnSucceededAsync(operation, storage, ct)));
                }
            }
            catch (ApimDrException ex)
            {
                WriteFailure(ex, service.ResourceId);
            }
        }

        protected override void EndProcessing()
        {
            try
            {
                WaitAndEmit(_started);
            }
            finally
            {
                base.EndProcessing();
            }
        }

        /// <summary>ShouldProcess (and, for restore, -Force); false means skip this input.</summary>
        protected abstract bool Confirm(ServiceId service, BackupRestoreRequest request);

        private protected abstract System.Threading.Tasks.Task<ApimOperation> StartAsync(ArmClient client, ServiceId service, BackupRestoreRequest request, StorageLocation storage, System.Threading.CancellationToken cancellationToken);

        /// <summary>The one hook after a success: what start knew (the storage location) comes with the operation, no lookup.</summary>
        private protected virtual System.Threading.Tasks.Task OnSucceededAsync(ApimOperation operation, StorageLocation storage, System.Threading.CancellationToken cancellationToken)
            => System.Threading.Tasks.Task.CompletedTask;

        /// <summary>
        /// What the command line said wins over pipeline values; among pipeline values a resource id
        /// wins (it carries the subscription), checked against Name/ResourceGroupName when both came.
        /// </summary>
        private ServiceId SelectService()
        {
            bool lineNamed = _boundOnCommandLine.Contains(nameof(Name)) || _boundOnCommandLine.Contains(nameof(ResourceGroupName));
            bool lineId = _boundOnCommandLine.Contains(nameof(ResourceId));
            if (!string.IsNullOrEmpty(ResourceId) && (lineId || !lineNamed))
            {
                ServiceId fromId = ServiceId.Parse(ResourceId!);
                bool namesAgree = (string.IsNullOrEmpty(Name) || string.Equals(Name, fromId.Name, StringComparison.OrdinalIgnoreCase))
                    && (string.IsNullOrEmpty(ResourceGroupName) || string.Equals(ResourceGroupName, fromId.ResourceGroupName, StringComparison.OrdinalIgnoreCase));
                if (!namesAgree)
                {
                    throw new ApimDrException(ErrorIds.ConflictingServiceIdentity, ApimErrorCategory.InvalidArgument,
                        $"Resource id '{ResourceId}' does not name service '{ResourceGroupName}/{Name}'. Give one or the other.", ResourceId);
                }
                return fromId;
            }
            string? subscription = SubscriptionId;
            if (string.IsNullOrEmpty(subscription) && !_boundOnCommandLine.Contains(nameof(SubscriptionId)) && !string.IsNullOrEmpty(ResourceId))
            {
                subscription = ServiceId.Parse(ResourceId!).SubscriptionId;
            }
            if (string.IsNullOrEmpty(subscription)) subscription = DefaultSubscriptionId();
            if (string.IsNullOrEmpty(subscription))
            {
                throw new ApimDrException(ErrorIds.SubscriptionRequired, ApimErrorCategory.InvalidArgument,
                    "No subscription: pass -SubscriptionId or -ResourceId, sign in with Connect-AzAccount, or set AZURE_SUBSCRIPTION_ID.", Name);
            }
            return ServiceId.Create(subscription!, ResourceGroupName, Name);
        }

        private BackupRestoreRequest BuildRequest(ServiceId service)
        {
            var request = new BackupRestoreRequest
            {
                StorageAccountName = StorageAccountName,
                ContainerName = ContainerName,
                BackupName = RequestedBackupName ?? DefaultBackupName(service),
                AccessType = ResolveAccessType(),
                AccessKey = StorageAccountKey,
                ClientId = IdentityClientId?.ToString(),
            };
            request.Validate();
            return request;
        }

        /// <summary>AccessKey if a key is given, UserAssigned if a client id is, else SystemAssigned.</summary>
        private StorageAccessType ResolveAccessType()
        {
            if (!string.IsNullOrEmpty(AccessType)) return (StorageAccessType)Enum.Parse(typeof(StorageAccessType), AccessType!, ignoreCase: true);
            if (StorageAccountKey != null) return StorageAccessType.AccessKey;
            if (IdentityClientId != null) return StorageAccessType.UserAssignedManagedIdentity;
            return StorageAccessType.SystemAssignedManagedIdentity;
        }

        private static string DefaultBackupName(ServiceId service)
            => $"{service.Name}-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}.apimbackup";

        /// <summary>Where ApimDr itself reads/writes the backup blob (pre-flight, metadata): key, else a Storage token.</summary>
        private StorageLocation CreateStorageLocation(BackupRestoreRequest request)
        {
            CloudEnvironment cloud = ResolveCloud();
            if (BlobEndpoint != null && !_boundOnCommandLine.Contains(nameof(BlobEndpoint)) && !cloud.IsStandardBlobEndpoint(BlobEndpoint, request.StorageAccountName))
            {
                // A blob endpoint read from a piped object is data, not the user's choice: credentials never go there.
                throw new ApimDrException(ErrorIds.UntrustedEndpoint, ApimErrorCategory.SecurityError,
                    $"The piped object names the blob endpoint {Engine.Arm.PollUrlRules.Authority(BlobEndpoint)}, which is not storage account '{request.StorageAccountName}' of {cloud.Name}. " +
                    "ApimDr sends storage credentials only where you choose: pass -BlobEndpoint on the command line to use it.", ResourceId ?? Name);
            }
            return new StorageLocation(request.StorageAccountName, request.ContainerName, cloud, BlobEndpoint)
            {
                AccountKey = StorageAccountKey,
                Credentials = CreateCredentials(null),   // never the ARM -AccessToken: wrong audience, wrong host
            };
        }

        protected string Describe(BackupRestoreRequest request) => $"{request.StorageAccountName}/{request.ContainerName}/{request.BackupName}";
    }
}
