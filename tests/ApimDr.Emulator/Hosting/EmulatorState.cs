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
    public string ArmUrl { get; set; } = "";
    public string IdentityEndpoint { get; set; } = "";
    public string ControlUrl { get; set; } = "";
    public string CertDirectory { get; set; } = "";

    /// <summary>Back to the seed: services, role table, settings, clock, faults, log, operations.</summary>
    public void Reset()
    {
        Engine.Reset();
        var seed = Seed.Load(SeedPath);
        Store.Load(seed);
        Accounts.Load(seed.StorageAccounts);
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
    };
}
