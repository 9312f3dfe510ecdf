namespace ApimDr.Emulator;

/// <summary>Command-line options. Everything has a default so `dotnet ApimDr.Emulator.dll` just runs.</summary>
public sealed class EmulatorOptions
{
    public int ArmPort { get; set; }
    public int ControlPort { get; set; }
    public string SeedPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "seed.json");
    /// <summary>Azurite's blob service root, e.g. http://127.0.0.1:10000 (accounts are path-style below it).</summary>
    public string BlobServiceUrl { get; set; } = "http://127.0.0.1:10000";
    /// <summary>Accounts held by another Azurite (another region): account name → that Azurite's blob root.</summary>
    public Dictionary<string, string> AccountBlobServices { get; } = new(StringComparer.Ordinal);
    /// <summary>Put a loopback relay (<see cref="Storage.StorageGate"/>) in front of each region's Azurite, closed during the region's outage.</summary>
    public bool StorageGates { get; set; }
    public string? StaticToken { get; set; }
    public string? IdentityHeader { get; set; }
    public string? CertDirectory { get; set; }
    public int? ParentPid { get; set; }
    public double? OperationDurationSeconds { get; set; }
    public int? RetryAfterSeconds { get; set; }
    public int? TokenLifetimeSeconds { get; set; }

    public static EmulatorOptions Parse(string[] args)
    {
        var o = new EmulatorOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i].ToLowerInvariant())
            {
                case "--port": o.ArmPort = int.Parse(Next()); break;
                case "--control-port": o.ControlPort = int.Parse(Next()); break;
                case "--seed": o.SeedPath = Path.GetFullPath(Next()); break;
                case "--blob-service-url": o.BlobServiceUrl = Next().TrimEnd('/'); break;
                case "--blob-service":
                    var pair = Next();
                    int eq = pair.IndexOf('=');
                    if (eq <= 0 || eq == pair.Length - 1) throw new ArgumentException($"--blob-service needs <account>=<url>, got '{pair}'.");
                    o.AccountBlobServices[pair[..eq]] = pair[(eq + 1)..].TrimEnd('/');
                    break;
                case "--storage-gates": o.StorageGates = true; break;
                case "--static-token": o.StaticToken = Next(); break;
                case "--identity-header": o.IdentityHeader = Next(); break;
                case "--cert-dir": o.CertDirectory = Path.GetFullPath(Next()); break;
                case "--parent-pid": o.ParentPid = int.Parse(Next()); break;
                case "--operation-duration": o.OperationDurationSeconds = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--retry-after": o.RetryAfterSeconds = int.Parse(Next()); break;
                case "--token-lifetime": o.TokenLifetimeSeconds = int.Parse(Next()); break;
                case "-h": case "--help":
                    Console.WriteLine(Usage); Environment.Exit(0); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}");
            }
        }
        return o;
    }

    public const string Usage = """
        ApimDr.Emulator: local ARM + API Management backup/restore stand-in (loopback only).
          --port <n>                HTTPS ARM port (0 = free port, default)
          --control-port <n>        plain-http port for the managed identity endpoint and /_emulator (0 = free)
          --seed <file>             seed JSON (default: seed.json beside the dll)
          --blob-service-url <url>  Azurite blob root, e.g. http://127.0.0.1:10000 (accounts not named by --blob-service)
          --blob-service <account>=<url>  the Azurite holding that account (repeatable; e.g. a second region's Azurite)
          --storage-gates           relay each region's storage through a loopback port the emulator closes during
                                    the region's outage (connections refused); clients use the URLs in the start line
          --static-token <text>     a bearer token always accepted (default: a JWT-shaped user token, new per run)
          --identity-header <text>  the X-IDENTITY-HEADER secret (default: generated per run)
          --cert-dir <dir>          where to write the certificate (default: new temp dir, removed on stop)
          --parent-pid <pid>        exit when that process exits
          --operation-duration <s>  backup/restore/PUT duration in seconds (default 3)
          --retry-after <s>         Retry-After on 202s (default 1)
          --token-lifetime <s>      managed identity token lifetime (default 3600)
        Prints one JSON line on stdout when ready: {"armUrl",...}.
        """;
}
