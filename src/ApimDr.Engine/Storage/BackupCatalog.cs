using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Validation;
using ApimDr.Engine.Security;
using Azure;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace ApimDr.Engine.Storage
{
    /// <summary>The backup catalog: what backups exist in a container, read with Azure.Storage.Blobs.</summary>
    public static class BackupCatalog
    {
        /// <summary>Lists the blobs under <paramref name="prefix"/>, newest first.</summary>
        public static async Task<IReadOnlyList<BackupBlob>> ListAsync(StorageLocation location, string? prefix, CancellationToken cancellationToken)
        {
            BlobContainerClient container = CreateContainerClient(location);
            var result = new List<BackupBlob>();
            try
            {
                await foreach (BlobItem item in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, string.IsNullOrEmpty(prefix) ? null : prefix, cancellationToken).ConfigureAwait(false))
                {
                    result.Add(ToBackupBlob(location, container, item));
                }
            }
            catch (AuthenticationFailedException ex)
            {
                throw NoStorageToken(ex, location);
            }
            catch (RequestFailedException ex)
            {
                throw MapStorageError(ex, location);
            }
            return result.OrderByDescending(b => b.Created).ThenBy(b => b.BackupName, StringComparer.Ordinal).ToList();
        }

        /// <summary>Reads one backup's properties and metadata (BackupNotFound when it does not exist).</summary>
        public static async Task<BackupBlob> GetAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
        {
            ResourceNames.ValidateBlobName(backupName);
            BlobContainerClient container = CreateContainerClient(location);
            BlobClient blob = container.GetBlobClient(backupName);
            try
            {
                BlobProperties p = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                return new BackupBlob
                {
                    StorageAccountName = location.AccountName,
                    ContainerName = location.ContainerName,
                    BackupName = backupName,
                    Created = p.CreatedOn,
                    SizeBytes = p.ContentLength,
                    SourceServiceId = Lookup(p.Metadata, BackupMetadata.SourceServiceId),
                    SourceSku = Lookup(p.Metadata, BackupMetadata.SourceSku),
                    BlobEndpoint = location.BlobEndpoint,
                    Uri = blob.Uri,
                };
            }
            catch (AuthenticationFailedException ex)
            {
                throw NoStorageToken(ex, location);
            }
            catch (RequestFailedException ex)
            {
                ApimDrException error = MapStorageError(ex, location);
                if (ex.Status == 404 && error.ErrorId != "ContainerNotFound")
                {
                    error = new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                        $"Backup '{backupName}' was not found in container '{location.ContainerName}' of storage account '{location.AccountName}'.", backupName, ex);
                }
                throw error;
            }
        }

        /// <summary>Records where a backup came from as blob metadata (what the catalog and restore pre-flight read).</summary>
        public static async Task SetSourceAsync(StorageLocation location, string backupName, string sourceServiceId, string? sourceSku, CancellationToken cancellationToken)
        {
            ResourceNames.ValidateBlobName(backupName);
            BlobClient blob = CreateContainerClient(location).GetBlobClient(backupName);
            try
            {
                BlobProperties p = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                var metadata = new Dictionary<string, string>(p.Metadata, StringComparer.OrdinalIgnoreCase)
                {
                    [BackupMetadata.SourceServiceId] = sourceServiceId,
                };
                if (!string.IsNullOrEmpty(sourceSku)) metadata[BackupMetadata.SourceSku] = sourceSku!;
                await blob.SetMetadataAsync(metadata, new BlobRequestConditions { IfMatch = p.ETag }, cancellationToken).ConfigureAwait(false);
            }
            catch (AuthenticationFailedException ex)
            {
                throw NoStorageToken(ex, location);
            }
            catch (RequestFailedException ex)
            {
                throw MapStorageError(ex, location);
            }
        }

        /// <summary>Deletes one backup blob with its snapshots; a blob already gone is not an error.</summary>
        public static async Task<bool> DeleteAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
        {
            BlobClient blob = CreateContainerClient(location).GetBlobClient(backupName);
            try
            {
                Response<bool> deleted = await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
                return deleted.Value;
            }
            catch (AuthenticationFailedException ex)
            {
                throw NoStorageToken(ex, location);
            }
            catch (RequestFailedException ex)
            {
                throw MapStorageError(ex, location);
            }
        }

        internal static BlobContainerClient CreateContainerClient(StorageLocation location)
        {
            location.ValidateCredentials();   // never a Storage token over plain http
            var options = new BlobClientOptions();
            options.Retry.MaxRetries = 3;
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
            // Diagnostics go through ApimDr's own redacting logger, never Azure's event source.
            options.Diagnostics.IsLoggingEnabled = false;
            options.Diagnostics.IsTelemetryEnabled = false;
            options.Diagnostics.IsDistributedTracingEnabled = false;   // no DiagnosticListener/ActivitySource per client
            Uri containerUri = location.ContainerUri;
            if (location.AccountKey != null)
            {
                var key = new StorageSharedKeyCredential(location.AccountName, SecureStrings.ToPlainText(location.AccountKey));
                return new BlobContainerClient(containerUri, key, options);
            }
            return new BlobContainerClient(containerUri, CredentialFactory.GetShared(location.Credentials, location.Cloud), options);
        }

        private static BackupBlob ToBackupBlob(StorageLocation location, BlobContainerClient container, BlobItem item)
        {
            IDictionary<string, string>? metadata = item.Metadata;
            return new BackupBlob
            {
                StorageAccountName = location.AccountName,
                ContainerName = location.ContainerName,
                BackupName = item.Name,
                Created = item.Properties.CreatedOn ?? item.Properties.LastModified ?? DateTimeOffset.MinValue,
                SizeBytes = item.Properties.ContentLength ?? 0,
                SourceServiceId = Lookup(metadata, BackupMetadata.SourceServiceId),
                SourceSku = Lookup(metadata, BackupMetadata.SourceSku),
                BlobEndpoint = location.BlobEndpoint,
                Uri = new Uri(container.Uri.AbsoluteUri.TrimEnd('/') + "/" + Uri.EscapeDataString(item.Name).Replace("%2F", "/")),
            };
        }

        private static string? Lookup(IDictionary<string, string>? metadata, string key)
        {
            if (metadata == null) return null;
            foreach (var pair in metadata)
            {
                if (string.Equals(pair.Key, key, StringComparison.OrdinalIgnoreCase)) return pair.Value;
            }
            return null;
        }

        /// <summary>No Storage token could be had (no key given, no usable identity): an error, not a .NET exception.</summary>
        internal static ApimDrException NoStorageToken(AuthenticationFailedException ex, StorageLocation location)
            => new ApimDrException(ErrorIds.AuthenticationFailed, ApimErrorCategory.AuthenticationError,
                $"No storage account key was given for '{location.AccountName}' and ApimDr could not get a Storage token: {ex.Message} Pass -StorageAccountKey, or sign in (Connect-AzAccount) with an identity that has 'Storage Blob Data Reader' or better.",
                location.AccountName, ex);

        internal static ApimDrException MapStorageError(RequestFailedException ex, StorageLocation location)
        {
            string code = ex.ErrorCode ?? string.Empty;
            string where = SafeUrl.Render(location.ContainerUri);
            ApimDrException error;
            if (code == "ContainerNotFound")
            {
                error = new ApimDrException(ErrorIds.ContainerNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Container '{location.ContainerName}' does not exist in storage account '{location.AccountName}' ({where}).", location.ContainerName, ex);
            }
            else if (code == "BlobNotFound")
            {
                error = new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup blob not found in container '{location.ContainerName}' of storage account '{location.AccountName}'.", location.ContainerName, ex);
            }
            else if (ex.Status == 401 || ex.Status == 403)
            {
                error = new ApimDrException(ErrorIds.StorageAccessDenied, ApimErrorCategory.PermissionDenied,
                    $"Storage account '{location.AccountName}' refused access to container '{location.ContainerName}' ({ex.Status} {code}). Check the account key, or that the identity has 'Storage Blob Data Reader' or better.", location.ContainerName, ex);
            }
            else
            {
                error = new ApimDrException(ErrorIds.StorageRequestFailed, ApimErrorCategory.NotSpecified,
                    $"Storage request to '{where}' failed: {ex.Status} {code}.", location.ContainerName, ex);
            }
            error.HttpStatus = ex.Status;
            error.ArmCode = code;
            return error;
        }
    }
}
