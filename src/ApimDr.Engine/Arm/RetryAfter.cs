using System;
using System.Globalization;
using Azure;
using Azure.Core;

namespace ApimDr.Engine.Arm
{
    /// <summary>Reads how long the service asked us to wait (docs/arm-protocol.md §3).</summary>
    internal static class RetryAfter
    {
        public static TimeSpan? Read(Response? response, TimeProvider time)
        {
            if (response == null) return null;
            if (TryMilliseconds(response, "retry-after-ms", out TimeSpan ms) || TryMilliseconds(response, "x-ms-retry-after-ms", out ms)) return ms;
            if (!response.Headers.TryGetValue("Retry-After", out string? value) || string.IsNullOrWhiteSpace(value)) return null;
            if (int.TryParse(value!.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds)) return TimeSpan.FromSeconds(seconds);
            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset when))
            {
                TimeSpan delta = when - time.GetUtcNow();
                return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
            }
            return null;
        }

        private static bool TryMilliseconds(Response response, string header, out TimeSpan value)
        {
            value = default;
            if (!response.Headers.TryGetValue(header, out string? text)) return false;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) || ms < 0) return false;
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }
    }
}
