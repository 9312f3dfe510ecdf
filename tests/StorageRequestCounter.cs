// A loopback HTTP relay that counts the requests a client sends to storage (Azurite or the emulator's storage gate)
// and forwards each one unchanged (method, path, query, headers, body: a Shared Key signature stays valid — it signs
// the path and the x-ms-* headers, not the host). Compiled with Add-Type by Start-StorageRequestCounter
// (tests/TestHelpers.psm1) for tests/CatalogScale.Tests.ps1 and the catalog benchmark: Azurite has no request
// log the tests can read, and the emulator's storage gate relays bytes, not requests.
#nullable enable
using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ApimDr.Tests
{
    public sealed class StorageRequestCounter : IDisposable
    {
        private static readonly string[] Hop = { "Host", "Connection", "Content-Length", "Transfer-Encoding", "Expect", "Keep-Alive", "Proxy-Connection" };
        private readonly HttpListener _listener = new HttpListener();
        private readonly HttpClient _client;
        private readonly Uri _upstream;
        private int _count;

        public StorageRequestCounter(string upstream)
        {
            _upstream = new Uri(upstream.TrimEnd('/') + "/");
            _client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseProxy = false })
            { Timeout = TimeSpan.FromSeconds(100) };
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Port { get; }

        /// <summary>The blob service URL clients use instead of the upstream's (append "/account" for a path-style endpoint).</summary>
        public string Url => $"http://127.0.0.1:{Port}";

        /// <summary>Requests received since the start or the last <see cref="Reset"/>.</summary>
        public int Count => Volatile.Read(ref _count);

        /// <summary>"METHOD /path?query" of each request, in arrival order; a SAS signature (the catalog's listing signs with one) shows as sig=(redacted).</summary>
        public ConcurrentQueue<string> Requests { get; } = new ConcurrentQueue<string>();

        public void Reset()
        {
            Interlocked.Exchange(ref _count, 0);
            while (Requests.TryDequeue(out _)) { }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
                catch (Exception) { return; }
                _ = Task.Run(() => RelayAsync(context));
            }
        }

        private static string WithoutSignature(string rawUrl)
        {
            int at = rawUrl.IndexOf("?sig=", StringComparison.OrdinalIgnoreCase);
            if (at < 0) at = rawUrl.IndexOf("&sig=", StringComparison.OrdinalIgnoreCase);
            if (at < 0) return rawUrl;
            int end = rawUrl.IndexOf('&', at + 1);
            return rawUrl.Substring(0, at + 5) + "(redacted)" + (end < 0 ? string.Empty : rawUrl.Substring(end));
        }

        private async Task RelayAsync(HttpListenerContext context)
        {
            HttpListenerRequest inbound = context.Request;
            Interlocked.Increment(ref _count);
            Requests.Enqueue(inbound.HttpMethod + " " + WithoutSignature(inbound.RawUrl ?? string.Empty));
            try
            {
                using var request = new HttpRequestMessage(new HttpMethod(inbound.HttpMethod), new Uri(_upstream, inbound.RawUrl!.TrimStart('/')));
                var body = new MemoryStream();
                await inbound.InputStream.CopyToAsync(body).ConfigureAwait(false);
                if (body.Length > 0 || inbound.Headers["Content-Type"] != null || inbound.HttpMethod == "PUT") request.Content = new ByteArrayContent(body.ToArray());
                foreach (string? name in inbound.Headers.AllKeys)
                {
                    if (name == null || Hop.Contains(name, StringComparer.OrdinalIgnoreCase)) continue;
                    string? value = inbound.Headers[name];
                    if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content?.Headers.TryAddWithoutValidation(name, value);
                }
                using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
                byte[] data = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                HttpListenerResponse outbound = context.Response;
                outbound.StatusCode = (int)response.StatusCode;
                foreach (var header in response.Headers.Concat(response.Content.Headers))
                {
                    if (Hop.Contains(header.Key, StringComparer.OrdinalIgnoreCase)) continue;
                    string value = string.Join(",", header.Value);
                    if (string.Equals(header.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)) { outbound.ContentType = value; continue; }
                    try { outbound.Headers[header.Key] = value; } catch (ArgumentException) { }
                }
                if (inbound.HttpMethod == "HEAD")
                {
                    outbound.ContentLength64 = response.Content.Headers.ContentLength ?? 0;
                }
                else
                {
                    outbound.ContentLength64 = data.Length;
                    if (data.Length > 0) await outbound.OutputStream.WriteAsync(data, 0, data.Length).ConfigureAwait(false);
                }
                outbound.Close();
            }
            catch (Exception)
            {
                try { context.Response.Abort(); } catch (Exception) { }
            }
        }

        public void Dispose()
        {
            try { _listener.Stop(); } catch (ObjectDisposedException) { }
            _listener.Close();
            _client.Dispose();
        }
    }
}
