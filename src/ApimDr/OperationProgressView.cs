using System;
using System.Collections.Generic;
using System.Management.Automation;
using ApimDr.Engine.Arm;

namespace ApimDr
{
    /// <summary>
    /// Write-Progress for one wait: a bar per operation (status, elapsed, next check) under an overall
    /// "n of N finished" bar. Activities are keyed by the operation's correlation id, which stays the
    /// same when ARM moves the operation to a new Location. Called on the pipeline thread only.
    /// </summary>
    internal sealed class OperationProgressView
    {
        private const int OverallActivityId = 1;
        private const string OverallActivity = "Waiting for APIM operations";
        private readonly Action<ProgressRecord> _write;
        private readonly Dictionary<string, int> _activityIds = new Dictionary<string, int>(StringComparer.Ordinal);
        private int _nextActivityId = OverallActivityId + 1;

        public OperationProgressView(Action<ProgressRecord> write) => _write = write;

        public void Progress(OperationProgress p, int done, int total)
        {
            ApimOperation op = p.Operation;
            string elapsed = FormatElapsed(p.Elapsed);
            Overall(done, total);
            _write(new ProgressRecord(ActivityIdFor(op), $"{op.Kind} {op.Name}",
                p.NextPollAt.HasValue ? $"{p.Status}, {elapsed} elapsed, next check {p.NextPollAt.Value.ToLocalTime():HH:mm:ss}" : $"{p.Status}, {elapsed} elapsed")
            {
                ParentActivityId = OverallActivityId,
            });
        }

        /// <summary>The operation's bar ends (it finished, or the wait for it stopped).</summary>
        public void End(ApimOperation op)
            => _write(new ProgressRecord(ActivityIdFor(op), $"{op.Kind} {op.Name}", op.Status)
            {
                ParentActivityId = OverallActivityId,
                RecordType = ProgressRecordType.Completed,
            });

        public void Overall(int done, int total)
            => _write(new ProgressRecord(OverallActivityId, OverallActivity, $"{done} of {total} finished")
            {
                PercentComplete = total == 0 ? 100 : (int)(100.0 * done / total),
            });

        public void Done() => _write(new ProgressRecord(OverallActivityId, OverallActivity, "Done") { RecordType = ProgressRecordType.Completed });

        private int ActivityIdFor(ApimOperation op)
        {
            string key = op.CorrelationId.Length > 0 ? op.CorrelationId : op.ResourceId;
            if (!_activityIds.TryGetValue(key, out int id))
            {
                id = _nextActivityId++;
                _activityIds[key] = id;
            }
            return id;
        }

        private static string FormatElapsed(TimeSpan elapsed)
            => elapsed.TotalHours >= 1 ? elapsed.ToString(@"h\:mm\:ss") : elapsed.ToString(@"m\:ss");
    }
}
