using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Services;

/// <summary>In-memory services and resource groups. One lock guards every service mutation.</summary>
public sealed class ServiceStore
{
    private readonly Dictionary<string, ApimService> _services = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _groups = new(StringComparer.OrdinalIgnoreCase);

    public object Sync { get; } = new();
    public string SubscriptionId { get; private set; } = "";

    public void Load(Seed seed)
    {
        lock (Sync)
        {
            _services.Clear();
            _groups.Clear();
            SubscriptionId = seed.SubscriptionId;
            foreach (var g in seed.ResourceGroups) _groups.Add(g);
            foreach (var node in seed.Services)
            {
                var s = node!.AsObject();
                var service = new ApimService
                {
                    SubscriptionId = seed.SubscriptionId,
                    ResourceGroup = s["resourceGroup"]!.GetValue<string>(),
                    Name = s["name"]!.GetValue<string>(),
                    Location = s["location"]?.GetValue<string>() ?? "West Europe",
                    SkuName = s["sku"]!["name"]!.GetValue<string>(),
                    SkuCapacity = s["sku"]!["capacity"]?.GetValue<int>() ?? 1,
                    Identity = ServiceIdentity.FromJson(s["identity"], () => Guid.NewGuid().ToString()),
                    PublisherEmail = s["publisherEmail"]?.GetValue<string>() ?? "admin@contoso.example",
                    PublisherName = s["publisherName"]?.GetValue<string>() ?? "Contoso",
                    Configuration = s["configuration"]?.DeepClone().AsObject() ?? new JsonObject(),
                    CreatedAtUtc = DateTimeOffset.UtcNow.AddDays(-100),
                    CustomHostnames = (s["carryOver"]?["customHostnames"]?.AsArray() ?? new JsonArray()).Select(h => h!.GetValue<string>()).ToList(),
                    CustomProperties = s["carryOver"]?["customProperties"]?.DeepClone().AsObject(),
                    VirtualNetworkType = s["carryOver"]?["virtualNetworkType"]?.GetValue<string>() ?? "None",
                    SubnetResourceId = s["carryOver"]?["subnetResourceId"]?.GetValue<string>(),
                };
                _groups.Add(service.ResourceGroup);
                _services[Key(service.SubscriptionId, service.ResourceGroup, service.Name)] = service;
            }
        }
    }

    private static string Key(string sub, string rg, string name) => $"{sub}/{rg}/{name}";

    public List<string> ResourceGroups() { lock (Sync) return _groups.Order(StringComparer.OrdinalIgnoreCase).ToList(); }

    public bool SubscriptionExists(string sub) => string.Equals(sub, SubscriptionId, StringComparison.OrdinalIgnoreCase);

    public bool GroupExists(string sub, string rg) { lock (Sync) return SubscriptionExists(sub) && _groups.Contains(rg); }

    public ApimService? Find(string sub, string rg, string name)
    {
        lock (Sync) return _services.GetValueOrDefault(Key(sub, rg, name));
    }

    /// <summary>Finds by name alone (control surface); ambiguous names need the group.</summary>
    public ApimService? FindByName(string name, string? rg)
    {
        lock (Sync)
        {
            var matches = _services.Values.Where(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase)
                && (rg is null || s.ResourceGroup.Equals(rg, StringComparison.OrdinalIgnoreCase))).ToList();
            return matches.Count == 1 ? matches[0] : null;
        }
    }

    public List<ApimService> List(string? sub = null, string? rg = null)
    {
        lock (Sync)
        {
            return _services.Values.Where(s => (sub is null || s.SubscriptionId.Equals(sub, StringComparison.OrdinalIgnoreCase))
                && (rg is null || s.ResourceGroup.Equals(rg, StringComparison.OrdinalIgnoreCase))).OrderBy(s => s.Name).ToList();
        }
    }

    public bool Remove(ApimService service)
    {
        lock (Sync) return _services.Remove(Key(service.SubscriptionId, service.ResourceGroup, service.Name));
    }

    public void Add(ApimService service)
    {
        lock (Sync) _services[Key(service.SubscriptionId, service.ResourceGroup, service.Name)] = service;
    }
}
