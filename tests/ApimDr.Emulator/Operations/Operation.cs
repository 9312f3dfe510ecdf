using System.Text.Json.Nodes;
using ApimDr.Emulator.Services;

namespace ApimDr.Emulator.Operations;

public enum OperationState { Running, Succeeded, Failed }

/// <summary>One long-running operation (backup, restore or service PUT) and how it ended.</summary>
public sealed class Operation
{
    public required string Id { get; init; }
    public required string Kind { get; init; }              // backup | restore | put | delete | undelete
    public required ApimService Service { get; init; }
    public required string ApiVersion { get; init; }
    public required DateTimeOffset StartedAt { get; init; }  // real time
    public required TimeSpan Duration { get; init; }
    public BackupRequest? Request { get; init; }
    /// <summary>The configuration captured when a backup starts (changes made during it are not in it).</summary>
    public JsonObject? Snapshot { get; init; }
    public string SkuAtStart { get; init; } = "";
    public int CapacityAtStart { get; init; }

    private volatile int _state = (int)OperationState.Running;

    /// <summary>Written last (after the error or the blob), read by polls without a lock.</summary>
    public OperationState State { get => (OperationState)_state; set => _state = (int)value; }
    public DateTimeOffset? EndedAt { get; set; }
    public int ErrorStatus { get; set; }
    public JsonObject? ErrorBody { get; set; }

    public void Fail(int status, string code, string message)
    {
        ErrorStatus = status;
        ErrorBody = Arm.ArmErrors.ApimBody(code, message);
        State = OperationState.Failed;
    }
}
