using System;
using System.Text.Json;
using ApimDr.Engine.Json;

namespace ApimDr.Engine.Errors
{
    /// <summary>
    /// The ARM error body <c>{"error":{"code","message","target",…}}</c>, parsed tolerantly: APIM sends
    /// <c>"details": null</c> and an extra <c>innerError</c>; proxies send HTML or nothing at all.
    /// </summary>
    internal sealed class ArmError
    {
        public ArmError(string code, string message, string? target = null)
        {
            Code = code;
            Message = message;
            Target = target;
        }

        public string Code { get; }
        public string Message { get; }
        public string? Target { get; }

        /// <summary>Never throws: a body that is not an ARM error still yields a code and a readable message.</summary>
        public static ArmError Parse(string? body, int status, string? reasonPhrase = null)
        {
            string fallbackCode = status == 0 ? "NoResponse" : "Http" + status;
            string fallbackMessage = string.IsNullOrEmpty(reasonPhrase) ? $"HTTP {status}" : $"HTTP {status} {reasonPhrase}";
            if (string.IsNullOrWhiteSpace(body)) return new ArmError(fallbackCode, fallbackMessage);
            try
            {
                using JsonDocument document = JsonDocument.Parse(body!);
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return new ArmError(fallbackCode, fallbackMessage + ": " + Shorten(body!));
                // ARM nests under "error"; a few RPs (and status resources) put code/message at the top level.
                JsonElement error = JsonRead.TryGetProperty(root, "error", out JsonElement nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
                string? code = JsonRead.GetString(error, "code");
                string? message = JsonRead.GetString(error, "message");
                if (code == null && message == null) return new ArmError(fallbackCode, fallbackMessage + ": " + Shorten(body!));
                return new ArmError(code ?? fallbackCode, message ?? fallbackMessage, JsonRead.GetString(error, "target"));
            }
            catch (JsonException)
            {
                return new ArmError(fallbackCode, fallbackMessage + ": " + Shorten(body!));
            }
        }

        // A non-JSON body (an HTML error page) is only a hint; keep the message readable.
        private static string Shorten(string body)
        {
            string flat = body.Replace('\r', ' ').Replace('\n', ' ').Trim();
            return flat.Length <= 300 ? flat : flat.Substring(0, 300) + "…";
        }
    }
}
