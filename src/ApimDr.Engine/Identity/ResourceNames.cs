using System;
using System.Text.RegularExpressions;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Identity
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

        public static void ValidateSubscriptionId(string? value)
        {
            if (string.IsNullOrWhiteSpace(value) || !Guid.TryParse(value, out _))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidSubscriptionId,
                    $"Subscription id '{value}' is not a GUID.", value);
            }
        }

        public static void ValidateResourceGroupName(string? value)
        {
            if (string.IsNullOrEmpty(value) || value!.Length > 90 || !ResourceGroupRegex.IsMatch(value) || value.EndsWith(".", StringComparison.Ordinal))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidResourceGroupName,
                    $"Resource group name '{value}' is invalid: use 1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period.", value);
            }
        }

        public static void ValidateServiceName(string? value)
        {
            if (string.IsNullOrEmpty(value) || value!.Length > 50 || !ServiceNameRegex.IsMatch(value))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidServiceName,
                    $"API Management service name '{value}' is invalid: use 1-50 letters, digits and hyphens, starting with a letter and ending with a letter or digit.", value);
            }
        }

        public static void ValidateStorageAccountName(string? value)
        {
            if (string.IsNullOrEmpty(value) || !StorageAccountRegex.IsMatch(value))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidStorageAccountName,
                    $"Storage account name '{value}' is invalid: use 3-24 lowercase letters and digits (the account NAME, not its URL or resource id).", value);
            }
        }

        public static void ValidateContainerName(string? value)
        {
            if (string.IsNullOrEmpty(value) || !ContainerRegex.IsMatch(value))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidContainerName,
                    $"Container name '{value}' is invalid: use 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.", value);
            }
        }

        public static void ValidateBlobName(string? value)
        {
            if (string.IsNullOrEmpty(value) || value!.Length > 1024 || value.EndsWith(".", StringComparison.Ordinal) || value.EndsWith("/", StringComparison.Ordinal) || value.EndsWith("\\", StringComparison.Ordinal))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidBackupName,
                    $"Backup name '{value}' is invalid: use 1-1024 characters, not ending in a period or slash.", value);
            }
        }

        public static void ValidateClientId(string? value)
        {
            if (string.IsNullOrWhiteSpace(value) || !Guid.TryParse(value, out _))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidIdentityClientId,
                    $"Identity client id '{value}' is not a GUID (use the CLIENT id of the user-assigned identity, not its principal or resource id).", value);
            }
        }
    }
}
