using System;

namespace ApimDr.Engine.Arm
{
    /// <summary>What one poll returned, read out of the response before the message is disposed.</summary>
    internal sealed class PollAnswer
    {
        public PollAnswer(int status, string reasonPhrase, string body, TimeSpan nextInterval, string? requestId)
        {
            Status = status;
            ReasonPhrase = reasonPhrase;
            Body = body;
            NextInterval = nextInterval;
            RequestId = requestId;
        }

        public int Status { get; }
        public string ReasonPhrase { get; }
        public string Body { get; }

        /// <summary>Retry-After (or the default), floored by the client's minimum poll interval.</summary>
        public TimeSpan NextInterval { get; }

        public string? RequestId { get; }
    }
}
