using System;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// The trust boundary for polling (docs/arm-protocol.md, "Trust boundary"): a poll URL is used only
    /// when it is https on the very ARM host the user chose AND has the shape of an operation of that
    /// very resource. Anything else is refused before a byte (or a token) is sent.
    /// </summary>
    public static class PollUrlRules
    {
        /// <summary>Null when <paramref name="pollUrl"/> may be polled for <paramref name="resourceId"/> through <paramref name="armEndpoint"/>.</summary>
        public static ApimDrException? Check(Uri? pollUrl, string resourceId, Uri armEndpoint, string what)
        {
            if (pollUrl == null || !pollUrl.IsAbsoluteUri)
            {
                return new ApimDrException(ErrorIds.InvalidPollUrl, ApimErrorCategory.InvalidArgument,
                    $"Cannot poll {what}: its poll URL is not an absolute URL. Pass the operation object Backup-ApimService or Restore-ApimService returned (or Get-ApimOperation lists).", resourceId);
            }
            if (pollUrl.Scheme != Uri.UriSchemeHttps || !SameServer(pollUrl, armEndpoint) || pollUrl.UserInfo.Length > 0)
            {
                return new ApimDrException(ErrorIds.UntrustedPollHost, ApimErrorCategory.SecurityError,
                    $"Refusing to poll {what} at {Authority(pollUrl)}: it is not the Resource Manager endpoint this command uses ({Authority(armEndpoint)}), and polling would send it your token. " +
                    "Wait with the -Environment or -ResourceManagerUrl the operation was started with.", resourceId);
            }
            if (!IsOperationOf(pollUrl, resourceId))
            {
                return new ApimDrException(ErrorIds.InvalidPollUrl, ApimErrorCategory.SecurityError,
                    $"Refusing to poll {what}: '{pollUrl.AbsolutePath}' is not an operation of '{resourceId}' " +
                    "(expected {resourceId}/operationresults/{id}, or …/providers/Microsoft.ApiManagement/locations/{location}/operationsStatus/{id} in the same subscription).", resourceId);
            }
            return HasApiVersion(pollUrl) ? null : MissingApiVersion(what, resourceId);
        }

        /// <summary>
        /// Whether the query names an api-version. ARM answers a GET without one 400 MissingApiVersionParameter,
        /// an answer about the REQUEST, not the operation, so such a URL is refused before sending.
        /// </summary>
        public static bool HasApiVersion(Uri pollUrl)
        {
            string query = pollUrl.IsAbsoluteUri ? pollUrl.Query.TrimStart('?') : string.Empty;
            foreach (string pair in query.Split('&'))
            {
                int equals = pair.IndexOf('=');
                if (equals > 0 && Is(Uri.UnescapeDataString(pair.Substring(0, equals)), "api-version") && pair.Length > equals + 1) return true;
            }
            return false;
        }

        /// <summary>InvalidPollUrl for a poll URL without api-version (nothing is sent).</summary>
        public static ApimDrException MissingApiVersion(string what, string resourceId)
            => new ApimDrException(ErrorIds.InvalidPollUrl, ApimErrorCategory.InvalidArgument,
                $"Refusing to poll {what}: its poll URL has no api-version in its query, and Resource Manager would answer 400 MissingApiVersionParameter, which says nothing about the operation. " +
                "Use the poll URL exactly as the operation object (or the Location header) gives it, every query parameter kept, e.g. …/operationresults/{id}?api-version=2024-05-01.", resourceId);

        /// <summary>
        /// ARM's front door refusing the poll REQUEST (its URL: the api-version, or the path naming no provider):
        /// a 400 with one of these codes is no verdict on the operation, unlike a 400 from the operation itself.
        /// </summary>
        public static bool IsRequestRefusal(string? armCode)
            => armCode != null && Array.Exists(RequestRefusalCodes, c => Is(c, armCode));

        private static readonly string[] RequestRefusalCodes = { "MissingApiVersionParameter", "InvalidApiVersionParameter", "NoRegisteredProviderFound" };

        /// <summary>
        /// <c>{resourceId}/operationresults/{id}</c>, or the provider-level
        /// <c>/subscriptions/{sub}/providers/Microsoft.ApiManagement/locations/{loc}/operationsStatus|operationResults/{id}</c>
        /// of the resource's subscription. Empty segments are ignored: ARM has sent <c>…/service/x//operationresults/…</c>.
        /// </summary>
        public static bool IsOperationOf(Uri pollUrl, string resourceId)
        {
            string[] poll = Segments(pollUrl.AbsolutePath);
            string[] resource = Segments(resourceId ?? string.Empty);
            if (resource.Length != 8 || poll.Length < 3) return false;
            if (poll.Length == resource.Length + 2 && Is(poll[resource.Length], "operationresults"))
            {
                for (int i = 0; i < resource.Length; i++)
                {
                    if (!Is(poll[i], resource[i])) return false;
                }
                return true;
            }
            // subscriptions/{sub}/providers/Microsoft.ApiManagement/locations/{loc}/operationsStatus/{id}
            return poll.Length == 8 && Is(poll[0], "subscriptions") && Is(poll[1], resource[1]) && Is(poll[2], "providers")
                && Is(poll[3], "Microsoft.ApiManagement") && Is(poll[4], "locations")
                && (Is(poll[6], "operationsStatus") || Is(poll[6], "operationResults"));
        }

        /// <summary>scheme://host:port — never the userinfo, path or query of a URL (safe to print).</summary>
        public static string Authority(Uri? url)
            => url == null || !url.IsAbsoluteUri ? "(none)" : url.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

        public static bool SameServer(Uri a, Uri b)
            => a.IsAbsoluteUri && b.IsAbsoluteUri && string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
               && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

        private static string[] Segments(string path)
        {
            string[] raw = path.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < raw.Length; i++) raw[i] = Uri.UnescapeDataString(raw[i]);
            return raw;
        }

        private static bool Is(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }
}
