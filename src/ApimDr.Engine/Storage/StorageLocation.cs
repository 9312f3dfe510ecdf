using System;
using System.Security;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Validation;
using ApimDr.Engine.Security;

namespace ApimDr.Engine.Storage
{
    /// <summary>Where backups live and how ApimDr itself reaches them (key, or a Storage token).</summary>
    public sealed class StorageLocation
    {
        private SecureString? _accountKey;

        /// <summary>
        /// Validates the names and the endpoint, before any request. <paramref name="endpointChosenByUser"/> false:
        /// the endpoint was read from data (a piped object, a saved operation), so it is used only when it is the
        /// account's standard host in <paramref name="cloud"/> — credentials never go anywhere else unless the user
        /// typed the endpoint (UntrustedEndpoint, docs/arm-protocol.md §7).
        /// </summary>
        public StorageLocation(string accountName, string containerName, CloudEnvironment cloud, Uri? blobEndpoint = null, bool endpointChosenByUser = true)
        {
            Cloud = cloud ?? throw new ArgumentNullException(nameof(cloud));
            ResourceNames.ValidateStorageAccountName(accountName);
            ResourceNames.ValidateContainerName(containerName);
            AccountName = accountName;
            ContainerName = containerName;
            if (blobEndpoint != null)
            {
                ValidateBlobEndpoint(blobEndpoint, accountName);
                if (!endpointChosenByUser && !cloud.IsStandardBlobEndpoint(blobEndpoint, accountName))
                {
                    throw new ApimDrException(ErrorIds.UntrustedEndpoint, ApimErrorCategory.SecurityError,
                        $"The input names the blob endpoint {SafeUrl.Origin(blobEndpoint)}, which is not storage account '{accountName}' of {cloud.Name}. " +
                        "ApimDr sends storage credentials only where you choose: pass -BlobEndpoint on the command line to use it.", SafeUrl.Origin(blobEndpoint));
                }
            }
            BlobEndpoint = blobEndpoint ?? new Uri($"https://{accountName}.{cloud.BlobSuffix}/");
        }

        public CloudEnvironment Cloud { get; }
        public string AccountName { get; }
        public string ContainerName { get; }
        public Uri BlobEndpoint { get; }

        /// <summary>The storage account key (base64, else InvalidStorageAccountKey); when null a Storage token from <see cref="Credentials"/> is used.</summary>
        public SecureString? AccountKey
        {
            get => _accountKey;
            set
            {
                if (value != null) StorageKeys.Validate(value, AccountName);
                _accountKey = value;
            }
        }

        public CredentialSource Credentials { get; set; } = CredentialSource.Default();

        /// <summary>The container URL, without any secret (safe to log: the endpoint carries no userinfo or query).</summary>
        public Uri ContainerUri => new Uri(BlobEndpoint.AbsoluteUri.TrimEnd('/') + "/" + ContainerName);

        /// <summary>
        /// What the constructor cannot check because the key is set afterwards: without a key ApimDr uses
        /// a Storage token, and tokens are only sent over https (InvalidBlobEndpoint otherwise). Call
        /// before the first request; every storage client checks it again.
        /// </summary>
        public void ValidateCredentials()
        {
            if (AccountKey == null && BlobEndpoint.Scheme != Uri.UriSchemeHttps)
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidBlobEndpoint,
                    $"Blob endpoint {SafeUrl.Origin(BlobEndpoint)} is plain http and no storage account key was given: without a key ApimDr uses a Storage token, and tokens are only sent over https. " +
                    "Pass -StorageAccountKey (Azurite and other emulators take the account key) or use an https -BlobEndpoint.", SafeUrl.Origin(BlobEndpoint));
            }
        }

        /// <summary>
        /// A blob endpoint is http(s)://host[:port] with no path, or with exactly /&lt;account&gt; (the
        /// Azurite/emulator style, http://127.0.0.1:10000/devstoreaccount1); no userinfo, query (SAS),
        /// fragment or '.'/'..' segments. Messages show scheme://host:port only.
        /// </summary>
        private static void ValidateBlobEndpoint(Uri endpoint, string accountName)
        {
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
            {
                string shown = endpoint.IsAbsoluteUri ? $"'{SafeUrl.Origin(endpoint)}' " : string.Empty;
                throw Invalid($"Blob endpoint {shown}must be an absolute http or https URL, such as https://{accountName}.blob.core.windows.net/.", endpoint.IsAbsoluteUri ? SafeUrl.Origin(endpoint) : null);
            }
            string origin = SafeUrl.Origin(endpoint);
            if (!string.IsNullOrEmpty(endpoint.UserInfo))
            {
                throw Invalid($"Blob endpoint {origin} carries a user name or password (not shown). Give the endpoint without them and pass -StorageAccountKey, or omit the key to use a Storage token.", origin);
            }
            if (!string.IsNullOrEmpty(endpoint.Query))
            {
                throw Invalid($"Blob endpoint {origin} carries a query string (not shown). SAS URLs are not supported: give the endpoint without the query and pass -StorageAccountKey, or omit the key to use a Storage token (signed-in Az context or DefaultAzureCredential).", origin);
            }
            if (!string.IsNullOrEmpty(endpoint.Fragment))
            {
                throw Invalid($"Blob endpoint {origin} carries a fragment (not shown). Give the account's blob endpoint only.", origin);
            }
            if (SafeUrl.HasDotSegment(endpoint))
            {
                throw Invalid($"Blob endpoint {origin} has '.' or '..' path segments. Give the account's blob endpoint only.", origin);
            }
            string path = endpoint.AbsolutePath;
            if (path != "/" && path != "/" + accountName && path != "/" + accountName + "/")
            {
                throw Invalid($"Blob endpoint {origin} has a path other than '/{accountName}'. Give the account's blob endpoint (https://{accountName}.blob.core.windows.net/, or http://127.0.0.1:10000/{accountName} for Azurite); the container goes in -ContainerName.", origin);
            }
        }

        private static ApimDrException Invalid(string message, string? target)
            => ApimDrException.InvalidArgument(ErrorIds.InvalidBlobEndpoint, message, target);
    }
}
