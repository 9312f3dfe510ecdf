using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ApimDr.Emulator.Hosting;
using ApimDr.Emulator.Services;
using ApimDr.Emulator.Storage;

namespace ApimDr.Emulator.Operations;

/// <summary>
/// Starts backups, restores and service PUTs, finishes them in the background after their duration
/// (real time), and answers what a poll sees. Failures that the real service reports late (SKU
/// mismatch, expiry, missing blob, identity without a role) are decided at the end, so a client
/// only learns of them at its last poll.
/// </summary>
public sealed class OperationEngine
{
    public static readonly TimeSpan BackupLifetime = TimeSpan.FromDays(30);

    private readonly ConcurrentDictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly ServiceStore _store;
    private readonly StorageAccounts _accounts;
    private readonly BackupBlobStore _blobs;
    private readonly EmulatorClock _clock;
    private readonly DeletedServices _deleted;
    private readonly ILogger _log;
    private CancellationTokenSource _generation = new();

    public OperationEngine(ServiceStore store, StorageAccounts accounts, BackupBlobStore blobs, EmulatorClock clock, DeletedServices deleted, ILogger<OperationEngine> log)
    {
        _deleted = deleted;
        _store = store;
        _accounts = accounts;
        _blobs = blobs;
        _clock = clock;
        _log = log;
    }

    public Operation? Find(string id) => _operations.GetValueOrDefault(id);

