using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Arm;

/// <summary>
/// What a handler wants sent. Handlers build one of these instead of writing to the HttpResponse, so
/// the pipeline can log it, add ARM's headers, or (fault injection "after") drop it on the floor.
/// </summary>
public sealed class ArmResponse
{
    public int Status { get; init; }
    public JsonNode? Body { get; init; }
    /// <summary>Extra headers; a name may repeat (x-ms-request-id is sometimes sent twice).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = new();
    /// <summary>True for APIM RP answers (ARM forwards the RP's x-ms-request-id, so it appears twice).</summary>
    public bool FromResourceProvider { get; init; }

    public ArmResponse With(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    public static ArmResponse Json(int status, JsonNode? body, bool fromRp = false) => new() { Status = status, Body = body, FromResourceProvider = fromRp };
    public static ArmResponse Empty(int status, bool fromRp = false) => new() { Status = status, FromResourceProvider = fromRp };
}
