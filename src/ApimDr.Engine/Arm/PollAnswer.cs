using System;

namespace ApimDr.Engine.Arm
{
    /// <summary>What one poll returned, read out of the response before the message is disposed.</summary>
    internal sealed class PollAnswer
    {
        public PollAnswer(int status, string reasonPhrase, string body, TimeSpan nextInterval, string? requestId, TimeSpan? retryAfter = null, Uri? location = null)
        {
            Status = status;
            ReasonPhrase = reasonPhrase;
            Body = body;
            NextInterval = nextInterval;
            RequestId = requestId;
            RetryAfter = retryAfter;
            Location = location;
        }

        public int Status { get; }
        public string ReasonPhrase { get; }
        public string Body { get; }

        /// <summary>Retry-After (or the default), floored by the client's minimum poll interval.</summary>
        public TimeSpan NextInterval { get; }

        public string? RequestId { get; }

        /// <summary>The service's own Retry-After, when it sent one.</summary>
        public TimeSpan? RetryAfter { get; }

        /// <summary>The Location header of the answer (resolved against the ARM endpoint), when there is one.</summary>
        public Uri? Location { get; }
    }
}
