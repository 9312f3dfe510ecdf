using System.Security.Cryptography;
using System.Text;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Services;

namespace ApimDr.Emulator.Storage;

/// <summary>
/// Storage account name → the Azurite holding it (path-style under its blob service root), its region,
/// its key and the role table deciding which managed identities may write blobs. With storage gates, each
/// (region, Azurite) pair is reached through a <see cref="StorageGate"/> that a regional outage closes.
/// </summary>
public sealed class StorageAccounts : IDisposable
{
    private static readonly string[] DataRoles = { "Storage Blob Data Contributor", "Storage Blob Data Owner" };
    private readonly Dictionary<string, Seed.StorageAccountSeed> _accounts = new(StringComparer.Ordinal);
    private readonly string _defaultUpstream;
    private readonly IReadOnlyDictionary<string, string> _upstreams;
    private readonly ILogger? _gateLog;
    // (region key, upstream) → gate; created on first load and kept across resets (same ports).
    private readonly Dictionary<(string Region, string Upstream), StorageGate> _gates = new();
    private string? _firstAccount;

    public StorageAccounts(string blobServiceUrl, IReadOnlyDictionary<string, string>? accountUpstreams = null, ILogger? gateLog = null)
    {
        _defaultUpstream = blobServiceUrl.TrimEnd('/');
        _upstreams = accountUpstreams ?? new Dictionary<string, string>();
        _gateLog = gateLog;
    }

    public bool GatesEnabled => _gateLog is not null;

    /// <summary>The blob service root clients use for the seed's first account (its region's gate, if gated).</summary>
    public string BlobServiceUrl => _firstAccount is null ? _defaultUpstream : ServiceUrlOf(_firstAccount);

    public void Load(IEnumerable<Seed.StorageAccountSeed> accounts)
    {
        lock (_accounts)
        {
            _accounts.Clear();
            _firstAccount = null;
            foreach (var a in accounts)
            {
                _accounts[a.Name] = a with { RoleAssignments = a.RoleAssignments.ToList() };
                _firstAccount ??= a.Name;
                if (GatesEnabled)
                {
                    var key = (Regions.Key(a.Location), UpstreamOf(a.Name));
                    if (!_gates.ContainsKey(key)) _gates[key] = new StorageGate(a.Location, new Uri(key.Item2), _gateLog!);
                }
            }
            foreach (var g in _gates.Values) g.Open();
        }
    }

    public bool Exists(string name) { lock (_accounts) return _accounts.ContainsKey(name); }

    /// <summary>The Azurite blob root that holds the account (never the gate).</summary>
    public string UpstreamOf(string name) => _upstreams.TryGetValue(name, out var u) ? u : _defaultUpstream;

    public string? LocationOf(string name) { lock (_accounts) return _accounts.TryGetValue(name, out var a) ? a.Location : null; }

    private StorageGate? GateOf(string name)
    {
        lock (_accounts)
        {
            if (!GatesEnabled || !_accounts.TryGetValue(name, out var a)) return null;
            return _gates.GetValueOrDefault((Regions.Key(a.Location), UpstreamOf(name)));
        }
    }

    /// <summary>The blob service root clients (and the emulator's own backups) use for the account.</summary>
    public string ServiceUrlOf(string name) => GateOf(name)?.Url ?? UpstreamOf(name);

    public Uri BlobEndpoint(string name) => new($"{ServiceUrlOf(name)}/{name}");

    /// <summary>False while the account's region is down (its gate is closed).</summary>
    public bool Reachable(string name) => GateOf(name)?.IsOpen ?? true;

    /// <summary>Opens or closes the gates of one region (by <see cref="Regions.Key"/>).</summary>
    public void SetRegionReachable(string regionKey, bool reachable)
    {
        List<StorageGate> gates;
        lock (_accounts) gates = _gates.Where(kv => kv.Key.Region == regionKey).Select(kv => kv.Value).ToList();
        foreach (var g in gates) { if (reachable) g.Open(); else g.Close(); }
    }

    public IReadOnlyList<StorageGate> Gates() { lock (_accounts) return _gates.Values.ToList(); }

    public string KeyOf(string name) { lock (_accounts) return _accounts[name].Key; }

    public bool KeyMatches(string name, string key)
    {
        lock (_accounts)
        {
            return _accounts.TryGetValue(name, out var a)
                && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a.Key), Encoding.UTF8.GetBytes(key));
        }
    }

    public bool Grants(string name, string principalId)
    {
        lock (_accounts)
        {
            return _accounts.TryGetValue(name, out var a) && a.RoleAssignments.Any(r =>
                r.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase) && DataRoles.Contains(r.Role, StringComparer.OrdinalIgnoreCase));
        }
    }

    public void Grant(string name, string principalId, string role)
    {
        lock (_accounts) _accounts[name].RoleAssignments.Add(new Seed.RoleAssignment(principalId, role));
    }

    public void Revoke(string name, string principalId)
    {
        lock (_accounts) _accounts[name].RoleAssignments.RemoveAll(r => r.PrincipalId.Equals(principalId, StringComparison.OrdinalIgnoreCase));
    }

    public IReadOnlyList<Seed.StorageAccountSeed> All() { lock (_accounts) return _accounts.Values.ToList(); }

    public void Dispose()
    {
        foreach (var g in Gates()) g.Dispose();
    }
}
