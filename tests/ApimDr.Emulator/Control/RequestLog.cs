using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace ApimDr.Emulator.Control;

/// <summary>One request the emulator received (ARM or managed identity endpoint), for tests to inspect.</summary>
public sealed record RequestLogEntry(
    long Sequence, DateTimeOffset Time, string Listener, string Method, string Url, string RawUrl, int Status, string Route,
    bool HasAuthorization, string? TokenKind, string? PrincipalId, string? ClientRequestId, string? CorrelationRequestId,
    string? Fault, string Body, Dictionary<string, string> Headers, string? Region = null)
{
    public JsonObject ToJson()
    {
        var headers = new JsonObject();
        foreach (var (k, v) in Headers) headers[k] = v;
        return new JsonObject
        {
            ["sequence"] = Sequence, ["time"] = Time.UtcDateTime.ToString("o"), ["listener"] = Listener, ["method"] = Method,
            ["url"] = Url, ["rawUrl"] = RawUrl, ["status"] = Status, ["route"] = Route, ["hasAuthorization"] = HasAuthorization, ["tokenKind"] = TokenKind,
            ["principalId"] = PrincipalId, ["clientRequestId"] = ClientRequestId, ["correlationRequestId"] = CorrelationRequestId,
            ["fault"] = Fault, ["region"] = Region, ["body"] = Body, ["headers"] = headers,
        };
    }
}

/// <summary>
/// Everything received, raw: URL with query, body, headers — except the Authorization VALUE, which is
/// recorded only as present/absent and whose principal it named (tests search this log for leaked secrets).
/// </summary>
public sealed class RequestLog
{
    private readonly List<RequestLogEntry> _entries = new();
    private long _sequence;

    public long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>The last sequence handed out: entries logged later have a greater one.</summary>
    public long CurrentSequence => Interlocked.Read(ref _sequence);

    public void Add(RequestLogEntry entry) { lock (_entries) _entries.Add(entry); }

    public List<RequestLogEntry> Snapshot() { lock (_entries) return _entries.ToList(); }

    public void Clear() { lock (_entries) _entries.Clear(); }

    /// <summary>The request target exactly as sent (Url is path + query after the server's percent-decoding).</summary>
    public static string RawUrl(HttpContext ctx) =>
        ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? $"{ctx.Request.Path}{ctx.Request.QueryString}";

    public static Dictionary<string, string> SafeHeaders(IHeaderDictionary headers)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in headers)
        {
            if (k.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                var scheme = v.ToString().Split(' ', 2)[0];
                d[k] = scheme + " <redacted>";
            }
            else d[k] = v.ToString();
        }
        return d;
    }
}
