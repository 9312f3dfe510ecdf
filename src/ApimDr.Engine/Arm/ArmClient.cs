using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace ApimDr.Engine.Arm
{
    /// <summary>Talks to Azure Resource Manager about one cloud with one credential: where a backup or restore starts.</summary>
    public sealed class ArmClient : IDisposable
    {
        public const string ApiVersion = "2024-05-01";

        private readonly HttpPipeline _pipeline;
        private readonly DateTimeOffset? _staticTokenExpiry;

        public ArmClient(ArmClientOptions options)
        {
            Options = options ?? throw new ArgumentNullException(nameof(options));
            _pipeline = ArmPipelineFactory.Get(options);
            _staticTokenExpiry = options.Credentials.GetAccessTokenExpiry();
        }

        public ArmClientOptions Options { get; }

        /// <summary>When the static -AccessToken expires, if known: the poller stops before sending a dead token.</summary>
        internal DateTimeOffset? StaticTokenExpiry => _staticTokenExpiry;

        public async Task<ServiceInfo> GetServiceAsync(ServiceId service, CancellationToken cancellationToken)
        {
            string correlationId = Guid.NewGuid().ToString();
            using HttpMessage message = CreateMessage(RequestMethod.Get, ServiceUrl(service, null), correlationId);
            Response response = await SendAsync(message, isStart: false, $"Reading API Management service '{service.Name}'", service.ResourceId, correlationId, cancellationToken).ConfigureAwait(false);
            if (response.Status == 200) return ServiceInfo.Parse(response.Content.ToString());
            throw Error(response, $"Reading API Management service '{service.Name}'", service, correlationId);
        }

        /// <summary>The soft-deleted services of a subscription (one page; a subscription rarely holds more), read-only.</summary>
        public async Task<IReadOnlyList<DeletedService>> ListDeletedServicesAsync(ServiceId service, CancellationToken cancellationToken)
        {
            string correlationId = Guid.NewGuid().ToString();
            var url = new Uri(Options.Cloud.ResourceManagerUrl, $"subscriptions/{service.SubscriptionId}/providers/Microsoft.ApiManagement/deletedservices?api-version={ApiVersion}");
            using HttpMessage message = CreateMessage(RequestMethod.Get, url, correlationId);
            Response response = await SendAsync(message, isStart: false, "Listing soft-deleted API Management services", service.ResourceId, correlationId, cancellationToken).ConfigureAwait(false);
            if (response.Status == 200) return DeletedService.ParseList(response.Content.ToString());
            throw Error(response, "Listing soft-deleted API Management services", service, correlationId);
        }

        public Task<ApimOperation> StartBackupAsync(ServiceId service, BackupRestoreRequest request, CancellationToken cancellationToken, string? correlationId = null)
            => StartAsync(OperationKind.Backup, service, request, correlationId, cancellationToken);

        public Task<ApimOperation> StartRestoreAsync(ServiceId service, BackupRestoreRequest request, CancellationToken cancellationToken, string? correlationId = null)
            => StartAsync(OperationKind.Restore, service, request, correlationId, cancellationToken);

        /// <summary>POSTs …/backup or …/restore and reads the answer by the outcome table of docs/arm-protocol.md.</summary>
        public async Task<ApimOperation> StartAsync(OperationKind kind, ServiceId service, BackupRestoreRequest request, string? correlationId, CancellationToken cancellationToken)
        {
            if (service == null) throw new ArgumentNullException(nameof(service));
            if (request == null) throw new ArgumentNullException(nameof(request));
            request.Validate();
            string verb = kind == OperationKind.Backup ? "backup" : "restore";
            string what = $"Starting the {verb} of '{service.Name}'";
            correlationId ??= Guid.NewGuid().ToString();
            DateTimeOffset start = Options.Time.GetUtcNow();
            // Stopped before anything was sent: nothing to journal, nothing started.
            cancellationToken.ThrowIfCancellationRequested();

            using HttpMessage message = CreateMessage(RequestMethod.Post, ServiceUrl(service, verb), correlationId);
            message.Request.Headers.SetValue("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(request.ToBody());
            // Ctrl+C never abandons a POST in flight: its answer is awaited (bounded) so it can be journaled.
            using var grace = new CancellationTokenSource();
            using CancellationTokenRegistration onStop = cancellationToken.Register(() =>
            {
                try { grace.CancelAfter(Options.StartAnswerGrace); }
                catch (ObjectDisposedException) { }
            });
            Response response;
            try
            {
                response = await SendAsync(message, isStart: true, what, service.ResourceId, correlationId, grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (grace.IsCancellationRequested)
            {
                throw OutcomeUnknown(what, service.ResourceId, correlationId, $"it was stopped {Options.StartAnswerGrace.TotalSeconds:0} s after Ctrl+C without an answer", null, null);
            }
            if (response.Status >= 500)
            {
                ArmError error = ArmError.Parse(response.Content?.ToString(), response.Status, response.ReasonPhrase);
                throw OutcomeUnknown(what, service.ResourceId, correlationId, $"Resource Manager answered HTTP {response.Status} ({error.Code}: {error.Message})", response.Status, RequestIdOf(response));
            }
            if (response.Status != 200 && response.Status != 201 && response.Status != 202)
            {
                throw Error(response, what, service, correlationId);
            }

            ApimOperation state = Operations.ForStart(kind, service, request, Options.Cloud.ResourceManagerUrl, correlationId, start);
            state.RequestId = RequestIdOf(response);
            // Choose the polling style by which header came back, never by URL shape (docs/arm-protocol.md §2).
            if (TryGetUrl(response, "Azure-AsyncOperation", out Uri? statusUrl))
            {
                state.PollUrl = statusUrl;
                state.PollStyle = ApimOperation.AzureAsyncOperationStyle;
            }
            else if (TryGetUrl(response, "Location", out Uri? location))
            {
                state.PollUrl = location;
                state.PollStyle = ApimOperation.LocationStyle;
            }
            else if (response.Status == 202)
            {
                throw new ApimDrException(ErrorIds.ArmProtocolError, ApimErrorCategory.ProtocolError,
                    $"{what}: Resource Manager accepted the request (202) but sent no Location or Azure-AsyncOperation header to follow it.", service.ResourceId)
                { HttpStatus = 202, RequestId = state.RequestId, CorrelationId = correlationId };
            }
            else
            {
                // Finished synchronously: nothing to poll.
                state.PollUrl = ServiceUrl(service, null);
                state.Status = ApimOperation.Succeeded;
                state.EndTime = Options.Time.GetUtcNow().UtcDateTime;
                return state;
            }
            state.NextPollAt = (Options.Time.GetUtcNow() + PollInterval(response)).UtcDateTime;
            return state;
        }

        /// <summary>One GET of the operation's poll URL, exactly as the service gave it. The poller interprets the answer.</summary>
        internal async Task<PollAnswer> PollAsync(ApimOperation operation, CancellationToken cancellationToken)
        {
            using HttpMessage message = CreateMessage(RequestMethod.Get, operation.PollUrl!, operation.CorrelationId);
            ArmRetryPolicy.DisableFor(message);
            Response response = await SendAsync(message, isStart: false, $"Checking the {operation.Kind.ToLowerInvariant()} of '{operation.Name}'", operation.ResourceId, operation.CorrelationId, cancellationToken).ConfigureAwait(false);
            TryGetUrl(response, "Location", out Uri? location);
            return new PollAnswer(response.Status, response.ReasonPhrase, response.Content?.ToString() ?? string.Empty, PollInterval(response), RequestIdOf(response),
                RetryAfter.Read(response, Options.Time), location);
        }

        /// <summary>
        /// One read of the configuration reader (docs/arm-protocol.md §9): a GET, or a read-only POST such as
        /// <c>listValue</c> (marked safe to retry like a GET). The body of a 200; null for a 404 when
        /// <paramref name="notFoundIsNull"/> (an entity without a policy); any other answer is the mapped ARM error.
        /// Retries (429 with Retry-After, 5xx, transport errors) happen in <see cref="ArmRetryPolicy"/>.
        /// </summary>
        internal async Task<string?> ReadAsync(RequestMethod method, Uri url, ServiceId service, string correlationId, bool notFoundIsNull, CancellationToken cancellationToken)
        {
            string what = $"Reading the configuration of '{service.Name}'";
            using HttpMessage message = CreateMessage(method, url, correlationId);
            if (method == RequestMethod.Post) ArmRetryPolicy.MarkReadOnly(message);
            else ReadPacingPolicy.MarkPaced(message);   // GETs share the read budget (x-ms-ratelimit-remaining-subscription-reads, 429 Retry-After)
            Response response = await SendAsync(message, isStart: false, what, service.ResourceId, correlationId, cancellationToken).ConfigureAwait(false);
            if (response.Status == 200) return response.Content?.ToString() ?? string.Empty;
            if (response.Status == 404 && notFoundIsNull) return null;
            throw Error(response, what, service, correlationId);
        }

        /// <summary>The service's URL, or that of <paramref name="path"/> below it (already escaped), with the api-version and <paramref name="query"/>.</summary>
        internal Uri ServiceUrl(ServiceId service, string? path, string? query = null)
            => new Uri(Options.Cloud.ResourceManagerUrl, service.ResourceId.TrimStart('/') + (string.IsNullOrEmpty(path) ? string.Empty : "/" + path)
                + "?api-version=" + ApiVersion + (query == null ? string.Empty : "&" + query));

        /// <summary>How long to wait before the next poll: the service's Retry-After (or the default), never below the floor.</summary>
        internal TimeSpan PollInterval(Response response)
        {
            TimeSpan interval = RetryAfter.Read(response, Options.Time) ?? Options.DefaultRetryAfter;
            return interval > Options.MinimumPollInterval ? interval : Options.MinimumPollInterval;
        }

        internal static string? RequestIdOf(Response response)
        {
            if (!response.Headers.TryGetValue("x-ms-request-id", out string? value) || string.IsNullOrEmpty(value)) return null;
            // The header can appear twice; Azure.Core joins the values with commas.
            int comma = value!.IndexOf(',');
            return comma < 0 ? value : value.Substring(0, comma).Trim();
        }

        private static ApimDrException Error(Response response, string what, ServiceId service, string correlationId)
        {
            ArmError error = ArmError.Parse(response.Content?.ToString(), response.Status, response.ReasonPhrase);
            ApimDrException exception = ArmErrorMapping.ToException(response.Status, error, what, service.ResourceId, RequestIdOf(response), correlationId);
            if (exception.ErrorId == ErrorIds.ServiceNotFound)
            {
                exception = new ApimDrException(ErrorIds.ServiceNotFound, ApimErrorCategory.ObjectNotFound,
                    $"API Management service '{service.Name}' was not found in resource group '{service.ResourceGroupName}' of subscription '{service.SubscriptionId}' ({error.Code}: {error.Message}).", service.ResourceId)
                {
                    HttpStatus = exception.HttpStatus, ArmCode = exception.ArmCode, ArmTarget = exception.ArmTarget, RequestId = exception.RequestId, CorrelationId = correlationId,
                };
            }
            return exception;
        }

        /// <summary>The POST may have been taken: never resent, never called failed (docs/arm-protocol.md, outcome table).</summary>
        private static ApimDrException OutcomeUnknown(string what, string resourceId, string correlationId, string why, int? status, string? requestId, Exception? inner = null)
        {
            return new ApimDrException(ErrorIds.OperationOutcomeUnknown, ApimErrorCategory.ConnectionError,
                $"{what}: the outcome is unknown — {why}. The service may have started it, so ApimDr did not send it again. " +
                "Check before retrying: the service's provisioningState ('Updating' means it runs; Get-AzApiManagement or the portal), the backup in the catalog (Get-ApimBackup), and Get-ApimOperation.",
                resourceId, inner)
            { HttpStatus = status, RequestId = requestId, CorrelationId = correlationId };
        }

        private HttpMessage CreateMessage(RequestMethod method, Uri url, string correlationId)
        {
            HttpMessage message = _pipeline.CreateMessage();
            message.Request.Method = method;
            // Reset keeps the URL as given: the opaque operation id may end in '=' and every query parameter matters.
            message.Request.Uri.Reset(url);
            message.Request.Headers.SetValue("Accept", "application/json");
            RequestIdsPolicy.SetCorrelationId(message, correlationId);
            ArmLogPolicy.SetSink(message, Options.Log, Options.LogDebug);
            return message;
        }

        private async Task<Response> SendAsync(HttpMessage message, bool isStart, string what, string target, string correlationId, CancellationToken cancellationToken)
        {
            try
            {
                await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
                return message.Response;
            }
            catch (ApimDrException)
            {
                throw;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (AuthenticationFailedException ex)
            {
                throw new ApimDrException(ErrorIds.AuthenticationFailed, ApimErrorCategory.AuthenticationError,
                    $"{what}: could not get a token for {Options.Cloud.ArmScope}: {ex.Message}", target, ex) { CorrelationId = correlationId };
            }
            catch (Exception ex) when (ex is RequestFailedException || ex is IOException || ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                if (isStart && !ArmRetryPolicy.IsConnectFailure(ex))
                {
                    throw OutcomeUnknown(what, target, correlationId, $"the connection failed after the request was sent ({ex.Message})", null, null, ex);
                }
                throw new ApimDrException(ErrorIds.ConnectionFailed, ApimErrorCategory.ConnectionError,
                    $"{what}: could not reach Resource Manager at {Options.Cloud.ResourceManagerUrl} ({ex.Message}).", target, ex) { CorrelationId = correlationId };
            }
        }


        private bool TryGetUrl(Response response, string header, out Uri? url)
        {
            url = null;
            if (!response.Headers.TryGetValue(header, out string? value) || string.IsNullOrWhiteSpace(value)) return false;
            if (Uri.TryCreate(value, UriKind.Absolute, out Uri? absolute)) url = absolute;
            else if (Uri.TryCreate(Options.Cloud.ResourceManagerUrl, value, out Uri? relative)) url = relative;
            return url != null;
        }

        /// <summary>
        /// Who this client's requests speak for (a report's "who"): the claims of the ARM token its credential
        /// gives (cached by the credential, so usually no request), never the token. Unknown when no token can be
        /// had or it is not a JWT with claims.
        /// </summary>
        public async Task<TokenClaims> GetCallerAsync(CancellationToken cancellationToken)
        {
            try
            {
                AccessToken token = await ArmPipelineFactory.CredentialFor(Options).GetTokenAsync(new TokenRequestContext(new[] { Options.Cloud.ArmScope }), cancellationToken).ConfigureAwait(false);
                return TokenClaims.Parse(token.Token);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                return TokenClaims.Unknown;   // the report says "unknown"; the test itself already ran
            }
        }

        public void Dispose()
        {
            // The pipeline is shared (or, for a static token, simply dropped); nothing here owns a socket.
        }
    }
}
