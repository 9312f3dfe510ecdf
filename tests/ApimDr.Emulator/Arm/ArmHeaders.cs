using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ApimDr.Emulator.Arm;

/// <summary>The headers every ARM answer carries.</summary>
public static class ArmHeaders
{
    public static string CorrelationId(HttpRequest request) =>
        request.Headers.TryGetValue("x-ms-correlation-request-id", out var v) && !StringValues.IsNullOrEmpty(v) ? v.ToString() : Guid.NewGuid().ToString();

    public static void Apply(HttpResponse http, ArmResponse response, string correlationId, ThrottleState? quota)
    {
        var h = http.Headers;
        h.CacheControl = "no-cache";
        h.Pragma = "no-cache";
        h.Expires = "-1";
        h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
        h["X-Content-Type-Options"] = "nosniff";
        var requestId = Guid.NewGuid().ToString();
        // ARM copies the resource provider's request id next to its own: the header appears twice.
        h["x-ms-request-id"] = response.FromResourceProvider ? new StringValues(new[] { requestId, requestId }) : new StringValues(requestId);
        h["x-ms-correlation-request-id"] = correlationId;
        h["x-ms-routing-request-id"] = $"WESTEUROPE:{DateTime.UtcNow:yyyyMMddTHHmmss}Z:{correlationId}";
        if (quota is not null)
        {
            h[quota.IsWrite ? "x-ms-ratelimit-remaining-subscription-writes" : "x-ms-ratelimit-remaining-subscription-reads"] = quota.Remaining.ToString();
            h[quota.IsWrite ? "x-ms-ratelimit-remaining-subscription-global-writes" : "x-ms-ratelimit-remaining-subscription-global-reads"] = quota.Remaining.ToString();
            // The resource provider's own budget (APIM reports it on its answers).
            if (response.FromResourceProvider) h["x-ms-ratelimit-remaining-subscription-resource-requests"] = Math.Min(quota.Remaining, 1199).ToString();
        }
        foreach (var group in response.Headers.GroupBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
        {
            h[group.Key] = new StringValues(group.Select(kv => kv.Value).ToArray());
        }
    }
}
