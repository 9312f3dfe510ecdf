using System;
using System.Globalization;

namespace ApimDr
{
    /// <summary>
    /// THE operation record: a backup or restore of an APIM service, as the engine tracks it and as the
    /// user gets it (Backup-/Restore-ApimService, Wait-ApimOperation, Get-ApimOperation). Plain data
    /// with no secret: it survives Export-Clixml/Import-Clixml and ConvertTo-Json/ConvertFrom-Json, and
    /// <see cref="FromProperties"/> turns any of those shapes back into this record (the one factory the
    /// cmdlets and the tests share). Times are UTC <see cref="DateTime"/>s: CliXml and JSON round-trip them.
    /// To add a field: add the property here and one line in <see cref="FromProperties"/>.
    /// </summary>
    public sealed class ApimOperation
    {
        public const string InProgress = "InProgress";
        public const string Succeeded = "Succeeded";
        public const string Failed = "Failed";
        public const string Canceled = "Canceled";

        /// <summary>The start's outcome is not known (journal only): the POST may or may not have been taken.</summary>
        public const string Unknown = "Unknown";

        public const string LocationStyle = "Location";
        public const string AzureAsyncOperationStyle = "AzureAsyncOperation";

        /// <summary>Backup or Restore.</summary>
        public string Kind { get; set; } = "Backup";
        public string Status { get; set; } = InProgress;
        public string Name { get; set; } = string.Empty;
        public string ResourceGroupName { get; set; } = string.Empty;
        public string SubscriptionId { get; set; } = string.Empty;
        public string ResourceId { get; set; } = string.Empty;
        public string StorageAccountName { get; set; } = string.Empty;
        public string ContainerName { get; set; } = string.Empty;
        public string BackupName { get; set; } = string.Empty;

        /// <summary>AccessKey, SystemAssignedManagedIdentity or UserAssignedManagedIdentity.</summary>
        public string AccessType { get; set; } = string.Empty;

        public DateTime StartTime { get; set; }
        public DateTime? EndTime { get; set; }

        /// <summary>How long it ran (to EndTime, or until now while in progress).</summary>
        public TimeSpan Duration => (EndTime ?? DateTime.UtcNow) - StartTime;

        /// <summary>The ARM URL to poll (Location or Azure-AsyncOperation), byte for byte as the service sent it.</summary>
        public Uri? PollUrl { get; set; }

        /// <summary><see cref="LocationStyle"/> or <see cref="AzureAsyncOperationStyle"/>: chosen by which header came back.</summary>
        public string PollStyle { get; set; } = LocationStyle;

        /// <summary>When the service said to check again (its Retry-After); a resumed wait does not poll earlier.</summary>
        public DateTime? NextPollAt { get; set; }

        /// <summary>Where it was started. Informational: a wait never sends a token to an endpoint read from here.</summary>
        public Uri? ResourceManagerUrl { get; set; }

        /// <summary>x-ms-correlation-request-id of the POST and its polls; also the journal's key.</summary>
        public string CorrelationId { get; set; } = string.Empty;

        /// <summary>The ApimDr ErrorId of a failure (SkuMismatch, BackupExpired, …; docs/errors.md).</summary>
        public string? ErrorId { get; set; }
        public string? ErrorCode { get; set; }
        public string? ErrorMessage { get; set; }
        public int? HttpStatus { get; set; }

        /// <summary>x-ms-request-id of the response that decided the outcome, for a support ticket.</summary>
        public string? RequestId { get; set; }

        public string? Sku { get; set; }
        public int PollCount { get; set; }

        /// <summary>Succeeded, Failed and Canceled are the service's verdicts and final; anything else may be resumed.</summary>
        public bool IsTerminal => IsTerminalStatus(Status);

        public static bool IsTerminalStatus(string? status)
            => string.Equals(status, Succeeded, StringComparison.OrdinalIgnoreCase) || string.Equals(status, Failed, StringComparison.OrdinalIgnoreCase)
               || string.Equals(status, Canceled, StringComparison.OrdinalIgnoreCase);

        /// <summary>A snapshot of the record as it is now (the live record goes on changing while a wait runs).</summary>
        public ApimOperation Copy() => (ApimOperation)MemberwiseClone();

