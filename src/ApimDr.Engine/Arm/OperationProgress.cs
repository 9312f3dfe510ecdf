using System;

namespace ApimDr.Engine.Arm
{
    /// <summary>One poll's news about one operation, for Write-Progress.</summary>
    public sealed class OperationProgress
    {
        public OperationProgress(ApimOperation operation, string status, TimeSpan elapsed, DateTimeOffset? nextPollAt)
        {
            Operation = operation;
            Status = status;
            Elapsed = elapsed;
            NextPollAt = nextPollAt;
        }

        public ApimOperation Operation { get; }
        public string Status { get; }
        public TimeSpan Elapsed { get; }
        public DateTimeOffset? NextPollAt { get; }
    }
}
