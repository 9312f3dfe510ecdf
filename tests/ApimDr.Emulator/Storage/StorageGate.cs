using System.Net;
using System.Net.Sockets;

namespace ApimDr.Emulator.Storage;

/// <summary>
/// A loopback TCP relay in front of one region's Azurite (the region's "storage front door"). While the
/// region is up it relays every connection byte for byte; while the region is down its port is bound but
/// NOT listening, so a connection attempt is REFUSED (RST) — exactly what a client sees when a storage
/// endpoint is gone — and every open connection is reset. Keeping the port bound means nobody else can take
/// it, so the gate reopens on the same port and the blobs behind it (in Azurite) are still there.
/// </summary>
public sealed class StorageGate : IDisposable
{
    private readonly object _sync = new();
    private readonly List<Socket> _open = new();
    private readonly ILogger _log;
    private Socket? _listener;
    private Socket? _placeholder;
    private CancellationTokenSource _cts = new();

    public StorageGate(string region, Uri upstream, ILogger log)
    {
        Region = region;
        Upstream = upstream;
        _log = log;
    }

    /// <summary>The region's display name (e.g. "West Europe").</summary>
    public string Region { get; }
    /// <summary>Azurite's blob root behind the gate.</summary>
    public Uri Upstream { get; }
    public int Port { get; private set; }
    public bool IsOpen { get { lock (_sync) return _listener is not null; } }
    /// <summary>The URL clients use instead of <see cref="Upstream"/>: http://127.0.0.1:{Port}.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    private static Socket NewSocket()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Rebinding right after connections were reset (TIME_WAIT) must work.
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        return s;
    }

    /// <summary>Starts listening (first call: on a free port; later calls: on the same port).</summary>
    public void Open()
    {
        lock (_sync)
        {
            if (_listener is not null) return;
            _placeholder?.Dispose();
            _placeholder = null;
            var listener = NewSocket();
            listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
            listener.Listen(256);
            Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            _listener = listener;
            _cts = new CancellationTokenSource();
            _ = AcceptLoopAsync(listener, _cts.Token);
        }
    }

    /// <summary>Stops listening (new connections are refused) and resets every open connection.</summary>
    public void Close()
    {
        List<Socket> open;
        lock (_sync)
        {
            if (_listener is null) return;
            _cts.Cancel();
            _listener.Dispose();
            _listener = null;
            // Hold the port without listening: a SYN to it is answered with RST (connection refused).
            var placeholder = NewSocket();
            try { placeholder.Bind(new IPEndPoint(IPAddress.Loopback, Port)); _placeholder = placeholder; }
            catch (SocketException e) { placeholder.Dispose(); _log.LogWarning("Could not hold port {Port}: {Message}", Port, e.Message); }
            open = _open.ToList();
            _open.Clear();
        }
        foreach (var s in open) Reset(s);
    }

    private static void Reset(Socket s)
    {
        try { s.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        s.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(ct); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { return; }
            catch (SocketException e) when (!ct.IsCancellationRequested)
            {
                // One connection's failure (e.g. reset while it waited in the backlog), not the gate's: ending the
                // loop here would leave the port listening with nobody accepting, and every later client hanging.
                _log.LogWarning("Storage gate {Region}: accept failed ({Error}); still accepting.", Region, e.SocketErrorCode);
                await Task.Delay(10, CancellationToken.None);
                continue;
            }
            catch (SocketException) { return; }
            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        lock (_sync)
        {
            if (ct.IsCancellationRequested) { Reset(client); upstream.Dispose(); return; }
            _open.Add(client);
            _open.Add(upstream);
        }
        try
        {
            await upstream.ConnectAsync(Upstream.Host, Upstream.Port, ct);
            Task requests = PumpAsync(client, upstream, ct);
            // When Azurite ends the connection (its keep-alive timeout closes an idle one), the relay ends it too, as
            // the closed server socket would: a request the client sends after that gets a reset, never silence.
            // Relaying only the half-close left the client's side open, and a request racing the close could wait
            // for an answer that cannot come (a suspect, not proven, for the backup write that hung in the Bench:
            // docs/emulator.md).
            await PumpAsync(upstream, client, ct);
            if (!requests.IsCompleted) await Task.WhenAny(requests, Task.Delay(100, CancellationToken.None));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The upstream is gone or the gate closed: the client sees its connection reset.
        }
        finally
        {
            lock (_sync) { _open.Remove(client); _open.Remove(upstream); }
            client.Dispose();
            upstream.Dispose();
        }
    }

    /// <summary>Copies one direction until EOF, then half-closes the other side (HTTP keeps working both ways).</summary>
    private static async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0) break;
                int sent = 0;
                while (sent < n) sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, ct);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side failed: end both, so the other direction does not wait for a peer that is gone.
            Reset(from);
            Reset(to);
        }
    }

    public void Dispose()
    {
        Close();
        lock (_sync) { _placeholder?.Dispose(); _placeholder = null; }
    }
}
