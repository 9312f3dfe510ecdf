using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;

namespace ApimDr
{
    /// <summary>
    /// What every ApimDr cmdlet's invocation shares, by composition (docs/design.md, "Cmdlet layer"): one
    /// CancellationTokenSource cancelled by Ctrl+C (the cmdlet's StopProcessing calls <see cref="Stop"/>);
    /// engine work runs off the pipeline thread while the pipeline thread drains a queue of actions the
    /// work posts back (Write*, Write-Progress, ShouldProcess, Get-AzAccessToken): PowerShell only allows
    /// those on the pipeline thread. Also the identity order and the -Force/ShouldProcess convention.
    /// </summary>
    internal sealed class CommandSession : IDisposable
    {
        private readonly PSCmdlet _cmdlet;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private BlockingCollection<Action>? _pipelineQueue;
        private string? _azContextKey;

        public CommandSession(PSCmdlet cmdlet) => _cmdlet = cmdlet;

        public CancellationToken CancelToken => _stop.Token;

        /// <summary>The signed-in Az context's environment (AzureCloud, AzureChinaCloud…), if any.</summary>
        public string? AzContextEnvironment { get; private set; }

        /// <summary>Whether Az.Accounts is loaded with a signed-in context (asked once, in <see cref="Begin"/>).</summary>
        public bool AzContextSignedIn => _azContextKey != null;

        /// <summary>Asks Az.Accounts for a signed-in context, on the pipeline thread (BeginProcessing).</summary>
        public void Begin()
        {
            var context = AzContext.SignedIn(_cmdlet);
            _azContextKey = context?.Key;
            AzContextEnvironment = context?.Environment;
        }

        public void Stop() => _stop.Cancel();

        /// <summary>
        /// Identity in the order of docs/design.md (Cmdlet layer, "Identity order"): a static token when
        /// given, else the signed-in Az context (Get-AzAccessToken marshalled onto the pipeline thread),
        /// else DefaultAzureCredential.
        /// </summary>
        public CredentialSource CreateCredentials(SecureString? staticToken)
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

        /// <summary>
        /// The user's cloud: -ResourceManagerUrl, else -Environment, else the signed-in Az context's cloud,
        /// else AzureCloud. Every cmdlet resolves it here (ARM and storage alike).
        /// </summary>
        public CloudEnvironment ResolveCloud(string? environment, Uri? resourceManagerUrl)
        {
            if (resourceManagerUrl != null) return CloudEnvironment.ForResourceManagerUrl(resourceManagerUrl);
            if (!string.IsNullOrEmpty(environment)) return CloudEnvironment.Get(environment!);
            if (AzContextEnvironment != null && CloudEnvironment.KnownNames.Contains(AzContextEnvironment, StringComparer.OrdinalIgnoreCase))
            {
                return CloudEnvironment.Get(AzContextEnvironment);
            }
            return CloudEnvironment.AzureCloud;
        }

        /// <summary>The subscription when the caller named none: the Az context's, else AZURE_SUBSCRIPTION_ID.</summary>
        public string? DefaultSubscriptionId()
        {
            if (AzContextSignedIn)
            {
                string? fromContext = AzContext.SubscriptionId(_cmdlet);
                if (!string.IsNullOrEmpty(fromContext)) return fromContext;
            }
            string? fromEnvironment = System.Environment.GetEnvironmentVariable("AZURE_SUBSCRIPTION_ID");
            return string.IsNullOrEmpty(fromEnvironment) ? null : fromEnvironment;
        }

        /// <summary>
        /// Runs engine work on a worker thread and pumps posted actions on this (pipeline) thread until
        /// it finishes. Ctrl+C cancels the work and ends the call with PipelineStoppedException.
        /// </summary>
        public T Run<T>(Func<CancellationToken, Task<T>> work)
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
                Exception? deferred = null;
                foreach (Action action in queue.GetConsumingEnumerable())
                {
                    try
                    {
                        action();
                    }
                    catch (Exception ex)
                    {
                        // A Write* that throws (-WarningAction Stop, -Debug's Inquire in a non-interactive host, a
                        // downstream Select-Object -First) must not lose what the other operations still write:
                        // keep pumping, raise the first failure when the work is done. A stop from downstream
                        // also cancels the work.
                        deferred ??= ex;
                        if (ex is PipelineStoppedException) _stop.Cancel();
                    }
                }
                if (deferred != null)
                {
                    _ = task.Exception;   // observed: the deferred failure is what the caller gets
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(deferred).Throw();
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
        public void Post(Action action)
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
        public Task<TResult> InvokeOnPipelineThread<TResult>(Func<TResult> function)
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

        /// <summary>Get-AzAccessToken on the pipeline thread (AzTokenBroker's provider).</summary>
        public Task<ExternalToken> GetAzAccessTokenAsync(string[] scopes) => InvokeOnPipelineThread(() => AzContext.GetAccessToken(_cmdlet, scopes));

        /// <summary>
        /// ShouldProcess with the -Force convention: -Force skips the prompt, never -WhatIf or an explicit
        /// -Confirm. A host that cannot prompt (runbook, CI) gets ConfirmationRequired, never a silent yes.
        /// Call on the pipeline thread, or from engine work through <see cref="InvokeOnPipelineThread"/>.
        /// </summary>
        public bool ShouldProcessUnlessForced(bool force, string target, string action)
        {
            if (force && !_cmdlet.MyInvocation.BoundParameters.ContainsKey("Confirm"))
            {
                return !WhatIf || _cmdlet.ShouldProcess(target, action);
            }
            try
            {
                return _cmdlet.ShouldProcess(target, action);
            }
            catch (Exception ex) when (!(ex is PipelineStoppedException))
            {
                // Whatever the host throws when it cannot prompt (PSInvalidOperationException with -NonInteractive,
                // HostException, NotImplementedException, a NullReferenceException from `pwsh -File` with no stdin…).
                throw new ApimDrException(ErrorIds.ConfirmationRequired, ApimErrorCategory.InvalidOperation,
                    $"'{action}' on '{target}' needs confirmation, which this host cannot ask for. Pass {(_cmdlet.MyInvocation.MyCommand.Parameters.ContainsKey("Force") ? "-Force or " : string.Empty)}-Confirm:$false.", target, ex);
            }
        }

        /// <summary>Whether this invocation runs under -WhatIf (the parameter or $WhatIfPreference).</summary>
        public bool WhatIf => LanguagePrimitives.IsTrue(_cmdlet.GetVariableValue("WhatIfPreference"))
            || (_cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && LanguagePrimitives.IsTrue(w));

        /// <summary>Refuses an unusable static token (empty, whitespace, "Bearer …") as a terminating InvalidAccessToken error, before any request.</summary>
        public void RefuseInvalidAccessToken(SecureString? token)
        {
            try
            {
                CredentialSource.ValidateAccessToken(token);
            }
            catch (ApimDrException ex)
            {
                _cmdlet.ThrowTerminatingError(ErrorRecords.From(ex, null));
            }
        }

        /// <summary>Writes a non-terminating error for one failed target.</summary>
        public void WriteFailure(Exception exception, object? target) => _cmdlet.WriteError(ErrorRecords.From(exception, target));

        /// <summary>A warning, on the pipeline thread.</summary>
        public void WriteWarning(string message) => _cmdlet.WriteWarning(message);

        /// <summary>A warning from engine work, written on the pipeline thread.</summary>
        public void PostWarning(string? message)
        {
            if (message != null) Post(() => _cmdlet.WriteWarning(message));
        }

        public void Dispose() => _stop.Dispose();
    }
}
