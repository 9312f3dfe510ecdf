using System.Text.Json.Nodes;
using ApimDr.Emulator.Hosting;

namespace ApimDr.Emulator.Services;

/// <summary>
/// Soft-deleted services: kept 48 h of the emulator's (virtual) clock after their DELETE, then gone.
/// Shapes: ApiManagementDeletedServicesListBySubscription.json, ApiManagementGetDeletedServiceByName.json.
/// </summary>
public sealed class DeletedServices
{
    /// <summary>Learn, "API Management soft-delete": purged automatically after a 48-hour retention period.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(48);

    public sealed record Entry(ApimService Service, DateTimeOffset DeletionDate, DateTimeOffset ScheduledPurgeDate);

    private readonly List<Entry> _entries = new();
    private readonly EmulatorClock _clock;

    public DeletedServices(EmulatorClock clock) => _clock = clock;

    private void Prune()
    {
        var now = _clock.UtcNow;
        _entries.RemoveAll(e => e.ScheduledPurgeDate <= now);
    }

    public Entry Add(ApimService service)
    {
        lock (_entries)
        {
            Prune();
            _entries.RemoveAll(e => e.Service.Name.Equals(service.Name, StringComparison.OrdinalIgnoreCase));
            var now = _clock.UtcNow;
            var entry = new Entry(service, now, now + Retention);
            _entries.Add(entry);
            return entry;
        }
    }

    /// <summary>By name alone: service names are global (one DNS name), so a soft-deleted name blocks every group.</summary>
    public Entry? Find(string name, string? location = null)
    {
        lock (_entries)
        {
            Prune();
            return _entries.FirstOrDefault(e => e.Service.Name.Equals(name, StringComparison.OrdinalIgnoreCase)
                && (location is null || Regions.Key(e.Service.Location) == Regions.Key(location)));
        }
    }

    public bool Remove(Entry entry) { lock (_entries) return _entries.Remove(entry); }

    public List<Entry> List(string subscriptionId)
    {
        lock (_entries)
        {
            Prune();
            return _entries.Where(e => e.Service.SubscriptionId.Equals(subscriptionId, StringComparison.OrdinalIgnoreCase)).ToList();
        }
    }

    public void Clear() { lock (_entries) { _entries.Clear(); _purges.Clear(); } }

    // Purges answered so far (their Location answers 200); forgotten by a reset.
    private readonly HashSet<string> _purges = new(StringComparer.Ordinal);

    public string NewPurge()
    {
        var id = ApimDr.Emulator.Operations.OperationIds.New("purge");
        lock (_entries) _purges.Add(id);
        return id;
    }

    public bool IsPurge(string id) { lock (_entries) return _purges.Contains(id); }

    public static string Id(Entry e) =>
        $"/subscriptions/{e.Service.SubscriptionId}/providers/Microsoft.ApiManagement/locations/{Regions.Key(e.Service.Location)}/deletedservices/{e.Service.Name}";

    /// <summary>The deletedservices resource, as in ApiManagementGetDeletedServiceByName.json.</summary>
    public static JsonObject ToJson(Entry e) => new()
    {
        ["id"] = Id(e),
        ["name"] = e.Service.Name,
        ["type"] = "Microsoft.ApiManagement/deletedservices",
        ["location"] = e.Service.Location,
        ["properties"] = new JsonObject
        {
            ["serviceId"] = e.Service.Id,
            ["scheduledPurgeDate"] = e.ScheduledPurgeDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"),
            ["deletionDate"] = e.DeletionDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"),
        },
    };
}
