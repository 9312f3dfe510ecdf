using System;
using System.Collections.Generic;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;

namespace ApimDr
{
    /// <summary>The service-selection parameters a cmdlet binds (ByName / ByResourceId, both from the pipeline by property name).</summary>
    internal interface IServiceSelection
    {
        string ResourceGroupName { get; }
        string Name { get; }
        string? SubscriptionId { get; }
        string? ResourceId { get; }
    }

    /// <summary>Which APIM service one pipeline input names.</summary>
    internal static class ServiceSelection
    {
        /// <summary>
        /// What the command line said wins over pipeline values; among pipeline values a resource id wins
        /// (it carries the subscription), checked against Name/ResourceGroupName when both came.
        /// </summary>
        public static ServiceId Select(IServiceSelection input, ISet<string> line, CommandSession session)
        {
            string? resourceId = input.ResourceId;
            bool lineNamed = line.Contains(nameof(IServiceSelection.Name)) || line.Contains(nameof(IServiceSelection.ResourceGroupName));
            if (!string.IsNullOrEmpty(resourceId) && (line.Contains(nameof(IServiceSelection.ResourceId)) || !lineNamed))
            {
                ServiceId fromId = ServiceId.Parse(resourceId!);
                bool namesAgree = (string.IsNullOrEmpty(input.Name) || string.Equals(input.Name, fromId.Name, StringComparison.OrdinalIgnoreCase))
                    && (string.IsNullOrEmpty(input.ResourceGroupName) || string.Equals(input.ResourceGroupName, fromId.ResourceGroupName, StringComparison.OrdinalIgnoreCase));
                if (!namesAgree)
                {
                    throw new ApimDrException(ErrorIds.ConflictingServiceIdentity, ApimErrorCategory.InvalidArgument,
                        $"Resource id '{resourceId}' does not name service '{input.ResourceGroupName}/{input.Name}'. Give one or the other.", resourceId);
                }
                return fromId;
            }
            string? subscription = input.SubscriptionId;
            if (string.IsNullOrEmpty(subscription) && !line.Contains(nameof(IServiceSelection.SubscriptionId)) && !string.IsNullOrEmpty(resourceId))
            {
                subscription = ServiceId.Parse(resourceId!).SubscriptionId;
            }
            if (string.IsNullOrEmpty(subscription)) subscription = session.DefaultSubscriptionId();
            if (string.IsNullOrEmpty(subscription))
            {
                throw new ApimDrException(ErrorIds.SubscriptionRequired, ApimErrorCategory.InvalidArgument,
                    "No subscription: pass -SubscriptionId or -ResourceId, sign in with Connect-AzAccount, or set AZURE_SUBSCRIPTION_ID.", input.Name);
            }
            return ServiceId.Create(subscription!, input.ResourceGroupName, input.Name);
        }
    }
}
