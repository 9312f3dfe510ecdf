using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Arm;

/// <summary>Error bodies in the two shapes seen on the wire.</summary>
public static class ArmErrors
{
    /// <summary>ARM front door errors (auth, routing, throttling): {"error":{"code","message"}}.</summary>
    public static ArmResponse Arm(int status, string code, string message) =>
        ArmResponse.Json(status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    /// <summary>The APIM resource provider's shape: details and innerError present and null.</summary>
    public static JsonObject ApimBody(string code, string message) => new()
    {
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["details"] = null, ["innerError"] = null },
    };

    public static ArmResponse Apim(int status, string code, string message) => ArmResponse.Json(status, ApimBody(code, message), fromRp: true);

    public static ArmResponse InvalidParameters(string message) => Apim(400, "InvalidParameters", message);

    public static ArmResponse ServiceNotFound(string resourceGroup, string name) => Apim(404, "ResourceNotFound",
        $"The Resource 'Microsoft.ApiManagement/service/{name}' under resource group '{resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix");

    /// <summary>
    /// ARM's own RBAC refusal (front-door shape), worded as real ARM words it; the "client" of a service
    /// principal or managed identity is its object id.
    /// </summary>
    public static ArmResponse AuthorizationFailed(string objectId, string action, string scope) => Arm(403, "AuthorizationFailed",
        $"The client '{objectId}' with object id '{objectId}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.");

    /// <summary>
    /// A poll of an operation id that was never issued or is forgotten (also the "404" fault). No real
    /// answer has been seen; this front-door shape is the emulator's choice.
    /// </summary>
    public static ArmResponse OperationNotFound(string operationId) => Arm(404, "ResourceNotFound", $"Operation '{operationId}' was not found.");

    public static ArmResponse ResourceGroupNotFound(string resourceGroup) => Arm(404, "ResourceNotFound",
        $"Resource group '{resourceGroup}' could not be found.");
}
