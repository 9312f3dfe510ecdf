namespace ApimDr.Emulator.Arm;

/// <summary>The Microsoft.ApiManagement/service api-versions the emulator answers (a realistic subset).</summary>
public static class ApiVersions
{
    public static readonly string[] Supported =
    {
        "2019-12-01", "2020-12-01", "2021-01-01-preview", "2021-04-01-preview", "2021-08-01", "2021-12-01-preview",
        "2022-04-01-preview", "2022-08-01", "2022-09-01-preview", "2023-03-01-preview", "2023-05-01-preview",
        "2023-09-01-preview", "2024-05-01", "2024-06-01-preview",
    };

    /// <summary>Managed identity access to storage for backup/restore exists from 2021-08-01 on.</summary>
    public static bool SupportsManagedIdentityBackup(string version) => string.CompareOrdinal(version, "2021-08-01") >= 0;

    public static ArmResponse? Check(string? version)
    {
        if (string.IsNullOrEmpty(version))
        {
            return ArmErrors.Arm(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }
        if (!Supported.Contains(version))
        {
            return ArmErrors.Arm(400, "NoRegisteredProviderFound",
                $"No registered resource provider found for location 'westeurope' and API version '{version}' for type 'service'. The supported api-versions are '{string.Join(", ", Supported)}'.");
        }
        return null;
    }
}
