using System;
using System.Text.RegularExpressions;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Validation
{
    /// <summary>
    /// Client-side validation of every name ApimDr sends, so bad input fails with a specific
    /// error before any request. Rules follow ARM / Storage naming rules.
    /// </summary>
    public static class ResourceNames
    {
        private static readonly Regex ServiceNameRegex = new Regex("^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$", RegexOptions.CultureInvariant);
        private static readonly Regex ResourceGroupRegex = new Regex(@"^[-\w\._\(\)]+$", RegexOptions.CultureInvariant);
        private static readonly Regex StorageAccountRegex = new Regex("^[a-z0-9]{3,24}$", RegexOptions.CultureInvariant);
        private static readonly Regex ContainerRegex = new Regex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$", RegexOptions.CultureInvariant);

        /// <summary>
        /// The first UTF-16 surrogate without its pair, or -1. Such a string has no UTF-8 form: it used to be sent
        /// with U+FFFD in its place, i.e. as ANOTHER name than the one given.
        /// </summary>
        public static int LoneSurrogateIndex(string? value)
        {
            if (value == null) return -1;
            for (int i = 0; i < value.Length; i++)
            {
                if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
                else if (char.IsSurrogate(value[i])) return i;
            }
            return -1;
        }

        public static void ValidateSubscriptionId(string? value)
        {
            if (string.IsNullOrWhiteSpace(value) || !Guid.TryParse(value, out _))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidSubscriptionId,
                    $"Subscription id '{Printable(value)}' is not a GUID.", value);
            }
        }

        public static void ValidateResourceGroupName(string? value)
        {
            if (string.IsNullOrEmpty(value) || value!.Length > 90 || !ResourceGroupRegex.IsMatch(value) || value.EndsWith(".", StringComparison.Ordinal))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidResourceGroupName,
                    $"Resource group name '{Printable(value)}' is invalid: use 1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period.", value);
            }
        }

        public static void ValidateServiceName(string? value)
        {
            if (string.IsNullOrEmpty(value) || value!.Length > 50 || !ServiceNameRegex.IsMatch(value))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidServiceName,
                    $"API Management service name '{Printable(value)}' is invalid: use 1-50 letters, digits and hyphens, starting with a letter and ending with a letter or digit.", value);
            }
        }

        public static void ValidateStorageAccountName(string? value)
        {
            if (string.IsNullOrEmpty(value) || !StorageAccountRegex.IsMatch(value))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidStorageAccountName,
                    $"Storage account name '{Printable(value)}' is invalid: use 3-24 lowercase letters and digits (the account NAME, not its URL or resource id).", value);
            }
        }

        public static void ValidateContainerName(string? value)
        {
            if (string.IsNullOrEmpty(value) || !ContainerRegex.IsMatch(value))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidContainerName,
                    $"Container name '{Printable(value)}' is invalid: use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.", value);
            }
        }

        /// <summary>
        /// A backup (blob) name inside its container. Besides Azure's own rules (1-1024 characters, not
        /// ending in '.' or '/'), refuses what would make the blob land somewhere else: '.' or '..'
        /// segments (URLs resolve them, so '../other/x' is a blob in container 'other'), a leading
        /// slash, empty segments, a backslash (Azure turns it into '/'), and control characters.
        /// </summary>
        public static void ValidateBlobName(string? value)
        {
            string? problem = BlobNameProblem(value);
            if (problem != null)
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidBackupName,
                    $"Backup name '{Printable(value)}' is invalid: {problem}. Use 1-1024 characters; '/' separates virtual folders, as in 'prod/2026-01-01.apimbackup'.", value);
            }
        }

        private static string? BlobNameProblem(string? value)
        {
            if (string.IsNullOrEmpty(value)) return "it is empty";
            if (value!.Length > 1024) return $"it is {value.Length} characters long";
            int lone = LoneSurrogateIndex(value);
            if (lone >= 0) return $"it contains the unpaired UTF-16 surrogate U+{(int)value[lone]:X4} at position {lone}, which no URL can carry (it would be sent as U+FFFD, another name)";
            foreach (char c in value)
            {
                if (char.IsControl(c)) return $"it contains the control character U+{(int)c:X4}";
            }
            if (value.IndexOf('\\') >= 0) return "it contains a backslash, which Azure Storage turns into '/' (use '/' for folders)";
            if (value[0] == '/') return "it starts with '/' (give the name inside the container, without a leading slash)";
            if (value.EndsWith("/", StringComparison.Ordinal)) return "it ends with '/'";
            if (value.EndsWith(".", StringComparison.Ordinal)) return "it ends with a period";
            foreach (string segment in value.Split('/'))
            {
                if (segment.Length == 0) return "it has an empty path segment ('//')";
                string decoded = UnescapeOrSelf(segment);
                if (decoded == "." || decoded == "..")
                {
                    return $"it has a '{decoded}' path segment, which URLs resolve, so the blob would land elsewhere (even in another container)";
                }
            }
            return null;
        }

        private static string UnescapeOrSelf(string value)
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

        /// <summary>The text with control characters shown as \uXXXX, so an error message cannot break a line or a terminal.</summary>
        internal static string Printable(string? value)
        {
            if (string.IsNullOrEmpty(value)) return string.Empty;
            var text = new System.Text.StringBuilder(value!.Length);
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                bool paired = char.IsHighSurrogate(c) ? i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                    : char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]);
                if (char.IsControl(c) || (char.IsSurrogate(c) && !paired)) text.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                else text.Append(c);
            }
            return text.ToString();
        }

        public static void ValidateClientId(string? value)
        {
            if (string.IsNullOrWhiteSpace(value) || !Guid.TryParse(value, out Guid id))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidIdentityClientId,
                    $"Identity client id '{Printable(value)}' is not a GUID (use the CLIENT id of the user-assigned identity, not its principal or resource id).", value);
            }
            if (id == Guid.Empty)
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidIdentityClientId,
                    "Identity client id 00000000-0000-0000-0000-000000000000 is the empty GUID, which no identity has (an unset variable?): give the CLIENT id of the user-assigned identity.", value);
            }
        }
    }
}
