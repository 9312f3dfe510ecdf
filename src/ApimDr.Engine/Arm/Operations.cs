using System;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Arm
{
    /// <summary>What the engine derives from the one operation record (<see cref="ApimOperation"/>, in ApimDr.Model).</summary>
    public static class Operations
    {
        /// <summary>What is known of a backup/restore before its POST is answered (the journal's intent, and the base of the started record).</summary>
        public static ApimOperation ForStart(OperationKind kind, ServiceId service, BackupRestoreRequest request, Uri resourceManagerUrl, string correlationId, DateTimeOffset start)
            => new ApimOperation
            {
                Kind = kind.ToString(),
                ResourceId = service.ResourceId,
                SubscriptionId = service.SubscriptionId,
                ResourceGroupName = service.ResourceGroupName,
                Name = service.Name,
                ResourceManagerUrl = resourceManagerUrl,
                StorageAccountName = request.StorageAccountName,
                ContainerName = request.ContainerName,
                BackupName = request.BackupName,
                AccessType = request.AccessType.ToString(),
                StartTime = start.UtcDateTime,
                CorrelationId = correlationId,
                BlobEndpoint = request.Location.BlobEndpoint,
                Environment = request.Location.Cloud.Name,
            };

        /// <summary>
        /// Checks a record that came back from outside (Clixml, JSON, the journal, -PollUrl) before any
        /// request: a service resource id, an absolute poll URL, a known kind. The identity fields are
        /// re-derived from the resource id, never taken from the object's own claims.
        /// </summary>
        public static void ValidateForResume(ApimOperation operation)
        {
            ServiceId service = ServiceId.Parse(operation.ResourceId);
            if (operation.PollUrl == null || !operation.PollUrl.IsAbsoluteUri)
            {
                throw new ApimDrException(ErrorIds.InvalidPollUrl, ApimErrorCategory.InvalidArgument,
                    $"The poll URL '{operation.PollUrl?.OriginalString}' is not an absolute URL. Pass the operation object Backup-ApimService or Restore-ApimService returned (or Get-ApimOperation lists).", operation.ResourceId);
            }
            if (!operation.IsTerminal && !PollUrlRules.HasApiVersion(operation.PollUrl))
            {
                throw PollUrlRules.MissingApiVersion($"the operation of '{service.Name}'", operation.ResourceId);
            }
            if (!Enum.TryParse(operation.Kind, ignoreCase: true, out OperationKind kind) || !Enum.IsDefined(typeof(OperationKind), kind))
            {
                throw new ApimDrException(ErrorIds.InvalidOperationObject, ApimErrorCategory.InvalidArgument,
                    $"'{operation.Kind}' is not an operation kind ApimDr waits for (Backup or Restore).", operation.ResourceId);
            }
            operation.Kind = kind.ToString();
            operation.ResourceId = service.ResourceId;
            operation.SubscriptionId = service.SubscriptionId;
            operation.ResourceGroupName = service.ResourceGroupName;
            operation.Name = service.Name;
        }

        /// <summary>The failure as an exception with ONE ErrorId per failure kind (docs/errors.md); null unless Failed or Canceled.</summary>
        public static ApimDrException? ToException(ApimOperation operation)
        {
            bool canceled = string.Equals(operation.Status, ApimOperation.Canceled, StringComparison.OrdinalIgnoreCase);
            if (!canceled && !string.Equals(operation.Status, ApimOperation.Failed, StringComparison.OrdinalIgnoreCase)) return null;
            (string classifiedId, ApimErrorCategory category) = ArmErrorMapping.ClassifyOperationFailure(new ArmError(operation.ErrorCode ?? string.Empty, operation.ErrorMessage ?? string.Empty));
            string kind = operation.Kind.ToLowerInvariant();
            string text = canceled
                ? $"The {kind} of '{operation.Name}' was canceled by the service."
                : $"The {kind} of '{operation.Name}' failed: {operation.ErrorCode}: {operation.ErrorMessage}";
            return new ApimDrException(operation.ErrorId ?? classifiedId, category, text, operation.ResourceId)
            {
                HttpStatus = operation.HttpStatus,
                ArmCode = operation.ErrorCode,
                RequestId = operation.RequestId,
                CorrelationId = operation.CorrelationId,
            };
        }
    }
}
