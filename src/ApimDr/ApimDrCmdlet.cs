using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Credentials;

namespace ApimDr
{
    /// <summary>
    /// Base of every ApimDr cmdlet: one CancellationTokenSource per invocation, cancelled by Ctrl+C
    /// (StopProcessing); engine work runs off the pipeline thread while the pipeline thread drains a
    /// queue of actions the work posts back (Write*, Write-Progress, Get-AzAccessToken): PowerShell
    /// only allows those on the pipeline thread. Keep engine types out of fields and signatures here:
    /// PowerShell reflects over cmdlet types at import, before the engine's load context exists.
    /// </summary>
    public abstract class ApimDrCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private BlockingCollection<Action>? _pipelineQueue;

        protected CancellationToken CancelToken => _stop.Token;

        /// <summary>Whether Az.Accounts is loaded with a signed-in context (asked once, on the pipeline thread).</summary>
        private protected bool AzContextSignedIn => _azContextKey != null;

        /// <summary>The signed-in Az context's environment (AzureCloud, AzureChinaCloud…), if any.</summary>
        private protected string? AzContextEnvironment { get; private set; }

        private string? _azContextKey;

        protected override void BeginProcessing()
        {
            var context = AzContext.SignedIn(this);
            _azContextKey = context?.Key;
            AzContextEnvironment = context?.Environment;
        }

        /// <summary>
        /// Identity in the order of docs/design.md (Cmdlet layer, "Identity order"): a static token when
        /// given, else the signed-in Az context (Get-AzAccessToken marshalled onto the pipeline thread),
        /// else DefaultAzureCredential.
        /// </summary>
        private protected CredentialSource CreateCredentials(System.Security.SecureString? staticToken)
        {
            if (staticToken != null) return new CredentialSource { AccessToken = staticToken };
            if (AzContextSignedIn)
            {
                // Keyed by account|tenant|environment and served by whichever ApimDr command is running
                // (AzTokenBroker), so the shared pipeline neither pins this cmdlet nor grows per call.
                return new CredentialSource { TokenProvider = AzTokenBroker.Provider, IdentityKey = "az|" + _azContextKey };
            }
            return CredentialSource.Default();
        }

        protected override void StopProcessing() => _stop.Cancel();

        /// <summary>
        /// Runs engine work on a worker thread and pumps posted actions on this (pipeline) thread until
        /// it finishes. Ctrl+C cancels the work and ends the call with PipelineStoppedException.
        /// </summary>
        protected T Run<T>(Func<CancellationToken, Task<T>> work)
        {
            var queue = new BlockingCollection<Action>();
            BlockingCollection<Action>? outer = _pipelineQueue;
            _pipelineQueue = queue;
            try
            {
                Task<T> task = Task.Run(() =>
                {
                    AzTokenBroker.Current = this;   // flows with this work only (AsyncLocal)
                    return work(_stop.Token);
                });
                task.ContinueWith(_ => queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                foreach (Action action in queue.GetConsumingEnumerable())
                {
                    action();
                }
                return task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            finally
            {
                _pipelineQueue = outer;
                queue.Dispose();
            }
        }

        /// <summary>Queues an action for the pipeline thread (from engine callbacks on worker threads).</summary>
        protected void Post(Action action)
        {
            BlockingCollection<Action>? queue = _pipelineQueue;
            if (queue == null)
            {
                action();
                return;
            }
            try
            {
                queue.Add(action);
            }
            catch (InvalidOperationException)
            {
                // The work already finished; nothing is listening any more.
            }
        }

        /// <summary>Runs a function on the pipeline thread and gives its result to a worker thread.</summary>
        internal Task<TResult> InvokeOnPipelineThread<TResult>(Func<TResult> function)
        {
            var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_pipelineQueue == null)
            {
                completion.SetException(new InvalidOperationException("No pipeline-thread pump is running."));
                return completion.Task;
            }
            Post(() =>
            {
                try
                {
                    completion.SetResult(function());
                }
                catch (Exception ex)
                {
                    completion.SetException(ex);
                }
            });
            return completion.Task;
        }

        /// <summary>
        /// ShouldProcess with the -Force convention: -Force skips the prompt, never -WhatIf or an explicit
        /// -Confirm. A host that cannot prompt (runbook, CI) gets ConfirmationRequired, never a silent yes.
        /// </summary>
        private protected bool ShouldProcessUnlessForced(bool force, string target, string action)
        {
            if (force && !MyInvocation.BoundParameters.ContainsKey("Confirm"))
            {
                bool whatIf = LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"))
                    || (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && LanguagePrimitives.IsTrue(w));
                return !whatIf || ShouldProcess(target, action);
            }
            try
            {
                return ShouldProcess(target, action);
            }
            catch (Exception ex) when (!(ex is PipelineStoppedException))
            {
                // Whatever the host throws when it cannot prompt (PSInvalidOperationException with -NonInteractive,
                // HostException, NotImplementedException, a NullReferenceException from `pwsh -File` with no stdin…).
                throw new Engine.Errors.ApimDrException(Engine.Errors.ErrorIds.ConfirmationRequired, Engine.Errors.ApimErrorCategory.InvalidOperation,
                    $"'{action}' on '{target}' needs confirmation, which this host cannot ask for. Pass {(MyInvocation.MyCommand.Parameters.ContainsKey("Force") ? "-Force or " : string.Empty)}-Confirm:$false.", target, ex);
            }
        }

        /// <summary>Refuses an unusable static token (empty, whitespace, "Bearer …") as a terminating InvalidAccessToken error, before any request.</summary>
        private protected void RefuseInvalidAccessToken(System.Security.SecureString? token)
        {
            try
            {
                CredentialSource.ValidateAccessToken(token);
            }
            catch (Engine.Errors.ApimDrException ex)
            {
                ThrowTerminatingError(ErrorRecords.From(ex, null));
            }
        }

        /// <summary>Writes a non-terminating error for one failed target.</summary>
        protected void WriteFailure(Exception exception, object? target) => WriteError(ErrorRecords.From(exception, target));

        public void Dispose()
        {
            _stop.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
