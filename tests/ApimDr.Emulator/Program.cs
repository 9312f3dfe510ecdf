using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApimDr.Emulator;
using ApimDr.Emulator.Arm;
using ApimDr.Emulator.Auth;
using ApimDr.Emulator.Control;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Identity;
using ApimDr.Emulator.Operations;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

EmulatorOptions options;
try { options = EmulatorOptions.Parse(args); }
catch (Exception e) when (e is ArgumentException or FormatException) { Console.Error.WriteLine(e.Message); return 2; }

// Everything but the start line goes to stderr: stdout carries exactly one JSON line for the harness.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>() });
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.AddFilter((_, level) => level >= LogLevel.Warning);
builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

var certificate = CertificateFactory.Create("apimdr-emulator-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant());
bool ownCertDir = options.CertDirectory is null;
var certDir = options.CertDirectory ?? Path.Combine(Path.GetTempPath(), "apimdr-emulator-" + Guid.NewGuid().ToString("n")[..12]);
CertificateFactory.WriteTrustDirectory(certificate, certDir);

builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Listen(IPAddress.Loopback, options.ArmPort, l => l.UseHttps(certificate));
    k.Listen(IPAddress.Loopback, options.ControlPort);
});

var app = builder.Build();

var settings = new EmulatorSettings();
if (options.OperationDurationSeconds is { } d) settings.OperationDurationSeconds = d;
if (options.RetryAfterSeconds is { } ra) settings.RetryAfterSeconds = ra;
if (options.TokenLifetimeSeconds is { } tl) settings.TokenLifetimeSeconds = tl;

var staticToken = options.StaticToken ?? TokenIssuer.NewStaticToken();
var identitySecret = options.IdentityHeader ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
var clock = new EmulatorClock();
var store = new ServiceStore();
var accounts = new StorageAccounts(options.BlobServiceUrl, options.AccountBlobServices,
    options.StorageGates ? app.Services.GetRequiredService<ILogger<StorageGate>>() : null);
var deleted = new DeletedServices(clock);
var regions = new Regions();
var state = new EmulatorState
{
    SeedPath = options.SeedPath, Store = store, Accounts = accounts, Clock = clock, Regions = regions, Deleted = deleted,
    Engine = new OperationEngine(store, accounts, new BackupBlobStore(accounts), clock, deleted, app.Services.GetRequiredService<ILogger<OperationEngine>>()),
    Settings = new SettingsHolder(settings), Faults = new FaultInjector(app.Lifetime.ApplicationStopping), Log = new RequestLog(), Throttle = new Throttle(),
    Issuer = new TokenIssuer(staticToken), Host = new HostIdentityHolder(), CertDirectory = certDir,
};
state.Reset();

var arm = new ArmPipeline(new ArmAuthenticator(state.Issuer), state.Faults, state.Throttle,
    new ServiceEndpoints(store, state.Engine, accounts, state.Settings, deleted), state.Log, state.Settings, store, regions, state.Engine, deleted, accounts);
var identity = new ManagedIdentityEndpoint(state.Issuer, state.Settings, state.Faults, state.Log, state.Host, identitySecret);
var control = new ControlSurface(state, app.Lifetime);

app.Run(ctx =>
{
    if (ctx.Request.IsHttps) return arm.HandleAsync(ctx);
    var path = ctx.Request.Path.Value ?? "";
    if (path.Equals(ManagedIdentityEndpoint.Path, StringComparison.OrdinalIgnoreCase)) return identity.HandleAsync(ctx);
    if (path.StartsWith(ControlSurface.Prefix, StringComparison.OrdinalIgnoreCase)) return control.HandleAsync(ctx);
    ctx.Response.StatusCode = 404;
    return Task.CompletedTask;
});

app.Lifetime.ApplicationStopped.Register(() =>
{
    state.Engine.Reset();
    accounts.Dispose();
    if (ownCertDir) { try { Directory.Delete(certDir, recursive: true); } catch (IOException) { } }
});

await app.StartAsync();

var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
var armUri = addresses.First(a => a.Scheme == "https");
var httpUri = addresses.First(a => a.Scheme == "http");
state.ArmUrl = $"https://127.0.0.1:{armUri.Port}";
state.IdentityEndpoint = $"http://127.0.0.1:{httpUri.Port}{ManagedIdentityEndpoint.Path}";
state.ControlUrl = $"http://127.0.0.1:{httpUri.Port}{ControlSurface.Prefix}";

var startLine = new JsonObject
{
    ["armUrl"] = state.ArmUrl,
    ["identityEndpoint"] = state.IdentityEndpoint,
    ["identityHeader"] = identitySecret,
    ["controlUrl"] = state.ControlUrl,
    ["certDir"] = certDir,
    ["certFile"] = Path.Combine(certDir, "apimdr-emulator.pem"),
    ["staticToken"] = staticToken,
    ["subscriptionId"] = store.SubscriptionId,
    ["resourceGroup"] = store.List().Select(s => s.ResourceGroup).FirstOrDefault(),
    ["blobServiceUrl"] = accounts.BlobServiceUrl,
    // Every account: its region and the URL clients use (a storage gate's with --storage-gates, else its Azurite's).
    ["storageAccounts"] = new JsonArray(accounts.All().Select(a => (JsonNode)new JsonObject
    {
        ["name"] = a.Name, ["location"] = a.Location, ["blobServiceUrl"] = accounts.ServiceUrlOf(a.Name),
        ["blobEndpoint"] = accounts.BlobEndpoint(a.Name).ToString(), ["upstream"] = accounts.UpstreamOf(a.Name),
    }).ToArray()),
    ["pid"] = Environment.ProcessId,
};
Console.Out.WriteLine(startLine.ToJsonString(JsonOutput.Options));
Console.Out.Flush();

if (options.ParentPid is { } parentPid)
{
    _ = Task.Run(async () =>
    {
        while (!app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            try { using var parent = Process.GetProcessById(parentPid); if (parent.HasExited) break; }
            catch (ArgumentException) { break; }
            await Task.Delay(1000);
        }
        app.Lifetime.StopApplication();
    });
}

await app.WaitForShutdownAsync();
return 0;
