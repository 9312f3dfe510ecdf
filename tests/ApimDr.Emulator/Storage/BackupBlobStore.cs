using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace ApimDr.Emulator.Storage;

/// <summary>What a backup blob holds (the real service writes an opaque format; ours is readable JSON).</summary>
public sealed record BackupContent(string SourceServiceId, string SourceSku, int SourceCapacity, DateTimeOffset CreatedAtUtc, JsonObject Configuration)
{
    public const string Format = "apimdr-emulator-backup/1";

    public JsonObject ToJson() => new()
    {
        ["format"] = Format,
        ["sourceServiceId"] = SourceServiceId,
        ["sourceSku"] = new JsonObject { ["name"] = SourceSku, ["capacity"] = SourceCapacity },
        ["createdAtUtc"] = CreatedAtUtc.UtcDateTime.ToString("o"),
        ["configuration"] = Configuration.DeepClone(),
    };

    public static BackupContent? Parse(string text)
    {
        try
        {
            var o = JsonNode.Parse(text)!.AsObject();
            if (o["format"]?.GetValue<string>() != Format) return null;
            return new BackupContent(o["sourceServiceId"]!.GetValue<string>(), o["sourceSku"]!["name"]!.GetValue<string>(),
                o["sourceSku"]!["capacity"]!.GetValue<int>(), DateTimeOffset.Parse(o["createdAtUtc"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                o["configuration"]!.AsObject());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>Reads and writes backup blobs in Azurite with the account's shared key.</summary>
public sealed class BackupBlobStore
{
    private readonly StorageAccounts _accounts;

    public BackupBlobStore(StorageAccounts accounts) => _accounts = accounts;

    // Idle connections are dropped before Azurite's keep-alive timeout (5 s) closes them, so a write never races
    // the server's close on a reused connection.
    private static readonly Azure.Core.Pipeline.HttpClientTransport Transport = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2) });

    private BlobContainerClient Container(string account, string container) =>
        new BlobServiceClient(_accounts.BlobEndpoint(account), new StorageSharedKeyCredential(account, _accounts.KeyOf(account)),
            new BlobClientOptions { Transport = Transport, Retry = { MaxRetries = 3, NetworkTimeout = TimeSpan.FromSeconds(10) } })
        .GetBlobContainerClient(container);

    /// <summary>Writes (overwrites) the blob, creating a missing container like the current service does.</summary>
    public async Task WriteAsync(string account, string container, string blob, BackupContent content, CancellationToken ct)
    {
        var client = Container(account, container);
        await client.CreateIfNotExistsAsync(cancellationToken: ct);
        var bytes = Encoding.UTF8.GetBytes(content.ToJson().ToJsonString(ApimDr.Emulator.Arm.JsonOutput.Options));
        await client.GetBlobClient(blob).UploadAsync(new BinaryData(bytes), overwrite: true, ct);
    }

    /// <summary>Null when the container or blob does not exist.</summary>
    public async Task<string?> ReadAsync(string account, string container, string blob, CancellationToken ct)
    {
        try
        {
            var result = await Container(account, container).GetBlobClient(blob).DownloadContentAsync(ct);
            return result.Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
