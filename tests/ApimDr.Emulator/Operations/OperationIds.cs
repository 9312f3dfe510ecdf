using System.Text;

namespace ApimDr.Emulator.Operations;

/// <summary>
/// Opaque operation ids like ARM's: base64 of an internal string. Every other id ends in '=' or '=='
/// so clients must carry the URL byte for byte. Never contains '/' or '+'.
/// </summary>
public static class OperationIds
{
    private static int _counter;

    public static string New(string kind)
    {
        int n = Interlocked.Increment(ref _counter);
        int remainder = n % 3 == 0 ? 0 : n % 3; // 1 → "==", 2 → "=", 0 → no padding
        while (true)
        {
            var text = $"{kind}:{Guid.NewGuid():N}:{n}";
            while (Encoding.ASCII.GetByteCount(text) % 3 != remainder) text += "_";
            var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(text));
            if (!id.Contains('/') && !id.Contains('+')) return id;
        }
    }
}
