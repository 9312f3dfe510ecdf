using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace ApimDr.Engine.Tests.Fakes
{
    /// <summary>
    /// A loopback HTTP server standing in for a storage account: every request gets the same status and
    /// x-ms-error-code (what Azure Storage answers a bad signature or a firewall with). Records requests.
    /// </summary>
    public sealed class FakeBlobServer : IDisposable
    {
        private readonly HttpListener _listener = new HttpListener();
        private readonly int _status;
        private readonly string? _errorCode;

        /// <summary>A reply per request (method, path and query → status, x-ms-error-code, body), for a container with content.</summary>
        public delegate (int Status, string? ErrorCode, string? Body) Responder(string method, string path, string query);

        private readonly Responder? _responder;

        public FakeBlobServer(Responder responder) : this(200, null) => _responder = responder;

        public FakeBlobServer(int status, string? errorCode)
        {
            _status = status;
            _errorCode = errorCode;
            Port = FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Port { get; }

        public ConcurrentQueue<string> Requests { get; } = new ConcurrentQueue<string>();

        /// <summary>For a request (its query) this says yes to, only the first half of the body is sent, then the connection is dropped.</summary>
        public Func<string, bool>? CutOff { get; set; }

        public Uri Endpoint(string account) => new Uri($"http://127.0.0.1:{Port}/{account}");

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }
                catch (HttpListenerException)
                {
                    return;
                }
                Requests.Enqueue(context.Request.HttpMethod + " " + context.Request.Url!.AbsolutePath);
                (int status, string? code, string? body) = _responder?.Invoke(context.Request.HttpMethod, context.Request.Url.AbsolutePath, context.Request.Url.Query) ?? (_status, _errorCode, null);
                context.Response.StatusCode = status;
                if (code != null) context.Response.Headers["x-ms-error-code"] = code;
                context.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
                context.Response.Headers["x-ms-version"] = "2025-01-05";
                byte[] bytes = body == null ? Array.Empty<byte>() : System.Text.Encoding.UTF8.GetBytes(body);
                if (body != null) context.Response.ContentType = body.StartsWith("<", StringComparison.Ordinal) ? "application/xml" : "application/json";
                context.Response.ContentLength64 = bytes.Length;
                if (bytes.Length > 1 && CutOff?.Invoke(context.Request.Url.Query) == true)
                {
                    await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length / 2).ConfigureAwait(false);
                    await context.Response.OutputStream.FlushAsync().ConfigureAwait(false);
                    context.Response.Abort();
                    continue;
                }
                if (bytes.Length > 0) await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            try
            {
                return ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            finally
            {
                probe.Stop();
            }
        }

        public void Dispose()
        {
            try
            {
                _listener.Stop();
            }
            catch (ObjectDisposedException)
            {
            }
            _listener.Close();
        }
    }
}
