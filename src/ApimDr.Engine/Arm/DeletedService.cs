using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Arm
{
    /// <summary>
    /// A soft-deleted APIM service (the 2024-05-01 spec's ApiManagementDeletedServicesListBySubscription /
    /// GetByName examples: id …/locations/{loc}/deletedservices/{name}, location, properties.serviceId,
    /// deletionDate, scheduledPurgeDate). It holds its name for 48 h (docs/arm-protocol.md §10).
    /// </summary>
    public sealed class DeletedService
    {
        public string Name { get; set; } = string.Empty;
        public string Location { get; set; } = string.Empty;
        public string? ServiceId { get; set; }
        public DateTimeOffset? DeletionDate { get; set; }
        public DateTimeOffset? ScheduledPurgeDate { get; set; }

        internal static IReadOnlyList<DeletedService> ParseList(string body)
        {
            var list = new List<DeletedService>();
            try
            {
                using JsonDocument document = JsonDocument.Parse(body);
                if (!JsonRead.TryGetProperty(document.RootElement, "value", out JsonElement value) || value.ValueKind != JsonValueKind.Array) return list;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    JsonRead.TryGetProperty(item, "properties", out JsonElement properties);
                    list.Add(new DeletedService
                    {
                        Name = JsonRead.GetString(item, "name") ?? string.Empty,
                        Location = JsonRead.GetString(item, "location") ?? string.Empty,
                        ServiceId = properties.ValueKind == JsonValueKind.Object ? JsonRead.GetString(properties, "serviceId") : null,
                        DeletionDate = properties.ValueKind == JsonValueKind.Object ? Time(JsonRead.GetString(properties, "deletionDate")) : null,
                        ScheduledPurgeDate = properties.ValueKind == JsonValueKind.Object ? Time(JsonRead.GetString(properties, "scheduledPurgeDate")) : null,
                    });
                }
            }
            catch (JsonException)
            {
                // Not a list ARM would send: no deleted service known.
            }
            return list;
        }

        private static DateTimeOffset? Time(string? text)
            => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t) ? t : (DateTimeOffset?)null;
    }
}
