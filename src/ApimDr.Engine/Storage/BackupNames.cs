using System;
using System.Globalization;
using System.Security.Cryptography;
using ApimDr.Engine.Arm;

namespace ApimDr.Engine.Storage
{
    /// <summary>
    /// The names Backup-ApimService gives backups (docs/design.md, "Backup names"): the default is unique per
    /// service resource and per start, and still readable and sortable —
    /// <c>{service}-{resourceGroup}-{UTC yyyyMMddTHHmmssZ}-{4 random hex}.apimbackup</c>; an explicit
    /// <c>-BackupName</c> may carry tokens that each service fills in.
    /// </summary>
    public static class BackupNames
    {
        public const string ServiceToken = "{service}";
        public const string ResourceGroupToken = "{resourceGroup}";
        public const string SubscriptionToken = "{subscription}";
        public const string TimestampToken = "{timestamp}";

        /// <summary>The timestamp format of the default name and of {timestamp}: UTC, to the second, sortable.</summary>
        private const string TimestampFormat = "yyyyMMdd'T'HHmmss'Z'";

        public static string Default(ServiceId service, DateTimeOffset now)
            => $"{service.Name}-{service.ResourceGroupName}-{Timestamp(now)}-{RandomSuffix()}.apimbackup";

        /// <summary>A -BackupName with its tokens (any case) filled in for one service; a name without tokens is itself.</summary>
        public static string Expand(string template, ServiceId service, DateTimeOffset now)
            => Replace(Replace(Replace(Replace(template, ServiceToken, service.Name), ResourceGroupToken, service.ResourceGroupName), SubscriptionToken, service.SubscriptionId), TimestampToken, Timestamp(now));

        private static string Timestamp(DateTimeOffset now) => now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

        private static string RandomSuffix()
        {
            byte[] bytes = new byte[2];
            using (var random = RandomNumberGenerator.Create()) random.GetBytes(bytes);
            return ((bytes[0] << 8) | bytes[1]).ToString("x4", CultureInfo.InvariantCulture);
        }

        private static string Replace(string text, string token, string value)
        {
            int at = text.IndexOf(token, StringComparison.OrdinalIgnoreCase);
            while (at >= 0)
            {
                text = text.Substring(0, at) + value + text.Substring(at + token.Length);
                at = text.IndexOf(token, at + value.Length, StringComparison.OrdinalIgnoreCase);
            }
            return text;
        }
    }
}
