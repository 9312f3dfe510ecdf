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
                context.Response.StatusCode = _status;
                if (_errorCode != null) context.Response.Headers["x-ms-error-code"] = _errorCode;
                context.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
                context.Response.ContentLength64 = 0;
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
