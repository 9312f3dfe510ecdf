using System;
using System.Collections.Generic;
using System.Linq;

namespace ApimDr.Engine.Security
{
    /// <summary>
    /// How ApimDr prints a URL anywhere a user or a log can see it (Verbose, Debug, warnings, errors):
    /// never the userinfo, and every query value but allow-listed ones (<c>api-version</c>) replaced by
    /// REDACTED, so a SAS (<c>sig</c>, <c>se</c>, <c>sp</c>, <c>skoid</c>, …), a <c>code</c>, <c>key</c> or
    /// <c>token</c> cannot leak. Redaction is by allow-list: a new secret parameter is redacted without
    /// anyone naming it. The request log (<see cref="Arm.ArmLogPolicy"/>) uses the same rule.
    /// </summary>
    public static class SafeUrl
    {
        public const string Redacted = "REDACTED";

        private static readonly HashSet<string> SafeQueryParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "api-version" };

        /// <summary>The URL without userinfo, with secret query values and any fragment redacted.</summary>
        public static string Render(Uri? url)
        {
            if (url == null) return string.Empty;
            return Render(url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString);
        }

        /// <summary>The URL text without userinfo, with secret query values and any fragment redacted.</summary>
        public static string Render(string? url)
        {
            if (string.IsNullOrEmpty(url)) return string.Empty;
            string text = StripUserInfo(url!);

            string fragment = string.Empty;
            int hash = text.IndexOf('#');
            if (hash >= 0)
            {
                fragment = hash == text.Length - 1 ? "#" : "#" + Redacted;
                text = text.Substring(0, hash);
            }

            int question = text.IndexOf('?');
            if (question < 0) return text + fragment;
            string[] pairs = text.Substring(question + 1).Split('&');
            for (int i = 0; i < pairs.Length; i++)
            {
                int equals = pairs[i].IndexOf('=');
                string name = equals < 0 ? pairs[i] : pairs[i].Substring(0, equals);
                if (equals >= 0 && !SafeQueryParameters.Contains(Unescape(name))) pairs[i] = name + "=" + Redacted;
            }
            return text.Substring(0, question + 1) + string.Join("&", pairs) + fragment;
        }

        /// <summary>Only <c>scheme://host:port</c>: what error messages about a refused URL may show.</summary>
        public static string Origin(Uri? url)
        {
            if (url == null) return "(none)";
            if (!url.IsAbsoluteUri) return "(a relative URL)";
            return url.Scheme + "://" + url.Host + ":" + url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>The path exactly as the caller typed it (System.Uri has already removed '.' and '..' segments from AbsolutePath).</summary>
        internal static string RawPath(Uri url)
        {
            string original = url.OriginalString;
            int scheme = original.IndexOf("://", StringComparison.Ordinal);
            int authority = scheme < 0 ? 0 : scheme + 3;
            int start = original.IndexOfAny(new[] { '/', '\\', '?', '#' }, authority);
            if (start < 0 || original[start] == '?' || original[start] == '#') return string.Empty;
            int end = original.IndexOfAny(new[] { '?', '#' }, start);
            return end < 0 ? original.Substring(start) : original.Substring(start, end - start);
        }

        /// <summary>Whether the typed path has a '.' or '..' segment (split on '/' and '\', percent-decoded).</summary>
        internal static bool HasDotSegment(Uri url)
            => RawPath(url).Split('/', '\\').Select(Unescape).Any(s => s == "." || s == "..");

        private static string StripUserInfo(string url)
        {
            int scheme = url.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0) return url;
            int authority = scheme + 3;
            int end = url.IndexOfAny(new[] { '/', '\\', '?', '#' }, authority);
            if (end < 0) end = url.Length;
            int at = url.LastIndexOf('@', end - 1, end - authority);
            return at < 0 ? url : url.Substring(0, authority) + url.Substring(at + 1);
        }

        private static string Unescape(string value)
        {
            try
            {
                return Uri.UnescapeDataString(value);
            }
            catch (UriFormatException)
            {
                return value;
            }
        }
    }
}
