using System;
using System.Collections.Generic;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Security;

namespace ApimDr.Engine.Clouds
{
    /// <summary>An Azure cloud: where ARM is, which audience its tokens need, and the blob host suffix.</summary>
    public sealed class CloudEnvironment
    {
        public static readonly CloudEnvironment AzureCloud = new CloudEnvironment("AzureCloud", new Uri("https://management.azure.com/"), "blob.core.windows.net", new Uri("https://login.microsoftonline.com/"));
        public static readonly CloudEnvironment AzureChinaCloud = new CloudEnvironment("AzureChinaCloud", new Uri("https://management.chinacloudapi.cn/"), "blob.core.chinacloudapi.cn", new Uri("https://login.chinacloudapi.cn/"));
        public static readonly CloudEnvironment AzureUSGovernment = new CloudEnvironment("AzureUSGovernment", new Uri("https://management.usgovcloudapi.net/"), "blob.core.usgovcloudapi.net", new Uri("https://login.microsoftonline.us/"));

        /// <summary>The names accepted by -Environment (also used by the tab completer).</summary>
        public static IReadOnlyList<string> KnownNames { get; } = new[] { "AzureCloud", "AzureChinaCloud", "AzureUSGovernment" };

        private CloudEnvironment(string name, Uri resourceManagerUrl, string blobSuffix, Uri authorityHost)
        {
            Name = name;
            ResourceManagerUrl = resourceManagerUrl;
            BlobSuffix = blobSuffix;
            AuthorityHost = authorityHost;
        }

        public string Name { get; }
        public Uri ResourceManagerUrl { get; }
        public string BlobSuffix { get; }

        /// <summary>The Entra ID login host DefaultAzureCredential must use in this cloud.</summary>
        public Uri AuthorityHost { get; }

        /// <summary>The token scope for ARM: the endpoint's own audience plus "/.default".</summary>
        public string ArmScope => ResourceManagerUrl.GetLeftPart(UriPartial.Authority) + "/.default";

        /// <summary>The token scope for the Storage data plane.</summary>
        public string StorageScope => "https://storage.azure.com/.default";

        public static CloudEnvironment Get(string? name)
        {
            if (string.IsNullOrEmpty(name)) return AzureCloud;
            foreach (var cloud in new[] { AzureCloud, AzureChinaCloud, AzureUSGovernment })
            {
                if (string.Equals(cloud.Name, name, StringComparison.OrdinalIgnoreCase)) return cloud;
            }
            throw ApimDrException.InvalidArgument(ErrorIds.InvalidEnvironment,
                $"Unknown environment '{name}'. Use one of: {string.Join(", ", KnownNames)}, or -ResourceManagerUrl for a custom endpoint.", name);
        }

