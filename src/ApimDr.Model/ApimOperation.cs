using System;
using System.Globalization;
using System.Linq;

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

        /// <summary>The shape of this record: 2 carries the backup's location and the follow-ups; 1 (older saved objects) neither.</summary>
        public int FormatVersion { get; set; } = CurrentFormatVersion;

        public const int CurrentFormatVersion = 2;

        /// <summary>The blob endpoint of the backup's storage account (never with a key, SAS or userinfo). A wait uses it only when it is the account's standard host.</summary>
        public Uri? BlobEndpoint { get; set; }

        /// <summary>The cloud of the backup's storage account (AzureCloud, AzureChinaCloud, AzureUSGovernment, or Custom).</summary>
        public string? Environment { get; set; }

        /// <summary>
        /// What must still happen when the operation ends (<see cref="ApimFollowUp"/>): whichever wait sees the
        /// end runs them — in this process or another — and removes each one that was done.
        /// </summary>
        public string[] FollowUps { get; set; } = Array.Empty<string>();

        /// <summary>Whether follow-ups are still to be done (a wait that sees the end, or saw it, runs them).</summary>
        public bool HasPendingFollowUps => FollowUps != null && FollowUps.Length > 0;

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
            string? Text(string name) => PropertyValues.Text(property(name));
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
                StartTime = PropertyValues.Time(property(nameof(StartTime))) ?? DateTime.UtcNow,
                EndTime = PropertyValues.Time(property(nameof(EndTime))),
                PollUrl = PropertyValues.Url(property(nameof(PollUrl))),
                PollStyle = TextOr(nameof(PollStyle), LocationStyle),
                NextPollAt = PropertyValues.Time(property(nameof(NextPollAt))),
                ResourceManagerUrl = PropertyValues.Url(property(nameof(ResourceManagerUrl))),
                CorrelationId = TextOr(nameof(CorrelationId), Guid.NewGuid().ToString()),
                ErrorId = Text(nameof(ErrorId)),
                ErrorCode = Text(nameof(ErrorCode)),
                ErrorMessage = Text(nameof(ErrorMessage)),
                HttpStatus = PropertyValues.Int(property(nameof(HttpStatus))),
                RequestId = Text(nameof(RequestId)),
                Sku = Text(nameof(Sku)),
                PollCount = PropertyValues.Int(property(nameof(PollCount))) ?? 0,
                FormatVersion = PropertyValues.Int(property(nameof(FormatVersion))) ?? 1,   // saved before follow-ups existed
                BlobEndpoint = PropertyValues.Url(property(nameof(BlobEndpoint))),
                Environment = Text(nameof(Environment)),
                FollowUps = PropertyValues.Strings(property(nameof(FollowUps))),
            };
        }

        /// <summary>
        /// "Backup prod Succeeded"; while it may still run, also the command that resumes the wait, so a
        /// redirected Information stream (6&gt;file) or a transcript alone is enough to resume it; when it
        /// ended with follow-ups still to do, the command that completes them.
        /// </summary>
        public override string ToString()
        {
            bool resumable = !IsTerminal && PollUrl != null;
            if (!resumable && !(HasPendingFollowUps && PollUrl != null)) return $"{Kind} {Name} {Status}";
            return $"{Kind} {Name} {Status}; {(resumable ? "resume" : "complete")}: {ResumeCommand()}";
        }

        /// <summary>
        /// The Wait-ApimOperation command line that resumes this operation and runs its pending follow-ups
        /// (no secret: a follow-up that needs the storage key says so in its warning).
        /// </summary>
        public string ResumeCommand()
        {
            var line = new System.Text.StringBuilder("Wait-ApimOperation -Kind ").Append(Kind)
                .Append(" -ResourceId ").Append(Quote(ResourceId))
                .Append(" -PollUrl ").Append(Quote(PollUrl == null ? string.Empty : PollUrl.IsAbsoluteUri ? PollUrl.AbsoluteUri : PollUrl.OriginalString));
            if (ResourceManagerUrl != null && ResourceManagerUrl.IsAbsoluteUri)
            {
                line.Append(" -ResourceManagerUrl ").Append(Quote(ResourceManagerUrl.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped)));
            }
            if (HasPendingFollowUps)
            {
                line.Append(" -StorageAccountName ").Append(StorageAccountName).Append(" -ContainerName ").Append(ContainerName)
                    .Append(" -BackupName ").Append(Quote(BackupName)).Append(" -FollowUp ").Append(string.Join(",", FollowUps.Select(f => f.IndexOfAny(new[] { ':', '/' }) >= 0 ? Quote(f) : f)));
                if (BlobEndpoint != null && BlobEndpoint.IsAbsoluteUri) line.Append(" -BlobEndpoint ").Append(Quote(BlobEndpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)));
            }
            return line.ToString();
        }

        private static string Quote(string text) => "'" + text.Replace("'", "''") + "'";
    }
}
