using System.Text.Json.Nodes;
using ApimDr.Emulator.Arm;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Control;
using ApimDr.Emulator.Identity;
using ApimDr.Emulator.Operations;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;

namespace ApimDr.Emulator.Hosting;

/// <summary>All in-memory state, in one place so a reset is one call.</summary>
public sealed class EmulatorState
{
    public required string SeedPath { get; init; }
    public required ServiceStore Store { get; init; }
    public required StorageAccounts Accounts { get; init; }
    public required OperationEngine Engine { get; init; }
    public required SettingsHolder Settings { get; init; }
    public required EmulatorClock Clock { get; init; }
    public required FaultInjector Faults { get; init; }
    public required RequestLog Log { get; init; }
    public required Throttle Throttle { get; init; }
    public required TokenIssuer Issuer { get; init; }
    public required HostIdentityHolder Host { get; init; }
    public required Regions Regions { get; init; }
    public required DeletedServices Deleted { get; init; }
    public string ArmUrl { get; set; } = "";
    public string IdentityEndpoint { get; set; } = "";
    public string ControlUrl { get; set; } = "";
    public string CertDirectory { get; set; } = "";

    /// <summary>Back to the seed: services, role table, settings, clock, faults, log, operations, outages, deleted services.</summary>
    public void Reset()
    {
        Engine.Reset();
        Regions.Clear();
        Deleted.Clear();
        var seed = Seed.Load(SeedPath);
        Store.Load(seed);
        Accounts.Load(seed.StorageAccounts);   // reopens every storage gate
        Host.Current = seed.Host;
        Settings.Reset();
        Clock.Reset();
        Faults.Clear();
        Log.Clear();
        Throttle.Reset();
    }

    public JsonObject Describe() => new()
    {
        ["armUrl"] = ArmUrl,
        ["identityEndpoint"] = IdentityEndpoint,
        ["controlUrl"] = ControlUrl,
        ["certDir"] = CertDirectory,
        ["subscriptionId"] = Store.SubscriptionId,
        ["resourceGroups"] = new JsonArray(Store.ResourceGroups().Select(g => (JsonNode)g!).ToArray()),
        ["hostIdentity"] = new JsonObject
        {
            ["principalId"] = Host.Current.PrincipalId, ["clientId"] = Host.Current.ClientId,
            ["userAssigned"] = new JsonArray(Host.Current.UserAssigned.Select(u => (JsonNode)new JsonObject
            {
                ["resourceId"] = u.ResourceId, ["principalId"] = u.PrincipalId, ["clientId"] = u.ClientId,
            }).ToArray()),
        },
        ["clock"] = Clock.UtcNow.UtcDateTime.ToString("o"),
        ["regions"] = DescribeRegions(),
    };

    /// <summary>Every region the seed's services and accounts are in (plus any declared down): outage, services, storage.</summary>
    public JsonArray DescribeRegions()
    {
        var services = Store.List();
        var accounts = Accounts.All();
        var outages = Regions.All();
        var names = new List<string>();
        foreach (var l in services.Select(s => s.Location).Concat(accounts.Select(a => a.Location)).Concat(outages.Select(o => o.Location)))
        {
            if (!names.Any(n => Hosting.Regions.Key(n) == Hosting.Regions.Key(l))) names.Add(l);
        }
        return new JsonArray(names.Select(n =>
        {
            var key = Hosting.Regions.Key(n);
            var outage = Regions.DownFor(n);
            return (JsonNode)new JsonObject
            {
                ["name"] = n,
                ["key"] = key,
                ["down"] = outage is not null,
                ["outage"] = outage is null ? null : Hosting.Regions.ToJson(outage),
                ["services"] = new JsonArray(services.Where(s => Hosting.Regions.Key(s.Location) == key).Select(s => (JsonNode)s.Name).ToArray()),
                ["storageAccounts"] = new JsonArray(accounts.Where(a => Hosting.Regions.Key(a.Location) == key).Select(a => (JsonNode)new JsonObject
                {
                    ["name"] = a.Name, ["blobServiceUrl"] = Accounts.ServiceUrlOf(a.Name), ["blobEndpoint"] = Accounts.BlobEndpoint(a.Name).ToString(),
                    ["upstream"] = Accounts.UpstreamOf(a.Name), ["reachable"] = Accounts.Reachable(a.Name),
                }).ToArray()),
            };
        }).ToArray());
    }
}
