using System;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Arm
{
    public enum ArmLogLevel
    {
        /// <summary>One line per request: method, URL without secrets, status, duration, x-ms-request-id.</summary>
        Verbose,

        /// <summary>Redacted detail: allow-listed headers and body fields.</summary>
        Debug,
    }

    /// <summary>Everything an <see cref="ArmClient"/> needs, in BCL and engine types.</summary>
    public sealed class ArmClientOptions
    {
        public CloudEnvironment Cloud { get; set; } = CloudEnvironment.AzureCloud;
        public CredentialSource Credentials { get; set; } = CredentialSource.Default();

        /// <summary>Receives the redacted request log; called on worker threads. Null: no line is built at all.</summary>
        public Action<ArmLogLevel, string>? Log { get; set; }

        /// <summary>Whether <see cref="Log"/> takes Debug lines; when not, their detail (headers, redacted bodies) is never built.</summary>
        public bool LogDebug { get; set; } = true;

        /// <summary>The clock every wait goes through (tests use virtual time).</summary>
        public TimeProvider Time { get; set; } = TimeProvider.System;

        /// <summary>Used when the service sends no Retry-After (docs/arm-protocol.md §3).</summary>
        public TimeSpan DefaultRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>The poller never polls faster than this nor than the service's Retry-After.</summary>
        public TimeSpan MinimumPollInterval { get; set; } = TimeSpan.Zero;

        /// <summary>How long nothing but failed checks (5xx, transport errors) may go on before a wait stops as "outcome unknown".</summary>
        public TimeSpan MaxUnhealthyPollStreak { get; set; } = TimeSpan.FromMinutes(15);

        /// <summary>After Ctrl+C, how long a backup/restore POST already sent may still take to answer (so it can be journaled).</summary>
        public TimeSpan StartAnswerGrace { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Retries of one request (throttling, 5xx, transport errors) before its outcome counts.</summary>
        public int MaxRetries { get; set; } = 6;

        /// <summary>Tests replace the HTTP transport; production uses Azure.Core's default.</summary>
        internal HttpPipelineTransport? Transport { get; set; }
    }
}
