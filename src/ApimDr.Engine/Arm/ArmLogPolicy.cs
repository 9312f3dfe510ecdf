using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Json;
using ApimDr.Engine.Security;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// The request log behind -Verbose and -Debug: one line per attempt for Verbose, redacted detail
    /// for Debug. Redaction is by allow-list (headers, query parameters, body fields), so a secret
    /// can only leak if someone adds its name here.
    /// </summary>
    internal sealed class ArmLogPolicy : HttpPipelinePolicy
    {
        private const string SinkProperty = "ApimDr.Log";
        private const string DebugProperty = "ApimDr.LogDebug";
        private const string Redacted = "REDACTED";

        private static readonly HashSet<string> SafeRequestHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "Accept", "Content-Type", "Content-Length", "User-Agent", "x-ms-client-request-id", "x-ms-correlation-request-id", "x-ms-return-client-request-id", "traceparent",
        };

        private static readonly HashSet<string> SafeResponseHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "Content-Type", "Content-Length", "Date", "Retry-After", "Location", "Azure-AsyncOperation", "x-ms-request-id", "x-ms-correlation-request-id",
            "x-ms-routing-request-id", "x-ms-client-request-id", "x-ms-failure-cause", "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-ratelimit-remaining-subscription-writes", "x-ms-ratelimit-remaining-subscription-resource-requests",
        };

        private static readonly HashSet<string> UrlHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Location", "Azure-AsyncOperation" };

        // The backup/restore body: everything but the storage key.
        private static readonly HashSet<string> SafeBodyFields = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "storageAccount", "containerName", "backupName", "accessType", "clientId",
        };

        private readonly TimeProvider _time;

        public ArmLogPolicy(TimeProvider time) => _time = time;

        public static Action<ArmLogLevel, string>? SinkOf(HttpMessage message)
            => message.TryGetProperty(SinkProperty, out object? value) ? value as Action<ArmLogLevel, string> : null;

        /// <param name="debug">Whether the sink takes Debug lines: without it their detail is never built (a body parsed twice per request).</param>
        public static void SetSink(HttpMessage message, Action<ArmLogLevel, string>? sink, bool debug)
        {
            if (sink == null) return;
            message.SetProperty(SinkProperty, sink);
            if (debug) message.SetProperty(DebugProperty, true);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
            => ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
            => ProcessAsync(message, pipeline, async: true);

        private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
        {
            if (!message.TryGetProperty(SinkProperty, out object? value) || !(value is Action<ArmLogLevel, string> log))
            {
                if (async) await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                else ProcessNext(message, pipeline);
                return;
            }

            bool debug = message.TryGetProperty(DebugProperty, out _);
            Request request = message.Request;
            string line = request.Method + " " + SanitizeUrl(request.Uri.ToString());
            if (debug) log(ArmLogLevel.Debug, "Request " + line + Environment.NewLine + DescribeHeaders(request.Headers, SafeRequestHeaders) + DescribeRequestBody(request));
            long started = _time.GetTimestamp();
            try
            {
                if (async) await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                else ProcessNext(message, pipeline);
            }
            catch (Exception ex)
            {
                long failedMs = (long)_time.GetElapsedTime(started).TotalMilliseconds;
                log(ArmLogLevel.Verbose, $"{line} failed after {failedMs} ms: {ex.GetType().Name}: {ex.Message}");
                throw;
            }
            Response response = message.Response;
            long ms = (long)_time.GetElapsedTime(started).TotalMilliseconds;
            response.Headers.TryGetValue("x-ms-request-id", out string? requestId);
            // ARM's read budget as it sends it (the bucket after this request), so -Verbose shows throttling coming.
            string remaining = response.Headers.TryGetValue(ReadPacingPolicy.RemainingReadsHeader, out string? reads) ? $", {ReadPacingPolicy.RemainingReadsHeader}: {reads}" : string.Empty;
            log(ArmLogLevel.Verbose, $"{line} -> {response.Status} {response.ReasonPhrase} ({ms} ms, x-ms-request-id: {requestId ?? "none"}{remaining})");
            if (debug) log(ArmLogLevel.Debug, $"Response {response.Status} for {line}" + Environment.NewLine + DescribeHeaders(response.Headers, SafeResponseHeaders) + DescribeResponseBody(response));
        }

        /// <summary>The URL with every query value but allow-listed ones replaced (SAS <c>sig</c>, tokens, codes): <see cref="SafeUrl"/>'s rule.</summary>
        internal static string SanitizeUrl(string url) => SafeUrl.Render(url);

        private static string DescribeHeaders(IEnumerable<HttpHeader> headers, HashSet<string> safe)
        {
            var text = new StringBuilder();
            foreach (HttpHeader header in headers)
            {
                string shown = !safe.Contains(header.Name) ? Redacted : UrlHeaders.Contains(header.Name) ? SanitizeUrl(header.Value) : header.Value;
                text.Append("  ").Append(header.Name).Append(": ").Append(shown).AppendLine();
            }
            return text.ToString();
        }

        private static string DescribeRequestBody(Request request)
        {
            if (request.Content == null) return "  (no body)";
            using var buffer = new MemoryStream();
            request.Content.WriteTo(buffer, default);
            try
            {
                using JsonDocument body = JsonDocument.Parse(buffer.ToArray());
                if (body.RootElement.ValueKind != JsonValueKind.Object) return $"  ({buffer.Length} bytes, not logged)";
                IEnumerable<string> fields = body.RootElement.EnumerateObject().Select(p =>
                    p.Name + "=" + (SafeBodyFields.Contains(p.Name) && p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : Redacted));
                return "  body: " + string.Join(", ", fields);
            }
            catch (JsonException)
            {
                return $"  ({buffer.Length} bytes, not logged)";
            }
        }

        // Responses: the ARM error, an operation status or a provisioning state; never the raw body.
        private static string DescribeResponseBody(Response response)
        {
            BinaryData? content = response.Content;
            if (content == null || content.ToMemory().Length == 0) return "  (no body)";
            int length = content.ToMemory().Length;
            if (response.Status >= 400)
            {
                ArmError error = ArmError.Parse(content.ToString(), response.Status, response.ReasonPhrase);
                return $"  error: {error.Code}: {error.Message}";
            }
            try
            {
                using JsonDocument body = JsonDocument.Parse(content.ToMemory());
                JsonElement root = body.RootElement;
                string? status = JsonRead.GetString(root, "status");
                if (status != null) return $"  status: {status}";
                if (root.ValueKind == JsonValueKind.Object && JsonRead.TryGetProperty(root, "properties", out JsonElement properties))
                {
                    return $"  ({length} bytes) provisioningState: {JsonRead.GetString(properties, "provisioningState")}";
                }
            }
            catch (JsonException)
            {
                // Not JSON: the length is all we say.
            }
            return $"  ({length} bytes)";
        }
    }
}
