using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace ApimDr
{
    /// <summary>
    /// Base of every ApimDr cmdlet: one CancellationTokenSource per invocation, cancelled by Ctrl+C
    /// (StopProcessing), and the single place engine exceptions become ErrorRecords.
    /// Keep engine types out of fields and signatures here: PowerShell reflects over cmdlet types at
    /// import, before the engine's load context is needed.
    /// </summary>
    public abstract class ApimDrCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        protected CancellationToken Stopping => _stop.Token;

        protected override void StopProcessing() => _stop.Cancel();

        /// <summary>Runs engine work to completion on a worker thread; Ctrl+C cancels it.</summary>
        protected T Run<T>(Func<CancellationToken, Task<T>> work)
        {
            try
            {
                return Task.Run(() => work(_stop.Token)).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>Writes a non-terminating error for one failed target.</summary>
        protected void WriteFailure(Exception exception, object? target) => WriteError(ErrorRecords.From(exception, target));

        /// <summary>Stops the whole call: only when nothing else can proceed.</summary>
        protected void ThrowFailure(Exception exception, object? target) => ThrowTerminatingError(ErrorRecords.From(exception, target));

        public void Dispose()
        {
            _stop.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
