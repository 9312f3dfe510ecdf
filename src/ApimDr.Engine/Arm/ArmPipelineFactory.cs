using System;
using System.Collections.Concurrent;
using ApimDr.Engine.Credentials;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// Builds the one Azure.Core pipeline per (cloud, credential): ARM retry rules, request ids,
    /// bearer token (refreshed before expiry by BearerTokenAuthenticationPolicy), the configuration reader's
    /// read pacing (<see cref="ReadPacingPolicy"/>), redacting log.
    /// Pipelines are cached so the credential's token cache survives across cmdlet calls.
    /// </summary>
    internal static class ArmPipelineFactory
    {
        private static readonly ConcurrentDictionary<(string Arm, string Identity, TimeProvider Time, object? Transport, int MaxRetries), HttpPipeline> Cache
            = new ConcurrentDictionary<(string, string, TimeProvider, object?, int), HttpPipeline>();

        /// <summary>How many pipelines the process holds (constant in a long session: one per cloud and identity).</summary>
        public static int CachedCount => Cache.Count;

        public static HttpPipeline Get(ArmClientOptions options)
        {
            // A static token's pipeline lives and dies with its client: no process-wide cache holds a user's token.
            // Shared pipelines are keyed by identity (never by a delegate, which would pin its caller and grow per call).
            string? identity = options.Credentials.SharingKey;
            if (identity == null) return Build(options);
            var key = (options.Cloud.ResourceManagerUrl.AbsoluteUri, identity, options.Time, (object?)options.Transport, options.MaxRetries);
            return Cache.GetOrAdd(key, _ => Build(options));
        }

        private static HttpPipeline Build(ArmClientOptions options)
        {
            var clientOptions = new ArmPipelineOptions { RetryPolicy = new ArmRetryPolicy(options.Time, options.MaxRetries) };
            // Azure.Core's default transport opens a connection per concurrent request: a wait over 1,000 operations
            // polls ~1,000 at once. A bounded pool makes them queue for a connection instead (issue 20, item 4).
            clientOptions.Transport = options.Transport ?? BoundedTransport.Value;
            // Our log policy is the only one: Azure's event-source logging would bypass the redaction allow-list.
            clientOptions.Diagnostics.IsLoggingEnabled = false;
            clientOptions.Diagnostics.IsDistributedTracingEnabled = false;
            clientOptions.Diagnostics.ApplicationId = "ApimDr";

            TokenCredential credential = CredentialFor(options);
            var pipelineOptions = new HttpPipelineOptions(clientOptions);
            pipelineOptions.PerCallPolicies.Add(new RequestIdsPolicy());
            pipelineOptions.PerRetryPolicies.Add(new BearerTokenAuthenticationPolicy(credential, options.Cloud.ArmScope));
            // One read budget per pipeline (cloud + identity: ARM's bucket is per subscription and principal), before the log so its ms is the request's own.
            pipelineOptions.PerRetryPolicies.Add(new ReadPacingPolicy(options.Time));
            pipelineOptions.PerRetryPolicies.Add(new ArmLogPolicy(options.Time));
            return HttpPipelineBuilder.Build(pipelineOptions);
        }

        /// <summary>The credential a client's requests carry: shared per (cloud, identity), else its own.</summary>
        internal static TokenCredential CredentialFor(ArmClientOptions options) => options.Credentials.SharingKey != null
            ? CredentialFactory.GetShared(options.Credentials, options.Cloud)
            : CredentialFactory.Create(options.Credentials, options.Cloud, options.Time);

        /// <summary>
        /// At most this many connections to one ARM host at a time: every read a fleet start can have in flight
        /// gets its own connection (ApimServiceCmdlet's 32 starts at once, each snapshot up to
        /// ConfigurationReader.MaxInFlight reads), while a wait over 1,000 operations still queues its polls
        /// instead of opening a connection per poll (docs/design.md, "A fleet starts at once").
        /// </summary>
        internal const int MaxConnectionsPerServer = 32 * Configuration.ConfigurationReader.MaxInFlight;

        private static readonly Lazy<HttpPipelineTransport> BoundedTransport = new Lazy<HttpPipelineTransport>(() =>
            new HttpClientTransport(new System.Net.Http.HttpClientHandler
            {
                AllowAutoRedirect = false,   // a 3xx is an answer the engine reads (docs/arm-protocol.md), never followed
                UseCookies = false,
                MaxConnectionsPerServer = MaxConnectionsPerServer,
            }));

        private sealed class ArmPipelineOptions : ClientOptions
        {
        }
    }
}
