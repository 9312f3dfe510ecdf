namespace ApimDr.Engine.Errors
{
    /// <summary>
    /// The engine's mirror of PowerShell's ErrorCategory (the engine does not reference
    /// System.Management.Automation); the cmdlet layer maps it by name.
    /// </summary>
    public enum ApimErrorCategory
    {
        NotSpecified,
        InvalidArgument,
        InvalidOperation,
        ObjectNotFound,
        ResourceBusy,
        PermissionDenied,
        AuthenticationError,
        OperationTimeout,
        ConnectionError,
        ProtocolError,
        SecurityError,
        OperationStopped,
        LimitsExceeded,
        ResourceUnavailable,
        InvalidData,
        InvalidResult,
        WriteError,
        ResourceExists,
        ReadError,
    }
}
