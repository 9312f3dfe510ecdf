using System;

namespace ApimDr.Engine.Errors
{
    /// <summary>What an ARM error means for the user: the ErrorId and category docs/errors.md lists ("The service said no", "The conversation itself went wrong").</summary>
    internal static class ArmErrorMapping
    {
        public const string BusyMessage = "an operation is already running on this service";

        /// <summary>The ErrorId and category for an ARM error answered with <paramref name="status"/>.</summary>
        public static (string ErrorId, ApimErrorCategory Category) Classify(int status, ArmError error)
        {
            string code = error.Code;
            string message = error.Message;
            if (status == 401)
            {
                return IsExpiredToken(code, message)
                    ? (ErrorIds.AuthenticationExpired, ApimErrorCategory.AuthenticationError)
                    : (ErrorIds.AuthenticationFailed, ApimErrorCategory.AuthenticationError);
            }
            if (status == 403) return (ErrorIds.AuthorizationFailed, ApimErrorCategory.PermissionDenied);
            if (status == 404) return (ErrorIds.ServiceNotFound, ApimErrorCategory.ObjectNotFound);
            if (status == 409) return (ErrorIds.ServiceBusy, ApimErrorCategory.ResourceBusy);
            if (status == 429) return (ErrorIds.Throttled, ApimErrorCategory.LimitsExceeded);
            (string ErrorId, ApimErrorCategory Category) failure = ClassifyOperationFailure(error);
            if (failure.ErrorId != ErrorIds.ApimOperationFailed) return failure;
            return status >= 400 && status < 500
                ? (ErrorIds.ApimOperationFailed, ApimErrorCategory.InvalidOperation)
                : (ErrorIds.ApimOperationFailed, ApimErrorCategory.NotSpecified);
        }

        /// <summary>An operation that ran and failed: APIM puts the reason in the message (RestoreFailed, InvalidParameters…).</summary>
        public static (string ErrorId, ApimErrorCategory Category) ClassifyOperationFailure(ArmError error)
        {
            string code = error.Code;
            string message = error.Message;
            if (Contains(message, "backup expired")) return (ErrorIds.BackupExpired, ApimErrorCategory.InvalidOperation);
            if (Contains(message, "SKU") && Contains(message, "Cannot restore")) return (ErrorIds.SkuMismatch, ApimErrorCategory.InvalidOperation);
            if (IsStorageRefusal(code, message)) return (ErrorIds.StorageAccessDenied, ApimErrorCategory.PermissionDenied);
            if (Contains(code, "BlobNotFound") || Contains(message, "blob does not exist") || Contains(message, "backup not found"))
            {
                return (ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound);
            }
            return (ErrorIds.ApimOperationFailed, ApimErrorCategory.InvalidOperation);
        }

        /// <summary>
        /// Storage refused the service (or us): a wrong key, an identity without a role, a firewall. The same
        /// failure kind whether ARM reports it synchronously, at the last poll, or storage tells the catalog.
        /// </summary>
        public static bool IsStorageRefusal(string? code, string? message)
            => string.Equals(code, "AuthorizationPermissionMismatch", StringComparison.OrdinalIgnoreCase)
               || string.Equals(code, "AuthorizationFailure", StringComparison.OrdinalIgnoreCase)
               || Contains(message, "failed to authenticate the request to storage account")
               || (Contains(message, "not authorized to") && Contains(message, "storage account"));

        /// <summary>ARM's own refusals of the CALLER (not failures of the operation): the answer says nothing about the operation.</summary>
        public static bool IsArmAuthorizationFailure(string? code)
            => code != null && (code.Equals("AuthorizationFailed", StringComparison.OrdinalIgnoreCase)
                || code.Equals("LinkedAuthorizationFailed", StringComparison.OrdinalIgnoreCase)
                || code.StartsWith("InvalidAuthenticationToken", StringComparison.OrdinalIgnoreCase)
                || code.Equals("ExpiredAuthenticationToken", StringComparison.OrdinalIgnoreCase)
                || code.Equals("AuthenticationFailed", StringComparison.OrdinalIgnoreCase)
                || code.Equals("Forbidden", StringComparison.OrdinalIgnoreCase)
                || code.Equals("HTTP403", StringComparison.OrdinalIgnoreCase));

        public static bool IsExpiredToken(string? code, string? message)
            => string.Equals(code, "ExpiredAuthenticationToken", StringComparison.OrdinalIgnoreCase) || Contains(message, "token is expired") || Contains(message, "token has expired");

        /// <summary>A user-facing exception for an ARM error; <paramref name="what"/> says which request failed.</summary>
        public static ApimDrException ToException(int status, ArmError error, string what, object? target, string? requestId, string? correlationId)
        {
            (string errorId, ApimErrorCategory category) = Classify(status, error);
            string text = errorId == ErrorIds.ServiceBusy
                ? $"{what} was refused: {BusyMessage} ({error.Code}: {error.Message}). Wait for it to finish (Wait-ApimOperation) before starting another."
                : $"{what} failed: {error.Code}: {error.Message}";
            return new ApimDrException(errorId, category, text, target)
            {
                HttpStatus = status,
                ArmCode = error.Code,
                ArmTarget = error.Target,
                RequestId = requestId,
                CorrelationId = correlationId,
            };
        }

        private static bool Contains(string? text, string value)
            => text != null && text.IndexOf(value, StringComparison.OrdinalIgnoreCase) >= 0;
    }
}
