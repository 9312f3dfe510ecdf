using System.Security.Cryptography;
using System.Text;
using ApimDr.Emulator.Services;

namespace ApimDr.Emulator.Storage;

/// <summary>
/// Storage account name → Azurite account (path-style under the blob service root), its key and the
/// role table deciding which managed identities may write blobs.
/// </summary>
public sealed class StorageAccounts
{
    private static readonly string[] DataRoles = { "Storage Blob Data Contributor", "Storage Blob Data Owner" };
    private readonly Dictionary<string, Seed.StorageAccountSeed> _accounts = new(StringComparer.Ordinal);

    public StorageAccounts(string blobServiceUrl) => BlobServiceUrl = blobServiceUrl.TrimEnd('/');

    public string BlobServiceUrl { get; }

    public void Load(IEnumerable<Seed.StorageAccountSeed> accounts)
    {
        lock (_accounts)
        {
            _accounts.Clear();
            foreach (var a in accounts) _accounts[a.Name] = a with { RoleAssignments = a.RoleAssignments.ToList() };
        }
    }

    public bool Exists(string name) { lock (_accounts) return _accounts.ContainsKey(name); }

    public Uri BlobEndpoint(string name) => new($"{BlobServiceUrl}/{name}");

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
}
