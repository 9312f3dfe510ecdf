using System.Text.Encodings.Web;
using System.Text.Json;

namespace ApimDr.Emulator.Arm;

/// <summary>Serialisation like ARM's: quotes in strings stay `\"`, not `\u0022`.</summary>
public static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
