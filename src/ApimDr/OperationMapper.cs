using System;
using ApimDr.Engine.Arm;

namespace ApimDr
{
    /// <summary>Maps the engine's OperationState to the public ApimOperation and back.</summary>
    internal static class OperationMapper
    {
        public static ApimOperation ToPublic(OperationState s) => new ApimOperation
        {
            Kind = s.Kind.ToString(),
            Status = s.Status,
            Name = s.Name,
            ResourceGroupName = s.ResourceGroupName,
            SubscriptionId = s.SubscriptionId,
            ResourceId = s.ResourceId,
            StorageAccountName = s.StorageAccountName,
            ContainerName = s.ContainerName,
            BackupName = s.BackupName,
            AccessType = s.AccessType.ToString(),
            StartTime = s.StartTime.UtcDateTime,
            EndTime = s.EndTime?.UtcDateTime,
            PollUrl = s.PollUrl,
            PollStyle = s.PollStyle,
            NextPollAt = s.NextPollAt?.UtcDateTime,
            ResourceManagerUrl = s.ResourceManagerUrl,
            CorrelationId = s.CorrelationId,
            ErrorCode = s.ErrorCode,
            ErrorMessage = s.ErrorMessage,
            Sku = s.Sku,
        };
    }
}
