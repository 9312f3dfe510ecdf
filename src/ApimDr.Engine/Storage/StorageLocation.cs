using System;
using System.Security;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Identity;

namespace ApimDr.Engine.Storage
{
    /// <summary>Where backups live and how ApimDr itself reaches them (key, or a Storage token).</summary>
    public sealed class StorageLocation
    {
        public StorageLocation(string accountName, string containerName, CloudEnvironment cloud, Uri? blobEndpoint = null)
        {
            Cloud = cloud ?? throw new ArgumentNullException(nameof(cloud));
            ResourceNames.ValidateStorageAccountName(accountName);
            ResourceNames.ValidateContainerName(containerName);
            AccountName = accountName;
            ContainerName = containerName;
            if (blobEndpoint != null && (!blobEndpoint.IsAbsoluteUri || (blobEndpoint.Scheme != Uri.UriSchemeHttps && blobEndpoint.Scheme != Uri.UriSchemeHttp)))
            {
                throw Errors.ApimDrException.InvalidArgument(ErrorIds.InvalidBlobEndpoint,
                    $"Blob endpoint '{blobEndpoint}' must be an absolute http or https URL.", blobEndpoint);
            }
            BlobEndpoint = blobEndpoint ?? new Uri($"https://{accountName}.{cloud.BlobSuffix}/");
        }

        public CloudEnvironment Cloud { get; }
        public string AccountName { get; }
        public string ContainerName { get; }
        public Uri BlobEndpoint { get; }

        /// <summary>The storage account key; when null a Storage token from <see cref="Credentials"/> is used.</summary>
        public SecureString? AccountKey { get; set; }

        public CredentialSource Credentials { get; set; } = CredentialSource.Default();

        /// <summary>The container URL, without any secret (safe to log).</summary>
        public Uri ContainerUri => new Uri(BlobEndpoint.AbsoluteUri.TrimEnd('/') + "/" + ContainerName);
    }
}
