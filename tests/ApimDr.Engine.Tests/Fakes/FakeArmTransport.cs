using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ApimDr.Engine.Tests.Fakes
{
    /// <summary>What the fake ARM saw: one entry per request that reached the transport.</summary>
    public sealed class RecordedRequest
    {
        public string Method { get; init; } = "";
        public string Url { get; init; } = "";
        public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = Array.Empty<(string, string)>();
        public string Body { get; init; } = "";
        public DateTimeOffset At { get; init; }
        public DateTimeOffset RealAt { get; init; }

        public string? Header(string name) => Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

        public string? BearerToken => Header("Authorization") is string value && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value.Substring(7) : null;
    }

    /// <summary>A scripted answer of the fake ARM.</summary>
    public sealed class Reply
    {
        public int Status { get; private init; }
        public string Body { get; private init; } = "";
        public List<(string Name, string Value)> Headers { get; } = new();
        public Exception? Failure { get; private init; }
        public bool Hangs { get; private init; }

        /// <summary>Real time the answer takes (to see requests overlap).</summary>
        public TimeSpan Latency { get; private set; }

        public static Reply Of(int status, string body = "") => new() { Status = status, Body = body };
        public static Reply Throw(Exception failure) => new() { Failure = failure };
        public static Reply Hang() => new() { Hangs = true };

        public static Reply ArmError(int status, string code, string message)
            => Of(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\",\"details\":null,\"innerError\":null}}");

        /// <summary>Virtual time the answer takes (on the transport's clock): requests overlap on virtual time.</summary>
        public TimeSpan VirtualLatency { get; private set; }

        public Reply AfterVirtual(TimeSpan latency)
        {
            VirtualLatency = latency;
            return this;
        }

        public Reply After(TimeSpan latency)
        {
            Latency = latency;
            return this;
        }

        public Reply With(string name, string value)
        {
            Headers.Add((name, value));
            return this;
        }
    }

    /// <summary>An HttpPipelineTransport answering from a handler, recording every request with the virtual time it arrived.</summary>
    public sealed class FakeArmTransport : HttpPipelineTransport
    {
        private readonly Func<RecordedRequest, Reply> _handler;
        private readonly TimeProvider _clock;
        private readonly List<RecordedRequest> _requests = new();
        private int _inFlight;
        private int _maxInFlight;

        public FakeArmTransport(TimeProvider clock, Func<RecordedRequest, Reply> handler)
        {
            _clock = clock;
            _handler = handler;
        }

        public IReadOnlyList<RecordedRequest> Requests
        {
            get { lock (_requests) return _requests.ToList(); }
        }

        /// <summary>The most requests that were in the transport at once.</summary>
        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public override Request CreateRequest() => new FakeRequest();

        public override void Process(HttpMessage message) => ProcessAsync(message).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message)
        {
            message.CancellationToken.ThrowIfCancellationRequested();
            string body = "";
            if (message.Request.Content != null)
            {
                using var buffer = new MemoryStream();
                message.Request.Content.WriteTo(buffer, message.CancellationToken);
                body = Encoding.UTF8.GetString(buffer.ToArray());
            }
            var recorded = new RecordedRequest
            {
                Method = message.Request.Method.Method,
                Url = message.Request.Uri.ToUri().OriginalString,
                Headers = message.Request.Headers.Select(h => (h.Name, h.Value)).ToList(),
                Body = body,
                At = _clock.GetUtcNow(),
                RealAt = DateTimeOffset.UtcNow,
            };
            lock (_requests) _requests.Add(recorded);
            int inFlight = Interlocked.Increment(ref _inFlight);
            for (int max = _maxInFlight; inFlight > max; max = _maxInFlight) Interlocked.CompareExchange(ref _maxInFlight, inFlight, max);
            Reply reply;
            try
            {
                reply = _handler(recorded);
                if (reply.Latency > TimeSpan.Zero) await Task.Delay(reply.Latency, message.CancellationToken);
                if (reply.VirtualLatency > TimeSpan.Zero) await _clock.Delay(reply.VirtualLatency, message.CancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
            if (reply.Hangs) await Task.Delay(Timeout.Infinite, message.CancellationToken);
            if (reply.Failure != null) throw reply.Failure;
            var response = new FakeResponse(reply.Status, reply.Body, reply.Headers);
            response.ClientRequestId = message.Request.ClientRequestId;
            message.Response = response;
        }

        private sealed class FakeRequest : Request
        {
            private readonly HeaderList _headers = new(new List<(string Name, string Value)>());

            public override string ClientRequestId { get; set; } = Guid.NewGuid().ToString();

            protected override void AddHeader(string name, string value) => _headers.Add(name, value);

            protected override bool ContainsHeader(string name) => _headers.Contains(name);

            protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Enumerate();

            protected override bool RemoveHeader(string name) => _headers.Remove(name);

            protected override bool TryGetHeader(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => _headers.TryGet(name, out value);

            protected override bool TryGetHeaderValues(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IEnumerable<string>? values) => _headers.TryGetValues(name, out values);

            public override void Dispose()
            {
            }
        }

        private sealed class FakeResponse : Response
        {
            private readonly HeaderList _headers;

            public FakeResponse(int status, string body, List<(string Name, string Value)> headers)
            {
                Status = status;
                _headers = new HeaderList(headers);
                ContentStream = new MemoryStream(Encoding.UTF8.GetBytes(body));
            }

            public override int Status { get; }
            public override string ReasonPhrase => Status switch { 200 => "OK", 202 => "Accepted", 400 => "Bad Request", 401 => "Unauthorized", 409 => "Conflict", 429 => "Too Many Requests", 500 => "Internal Server Error", 503 => "Service Unavailable", _ => "" };
            public override Stream? ContentStream { get; set; }
            public override string ClientRequestId { get; set; } = "";

            protected override bool ContainsHeader(string name) => _headers.Contains(name);

            protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Enumerate();

            protected override bool TryGetHeader(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => _headers.TryGet(name, out value);

            protected override bool TryGetHeaderValues(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IEnumerable<string>? values) => _headers.TryGetValues(name, out values);

            public override void Dispose()
            {
            }
        }

        /// <summary>The header store FakeRequest and FakeResponse share: names case-insensitive, repeated names joined with ','.</summary>
        private sealed class HeaderList
        {
            private readonly List<(string Name, string Value)> _headers;

            public HeaderList(List<(string Name, string Value)> headers) => _headers = headers;

            public void Add(string name, string value) => _headers.Add((name, value));

            public bool Contains(string name) => _headers.Any(h => Is(h.Name, name));

            public bool Remove(string name) => _headers.RemoveAll(h => Is(h.Name, name)) > 0;

            public IEnumerable<HttpHeader> Enumerate() => _headers.GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase).Select(g => new HttpHeader(g.Key, string.Join(",", g.Select(h => h.Value))));

            public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
            {
                value = TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : null;
                return value != null;
            }

            public bool TryGetValues(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IEnumerable<string>? values)
            {
                values = Contains(name) ? _headers.Where(h => Is(h.Name, name)).Select(h => h.Value).ToList() : null;
                return values != null;
            }
        }

        private static bool Is(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }
}