        /// <summary>
        /// The one way back from a deserialized operation (a CliXml property bag, a ConvertFrom-Json
        /// object, a JSON document's properties, or a live record) to the record: <paramref name="property"/>
        /// returns a property's value by name (case-insensitive), or null. Only the poll URL and the
        /// resource id are indispensable; the caller validates both.
        /// </summary>
        public static ApimOperation FromProperties(Func<string, object?> property)
        {
            if (property == null) throw new ArgumentNullException(nameof(property));
            string? Text(string name) => property(name) is object value ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
            string TextOr(string name, string fallback) => Text(name) is string s && s.Length > 0 ? s : fallback;
            return new ApimOperation
            {
                Kind = TextOr(nameof(Kind), "Backup"),
                Status = TextOr(nameof(Status), InProgress),
                Name = TextOr(nameof(Name), string.Empty),
                ResourceGroupName = TextOr(nameof(ResourceGroupName), string.Empty),
                SubscriptionId = TextOr(nameof(SubscriptionId), string.Empty),
                ResourceId = TextOr(nameof(ResourceId), TextOr(nameof(ApimBackup.SourceServiceId), string.Empty)),   // a catalog entry names its source
                StorageAccountName = TextOr(nameof(StorageAccountName), string.Empty),
                ContainerName = TextOr(nameof(ContainerName), string.Empty),
                BackupName = TextOr(nameof(BackupName), string.Empty),
                AccessType = TextOr(nameof(AccessType), string.Empty),
                StartTime = Time(property(nameof(StartTime))) ?? DateTime.UtcNow,
                EndTime = Time(property(nameof(EndTime))),
                PollUrl = Url(property(nameof(PollUrl))),
                PollStyle = TextOr(nameof(PollStyle), LocationStyle),
                NextPollAt = Time(property(nameof(NextPollAt))),
                ResourceManagerUrl = Url(property(nameof(ResourceManagerUrl))),
                CorrelationId = TextOr(nameof(CorrelationId), Guid.NewGuid().ToString()),
                ErrorId = Text(nameof(ErrorId)),
                ErrorCode = Text(nameof(ErrorCode)),
                ErrorMessage = Text(nameof(ErrorMessage)),
                HttpStatus = int.TryParse(Text(nameof(HttpStatus)), NumberStyles.Integer, CultureInfo.InvariantCulture, out int status) ? status : (int?)null,
                RequestId = Text(nameof(RequestId)),
                Sku = Text(nameof(Sku)),
                PollCount = int.TryParse(Text(nameof(PollCount)), NumberStyles.Integer, CultureInfo.InvariantCulture, out int polls) ? polls : 0,
            };
        }

        /// <summary>A time as UTC, from a DateTime (Unspecified taken as UTC), a DateTimeOffset or an ISO 8601 string.</summary>
        private static DateTime? Time(object? value) => value switch
        {
            DateTime time => time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime(),
            DateTimeOffset offset => offset.UtcDateTime,
            string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed) => parsed.UtcDateTime,
            _ => null,
        };

        private static Uri? Url(object? value) => value switch
        {
            Uri uri => uri,
            string text when text.Length > 0 && Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out Uri? parsed) => parsed,
            _ => null,
        };

        /// <summary>
        /// "Backup prod Succeeded"; while it may still run, also the command that resumes the wait, so a
        /// redirected Information stream (6&gt;file) or a transcript alone is enough to resume it.
        /// </summary>
        public override string ToString()
        {
            if (IsTerminal || PollUrl == null) return $"{Kind} {Name} {Status}";
            string endpoint = ResourceManagerUrl == null || !ResourceManagerUrl.IsAbsoluteUri ? string.Empty
                : $" -ResourceManagerUrl '{ResourceManagerUrl.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped)}'";
            string url = PollUrl.IsAbsoluteUri ? PollUrl.AbsoluteUri : PollUrl.OriginalString;
            return $"{Kind} {Name} {Status}; resume: Wait-ApimOperation -Kind {Kind} -ResourceId '{ResourceId}' -PollUrl '{url}'{endpoint}";
        }
    }
}
