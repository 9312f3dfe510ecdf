using System;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// What the poller reports, per operation. Invoked on worker threads: the cmdlet layer queues
    /// them to the pipeline thread.
    /// </summary>
    public sealed class PollCallbacks
    {
        /// <summary>After each poll that left the operation running.</summary>
        public Action<OperationProgress>? Progress { get; set; }

        /// <summary>Terminal: Succeeded, Failed or Canceled (failures carry ErrorId/ErrorCode/ErrorMessage).</summary>
        public Action<ApimOperation>? Completed { get; set; }

        /// <summary>The wait for this operation stopped, but the operation may still run on the service.</summary>
        public Action<ApimOperation, ApimDrException>? Abandoned { get; set; }

        /// <summary>
        /// Asked once after a poll answered 404: whether the operation's backup blob exists (null: cannot tell,
        /// e.g. no storage access). Unset: not checked.
        /// </summary>
        public Func<ApimOperation, CancellationToken, Task<bool?>>? BackupBlobExists { get; set; }
    }
}