    /// <summary>Starts an operation, or returns null when another one runs on the service (409).</summary>
    public Operation? TryStart(string kind, ApimService service, string apiVersion, TimeSpan duration, BackupRequest? request,
        Action<ApimService>? beforeStart = null)
    {
        Operation op;
        lock (_store.Sync)
        {
            if (service.ActiveOperationId is not null) return null;
            beforeStart?.Invoke(service);
            op = new Operation
            {
                Id = OperationIds.New(kind), Kind = kind, Service = service, ApiVersion = apiVersion, StartedAt = DateTimeOffset.UtcNow,
                Duration = duration, Request = request, Snapshot = kind == "backup" ? service.Configuration.DeepClone().AsObject() : null,
                SkuAtStart = service.SkuName, CapacityAtStart = service.SkuCapacity,
            };
            service.ActiveOperationId = op.Id;
            switch (kind)
            {
                // ApiManagementServiceDeleteService.json: provisioningState unchanged, targetProvisioningState "Deleting".
                case "delete": service.TargetProvisioningState = "Deleting"; break;
                // ApiManagementUndelete.json: 201 with provisioningState "Created", targetProvisioningState "Activating".
                case "undelete": service.ProvisioningState = "Created"; service.TargetProvisioningState = "Activating"; break;
                default:
                    if (kind != "put" || service.ProvisioningState == "Succeeded") service.ProvisioningState = "Updating";
                    service.TargetProvisioningState = "Succeeded";
                    break;
            }
            _operations[op.Id] = op;
        }
        var ct = _generation.Token;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(duration, ct);
                await CompleteAsync(op, ct);
            }
            catch (OperationCanceledException) { }
            catch (Exception e)
            {
                _log.LogError(e, "Operation {Id} crashed", op.Id);
                op.Fail(500, "InternalServerError", "The emulator failed to complete the operation: " + e.Message);
            }
            finally
            {
                lock (_store.Sync)
                {
                    if (op.State == OperationState.Running) op.Fail(500, "InternalServerError", "The operation was abandoned.");
                    op.EndedAt = DateTimeOffset.UtcNow;
                    if (service.ActiveOperationId == op.Id) service.ActiveOperationId = null;
                    service.ProvisioningState = "Succeeded";
                    service.TargetProvisioningState = "";
                }
            }
        }, CancellationToken.None);
        return op;
    }

    private async Task CompleteAsync(Operation op, CancellationToken ct)
    {
        switch (op.Kind)
        {
            case "backup": await CompleteBackupAsync(op, ct); break;
            case "restore": await CompleteRestoreAsync(op, ct); break;
            case "delete":
                // The service leaves the store and is kept as a soft-deleted service (48 h of the emulator clock).
                lock (_store.Sync)
                {
                    _store.Remove(op.Service);
                    _deleted.Add(op.Service);
                    op.State = OperationState.Succeeded;
                }
                break;
            default: lock (_store.Sync) { op.Service.Touch(); op.State = OperationState.Succeeded; } break;
        }
    }

    private bool IdentityDenied(Operation op)
    {
        var r = op.Request!;
        if (r.IdentityPrincipalId is null || _accounts.Grants(r.StorageAccount, r.IdentityPrincipalId)) return false;
        op.Fail(403, "AuthorizationPermissionMismatch",
            $"The managed identity '{r.IdentityPrincipalId}' of service '{op.Service.Name}' is not authorized to access storage account '{r.StorageAccount}'. Assign it the 'Storage Blob Data Contributor' role.");
        return true;
    }

    /// <summary>
    /// The storage account could not be reached (its region is down: connection refused). The real answer is not
    /// known; assumed: the operation fails at its last poll with 500 InternalServerError naming the account.
    /// </summary>
    private static void StorageUnreachable(Operation op, Exception e) =>
        op.Fail(500, "InternalServerError", $"Cannot reach storage account '{op.Request!.StorageAccount}': {Innermost(e).Message}");

    /// <summary>No HTTP answer at all (the SDK's retries end in an AggregateException of such failures).</summary>
    private static bool IsUnreachable(Exception e) => e switch
    {
        AggregateException a => a.InnerExceptions.All(IsUnreachable),
        Azure.RequestFailedException r => r.Status == 0,
        HttpRequestException or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private async Task CompleteBackupAsync(Operation op, CancellationToken ct)
    {
        if (IdentityDenied(op)) return;
        var r = op.Request!;
        var content = new BackupContent(op.Service.Id, op.SkuAtStart, op.CapacityAtStart, _clock.UtcNow, op.Snapshot!);
        try { await _blobs.WriteAsync(r.StorageAccount, r.ContainerName, r.BackupName, content, ct); }
        catch (Exception e) when (IsUnreachable(e)) { StorageUnreachable(op, e); return; }
        op.State = OperationState.Succeeded;
    }

    private async Task CompleteRestoreAsync(Operation op, CancellationToken ct)
    {
        if (IdentityDenied(op)) return;
        var r = op.Request!;
        string? text;
        try { text = await _blobs.ReadAsync(r.StorageAccount, r.ContainerName, r.BackupName, ct); }
        catch (Exception e) when (IsUnreachable(e)) { StorageUnreachable(op, e); return; }
        if (text is null)
        {
            op.Fail(404, "NotFound", $"Cannot restore: backup '{r.BackupName}' was not found in container '{r.ContainerName}' of storage account '{r.StorageAccount}'.");
            return;
        }
        var backup = BackupContent.Parse(text);
        if (backup is null)
        {
            op.Fail(400, "RestoreFailed", "Cannot restore: the blob is not a valid API Management backup.");
            return;
        }
        if (_clock.UtcNow - backup.CreatedAtUtc > BackupLifetime)
        {
            op.Fail(400, "RestoreFailed", "Cannot restore: backup expired");
            return;
        }
        lock (_store.Sync)
        {
            var current = op.Service.SkuName;
            if (!current.Equals(backup.SourceSku, StringComparison.OrdinalIgnoreCase))
            {
                op.Fail(400, "RestoreFailed", $"Cannot restore: current SKU is '{current}', backup SKU is '{backup.SourceSku}'");
                return;
            }
            op.Service.Configuration = backup.Configuration.DeepClone().AsObject();
            op.Service.Touch();
            op.State = OperationState.Succeeded;
        }
    }

    /// <summary>Cancels everything running and forgets all operations.</summary>
    public void Reset()
    {
        var old = Interlocked.Exchange(ref _generation, new CancellationTokenSource());
        old.Cancel();
        _operations.Clear();
    }

    public JsonArray Describe() => new(_operations.Values.OrderBy(o => o.StartedAt).Select(o => (JsonNode)new JsonObject
    {
        ["id"] = o.Id, ["kind"] = o.Kind, ["service"] = o.Service.Name, ["state"] = o.State.ToString(),
        ["startedAt"] = o.StartedAt.UtcDateTime.ToString("o"), ["durationSeconds"] = o.Duration.TotalSeconds,
        ["endedAt"] = o.EndedAt?.UtcDateTime.ToString("o"), ["errorStatus"] = o.ErrorStatus == 0 ? null : o.ErrorStatus,
        ["error"] = o.ErrorBody?.DeepClone(),
    }).ToArray());
}
