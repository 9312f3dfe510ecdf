using System.Collections.Concurrent;

namespace ApimDr.Emulator.Arm;

public sealed record ThrottleState(bool IsWrite, int Remaining, bool Allowed, int RetryAfterSeconds);

/// <summary>
/// ARM's token bucket per subscription + principal (+ read/write): 250 requests, refilled 25 per
/// second (the read bucket's size and refill are settings). An empty bucket answers 429
/// SubscriptionRequestsThrottled with Retry-After.
/// </summary>
public sealed class Throttle
{
    private const double Capacity = 250, RefillPerSecond = 25;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();

    private sealed class Bucket { public double Tokens = double.NaN; public DateTime Last = DateTime.UtcNow; }

    public ThrottleState Take(string subscription, string principal, bool isWrite, double readCapacity = Capacity, double readRefill = RefillPerSecond)
    {
        var bucket = _buckets.GetOrAdd($"{subscription}|{principal}|{isWrite}", _ => new Bucket());
        double capacity = isWrite ? Capacity : readCapacity, refill = isWrite ? RefillPerSecond : readRefill;
        lock (bucket)
        {
            var now = DateTime.UtcNow;
            bucket.Tokens = double.IsNaN(bucket.Tokens) ? capacity : Math.Min(capacity, bucket.Tokens + (now - bucket.Last).TotalSeconds * refill);
            bucket.Last = now;
            if (bucket.Tokens < 1)
            {
                return new ThrottleState(isWrite, 0, false, Math.Max(1, (int)Math.Ceiling((1 - bucket.Tokens) / refill)));
            }
            bucket.Tokens -= 1;
            return new ThrottleState(isWrite, (int)bucket.Tokens, true, 0);
        }
    }

    public void Reset() => _buckets.Clear();
}
