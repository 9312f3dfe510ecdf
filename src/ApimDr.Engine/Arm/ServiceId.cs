using System;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Validation;

namespace ApimDr.Engine.Arm
{
    /// <summary>An API Management service's ARM identity, validated.</summary>
    public sealed class ServiceId
    {
        private const string Provider = "Microsoft.ApiManagement";
        private const string ResourceType = "service";

        private ServiceId(string subscriptionId, string resourceGroupName, string name)
        {
            SubscriptionId = subscriptionId;
            ResourceGroupName = resourceGroupName;
            Name = name;
        }

        public string SubscriptionId { get; }
        public string ResourceGroupName { get; }
        public string Name { get; }

        /// <summary>The canonical resource id.</summary>
        public string ResourceId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}/providers/{Provider}/service/{Name}";

        public static ServiceId Create(string subscriptionId, string resourceGroupName, string name)
        {
            ResourceNames.ValidateSubscriptionId(subscriptionId);
            ResourceNames.ValidateResourceGroupName(resourceGroupName);
            ResourceNames.ValidateServiceName(name);
            return new ServiceId(subscriptionId, resourceGroupName, name);
        }

        /// <summary>Parses <c>/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}</c>, segment names case-insensitive.</summary>
        public static ServiceId Parse(string resourceId)
        {
            string[] parts = (resourceId ?? string.Empty).Trim().TrimEnd('/').Split('/');
            // "", subscriptions, {sub}, resourceGroups, {rg}, providers, Microsoft.ApiManagement, service, {name}
            if (parts.Length != 9 || parts[0].Length != 0
                || !Is(parts[1], "subscriptions") || !Is(parts[3], "resourceGroups") || !Is(parts[5], "providers")
                || !Is(parts[6], Provider) || !Is(parts[7], ResourceType))
            {
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidResourceId,
                    $"'{resourceId}' is not an API Management service resource id. Expected /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ApiManagement/service/<name>.", resourceId);
            }
            return Create(parts[2], parts[4], parts[8]);
        }

        public override string ToString() => ResourceId;

        public override bool Equals(object? obj) => obj is ServiceId other && string.Equals(ResourceId, other.ResourceId, StringComparison.OrdinalIgnoreCase);

        public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(ResourceId);

        private static bool Is(string segment, string expected) => string.Equals(segment, expected, StringComparison.OrdinalIgnoreCase);
    }
}
