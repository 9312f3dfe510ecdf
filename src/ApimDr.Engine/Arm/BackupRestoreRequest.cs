using System;
using System.IO;
using System.Security;
using System.Text;
using System.Text.Json;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Validation;

namespace ApimDr.Engine.Arm
{
    /// <summary>Where a backup goes to (or a restore reads from) and how the service reaches it.</summary>
    public sealed class BackupRestoreRequest
    {
        /// <summary>
        /// Where the backups are: the ONE holder of account, container, endpoint and key (validated when it
        /// was made), shared with what ApimDr itself does on storage (manifest, snapshot, pre-flight).
        /// </summary>
        public StorageLocation Location { get; set; } = null!;

        public string StorageAccountName => Location.AccountName;
        public string ContainerName => Location.ContainerName;
        public string BackupName { get; set; } = string.Empty;
        public StorageAccessType AccessType { get; set; } = StorageAccessType.AccessKey;

        /// <summary>The storage account key (the location's); sent to ARM only with <see cref="StorageAccessType.AccessKey"/>.</summary>
        public SecureString? AccessKey => Location.AccountKey;

        /// <summary>The CLIENT id of a user-assigned identity on the APIM service; only with UserAssignedManagedIdentity.</summary>
        public string? ClientId { get; set; }

        /// <summary>Throws an <see cref="ApimDrException"/> naming the first problem, before any request.</summary>
        public void Validate()
        {
            if (Location == null) throw new InvalidOperationException("A backup/restore request needs its storage location.");
            ResourceNames.ValidateBlobName(BackupName);
            if (BackupManifest.IsCompanionName(BackupName))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidBackupName,
                    $"Backup name '{BackupName}' ends with '{BackupManifest.Suffix}' or '{BackupManifest.SnapshotSuffix}', is a restore's in-use mark, or is under '{BackupTestHistory.Prefix}', which ApimDr reserves for what it writes beside each backup (manifest, configuration snapshot, in-use marks, drill history). Choose another name.", BackupName);
            }
            ValidateAccess();
        }

        /// <summary>The access type against the key and client id (the part of <see cref="Validate"/> that does not need the backup name).</summary>
        public void ValidateAccess()
        {
            if (Location == null) throw new InvalidOperationException("A backup/restore request needs its storage location.");
            bool hasKey = AccessKey != null && AccessKey.Length > 0;
            bool hasClientId = !string.IsNullOrWhiteSpace(ClientId);
            switch (AccessType)
            {
                case StorageAccessType.AccessKey:
                    if (hasClientId) throw Conflict($"A client id was given but the access type is AccessKey; use -AccessType UserAssignedManagedIdentity to use that identity.", ClientId);
                    if (!hasKey)
                    {
                        throw ApimDrException.InvalidArgument(ErrorIds.AccessKeyRequired,
                            $"Access type AccessKey needs the key of storage account '{StorageAccountName}'. Give -StorageAccountKey, or use a managed identity access type.", StorageAccountName);
                    }
                    // The key was checked (InvalidStorageAccountKey) when the location took it: never POST a malformed key.
                    break;
                case StorageAccessType.SystemAssignedManagedIdentity:
                    if (hasKey) throw Conflict("A storage key was given with access type SystemAssignedManagedIdentity; give one or the other.", AccessType);
                    if (hasClientId) throw Conflict("A client id was given with access type SystemAssignedManagedIdentity; use UserAssignedManagedIdentity for a user-assigned identity.", ClientId);
                    break;
                case StorageAccessType.UserAssignedManagedIdentity:
                    if (hasKey) throw Conflict("A storage key was given with access type UserAssignedManagedIdentity; give one or the other.", AccessType);
                    if (!hasClientId)
                    {
                        throw ApimDrException.InvalidArgument(ErrorIds.IdentityClientIdRequired,
                            "Access type UserAssignedManagedIdentity needs the CLIENT id of a user-assigned identity attached to the API Management service.", AccessType);
                    }
                    ResourceNames.ValidateClientId(ClientId);
                    break;
                default:
                    throw ApimDrException.InvalidArgument(ErrorIds.ConflictingAccessType, $"Unknown access type '{AccessType}'.", AccessType);
            }
        }

        private static ApimDrException Conflict(string message, object? target)
            => ApimDrException.InvalidArgument(ErrorIds.ConflictingAccessType, message, target);

        /// <summary>The request body of docs/arm-protocol.md §1: accessType always explicit, each secret only where it belongs.</summary>
        internal byte[] ToBody()
        {
            using var stream = new MemoryStream();
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("storageAccount", StorageAccountName);
                json.WriteString("containerName", ContainerName);
                json.WriteString("backupName", BackupName);
                json.WriteString("accessType", AccessType.ToString());
                if (AccessType == StorageAccessType.AccessKey && AccessKey != null)
                {
                    json.WriteString("accessKey", SecureStrings.ToPlainText(AccessKey));
                }
                if (AccessType == StorageAccessType.UserAssignedManagedIdentity)
                {
                    json.WriteString("clientId", ClientId);
                }
                json.WriteEndObject();
            }
            return stream.ToArray();
        }
    }
}