        /// <summary>
        /// The cloud an operation was started in, from its saved ARM URL: a known cloud when the host
        /// matches one, otherwise a custom endpoint (Wait-ApimOperation on a deserialized operation).
        /// The URL is checked first (<see cref="ValidateResourceManagerUrl"/>).
        /// </summary>
        public static CloudEnvironment ForResourceManagerUrl(Uri resourceManagerUrl)
        {
            ValidateResourceManagerUrl(resourceManagerUrl);
            foreach (var cloud in new[] { AzureCloud, AzureChinaCloud, AzureUSGovernment })
            {
                if (Uri.Compare(cloud.ResourceManagerUrl, resourceManagerUrl, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
                {
                    return cloud;
                }
            }
            return Custom(resourceManagerUrl);
        }

        /// <summary>A custom ARM endpoint (private clouds, the test emulator): the audience comes from the endpoint.</summary>
        public static CloudEnvironment Custom(Uri resourceManagerUrl, string? blobSuffix = null)
        {
            ValidateResourceManagerUrl(resourceManagerUrl);
            var root = new Uri(resourceManagerUrl.GetLeftPart(UriPartial.Authority) + "/");
            return new CloudEnvironment("Custom", root, blobSuffix ?? AzureCloud.BlobSuffix, AzureCloud.AuthorityHost);
        }

        /// <summary>The well-known cloud whose ARM endpoint this is (scheme, host and port), or null.</summary>
        public static CloudEnvironment? KnownFor(Uri? resourceManagerUrl)
        {
            if (resourceManagerUrl == null || !resourceManagerUrl.IsAbsoluteUri) return null;
            foreach (var cloud in new[] { AzureCloud, AzureChinaCloud, AzureUSGovernment })
            {
                if (Arm.PollUrlRules.SameServer(cloud.ResourceManagerUrl, resourceManagerUrl)) return cloud;
            }
            return null;
        }

        /// <summary>Whether <paramref name="endpoint"/> is https://{account}.{this cloud's blob suffix}/ (the account's own host).</summary>
        public bool IsStandardBlobEndpoint(Uri endpoint, string accountName)
            => endpoint.IsAbsoluteUri && endpoint.Scheme == Uri.UriSchemeHttps && endpoint.IsDefaultPort && endpoint.UserInfo.Length == 0
               && string.Equals(endpoint.IdnHost, accountName + "." + BlobSuffix, StringComparison.OrdinalIgnoreCase)
               && (endpoint.AbsolutePath == "/" || endpoint.AbsolutePath.Length == 0);

        /// <summary>
        /// An ARM endpoint is https://host[:port]/ and nothing else: no user name or password, no query or
        /// fragment, no path (ARM URLs are built from the root), no '.' or '..' segments. Messages show
        /// scheme://host:port only, never what came before '@' or after '?'.
        /// </summary>
        public static void ValidateResourceManagerUrl(Uri? resourceManagerUrl)
        {
            if (resourceManagerUrl == null || !resourceManagerUrl.IsAbsoluteUri)
            {
                throw InvalidResourceManagerUrl("The Resource Manager URL must be an absolute https URL such as https://management.azure.com/.", null);
            }
            string origin = SafeUrl.Origin(resourceManagerUrl);
            if (!string.IsNullOrEmpty(resourceManagerUrl.UserInfo))
            {
                throw InvalidResourceManagerUrl($"Resource Manager URL {origin} carries a user name or password (not shown). ApimDr authenticates to ARM with tokens (-AccessToken, the Az context or DefaultAzureCredential), never with credentials in the URL: give https://host[:port]/ only.", origin);
            }
            if (resourceManagerUrl.Scheme != Uri.UriSchemeHttps)
            {
                throw InvalidResourceManagerUrl($"Resource Manager URL {origin} must be an absolute https URL: ApimDr sends bearer tokens only over https.", origin);
            }
            if (resourceManagerUrl.Port <= 0)
            {
                // Port 0 cannot be connected to: every request failed and was retried for about a minute.
                throw InvalidResourceManagerUrl($"Resource Manager URL {origin} has port 0, which nothing listens on. Give https://host/ (port 443) or https://host:port/ with a real port.", origin);
            }
            if (!string.IsNullOrEmpty(resourceManagerUrl.Query) || !string.IsNullOrEmpty(resourceManagerUrl.Fragment))
            {
                throw InvalidResourceManagerUrl($"Resource Manager URL {origin} carries a query or fragment (not shown). Give the endpoint's root only, https://host[:port]/: ApimDr builds every ARM URL from it.", origin);
            }
            if (SafeUrl.HasDotSegment(resourceManagerUrl))
            {
                throw InvalidResourceManagerUrl($"Resource Manager URL {origin} has '.' or '..' path segments. Give the endpoint's root only, https://host[:port]/.", origin);
            }
            if (resourceManagerUrl.AbsolutePath != "/")
            {
                throw InvalidResourceManagerUrl($"Resource Manager URL {origin} has a path (not shown). Give the endpoint's root only, https://host[:port]/: ApimDr builds every ARM URL from it.", origin);
            }
        }

        private static ApimDrException InvalidResourceManagerUrl(string message, string? target)
            => ApimDrException.InvalidArgument(ErrorIds.InvalidResourceManagerUrl, message, target);
    }
}
