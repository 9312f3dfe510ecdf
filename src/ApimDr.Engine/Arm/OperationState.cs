using System;
using System.Text.Json;
using System.Text.Json.Serialization;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// A running or finished backup/restore as plain data (ARCHITECTURE.md §6): no secret, survives a
    /// JSON round trip, so another process can resume the wait. The poller updates it in place.
    /// </summary>
    public sealed class OperationState
    {
        public const string InProgress = "InProgress";
        public const string Succeeded = "Succeeded";
        public const string Failed = "Failed";
        public const string Canceled = "Canceled";

        /// <summary>The start's outcome is not known (journal only): the POST may or may not have been taken.</summary>
        public const string Unknown = "Unknown";

        public const string LocationStyle = "Location";
        public const string AzureAsyncOperationStyle = "AzureAsyncOperation";

        private static readonly JsonSerializerOptions JsonOptions = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter() },
        };

        public OperationKind Kind { get; set; }
        public string ResourceId { get; set; } = string.Empty;
        public string SubscriptionId { get; set; } = string.Empty;
        public string ResourceGroupName { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;

        /// <summary>Exactly the URL the service returned (Location or Azure-AsyncOperation), used byte for byte.</summary>
        public Uri? PollUrl { get; set; }

        /// <summary><see cref="LocationStyle"/> or <see cref="AzureAsyncOperationStyle"/>: chosen by which header came back.</summary>
        public string PollStyle { get; set; } = LocationStyle;

        public Uri? ResourceManagerUrl { get; set; }
        public string StorageAccountName { get; set; } = string.Empty;
        public string ContainerName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;
        public StorageAccessType AccessType { get; set; }
        public DateTimeOffset StartTime { get; set; }
        public DateTimeOffset? EndTime { get; set; }
        public string Status { get; set; } = InProgress;
        public string? ErrorId { get; set; }
        public string? ErrorCode { get; set; }
        public string? ErrorMessage { get; set; }
        public int? HttpStatus { get; set; }

        /// <summary>x-ms-request-id of the response that decided the outcome, for a support ticket.</summary>
        public string? RequestId { get; set; }

        public string CorrelationId { get; set; } = string.Empty;
        public string? Sku { get; set; }
        public DateTimeOffset? NextPollAt { get; set; }
        public int PollCount { get; set; }

        /// <summary>Succeeded, Failed and Canceled are the service's verdicts and final; anything else may be resumed.</summary>
        [JsonIgnore]
        public bool IsTerminal => IsTerminalStatus(Status);

        public static bool IsTerminalStatus(string? status)
            => string.Equals(status, Succeeded, StringComparison.OrdinalIgnoreCase) || string.Equals(status, Failed, StringComparison.OrdinalIgnoreCase)
               || string.Equals(status, Canceled, StringComparison.OrdinalIgnoreCase);

        /// <summary>What is known of a backup/restore before its POST is answered (the journal's intent, and the base of the started state).</summary>
        public static OperationState ForStart(OperationKind kind, ServiceId service, BackupRestoreRequest request, Uri resourceManagerUrl, string correlationId, DateTimeOffset start)
            => new OperationState
            {
                Kind = kind,
                ResourceId = service.ResourceId,
                SubscriptionId = service.SubscriptionId,
                ResourceGroupName = service.ResourceGroupName,
                Name = service.Name,
                ResourceManagerUrl = resourceManagerUrl,
                StorageAccountName = request.StorageAccountName,
                ContainerName = request.ContainerName,
                BackupName = request.BackupName,
                AccessType = request.AccessType,
                StartTime = start,
                CorrelationId = correlationId,
                PollUrl = null,
            };

        public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

        /// <summary>Reads what <see cref="ToJson"/> wrote (or ConvertTo-Json of it); only the poll URL is indispensable.</summary>
        public static OperationState FromJson(string json)
        {
            OperationState? state;
            try
            {
                state = JsonSerializer.Deserialize<OperationState>(json ?? string.Empty, JsonOptions);
            }
            catch (Exception ex) when (ex is JsonException || ex is NotSupportedException || ex is ArgumentException || ex is UriFormatException)
            {
                throw Invalid("it is not an ApimDr operation in JSON: " + ex.Message, ex);
            }
            if (state == null) throw Invalid("it is empty.", null);
            if (state.PollUrl == null || !state.PollUrl.IsAbsoluteUri) throw Invalid("it has no absolute PollUrl.", null);
            if (string.IsNullOrEmpty(state.Status)) state.Status = InProgress;
            if (string.IsNullOrEmpty(state.PollStyle)) state.PollStyle = LocationStyle;
            if (state.ResourceManagerUrl == null) state.ResourceManagerUrl = new Uri(state.PollUrl.GetLeftPart(UriPartial.Authority) + "/");
            return state;
        }

        /// <summary>The failure as an exception, for the cmdlet layer's ErrorRecord; null unless Failed or Canceled.</summary>
        public ApimDrException? ToException()
        {
            if (!string.Equals(Status, Failed, StringComparison.OrdinalIgnoreCase) && !string.Equals(Status, Canceled, StringComparison.OrdinalIgnoreCase)) return null;
            (string classifiedId, ApimErrorCategory category) = ArmErrorMapping.ClassifyOperationFailure(new ArmError(ErrorCode ?? string.Empty, ErrorMessage ?? string.Empty));
            string id = ErrorId ?? classifiedId;
            string text = string.Equals(Status, Canceled, StringComparison.OrdinalIgnoreCase)
                ? $"The {Kind.ToString().ToLowerInvariant()} of '{Name}' was canceled by the service."
                : $"The {Kind.ToString().ToLowerInvariant()} of '{Name}' failed: {ErrorCode}: {ErrorMessage}";
            return new ApimDrException(id, category, text, ResourceId)
            {
                HttpStatus = HttpStatus,
                ArmCode = ErrorCode,
                RequestId = RequestId,
                CorrelationId = CorrelationId,
            };
        }

        private static ApimDrException Invalid(string why, Exception? inner)
            => new ApimDrException(ErrorIds.InvalidOperationObject, ApimErrorCategory.InvalidArgument,
                "Cannot resume this operation: " + why + " Pass the object Backup-ApimService or Restore-ApimService returned (live, from Import-Clixml, or its JSON).", null, inner);
    }
}
