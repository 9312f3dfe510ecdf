namespace ApimDr.Engine.Arm
{
    /// <summary>How the APIM service reaches the storage account (the body's <c>accessType</c>).</summary>
    public enum StorageAccessType
    {
        AccessKey,
        SystemAssignedManagedIdentity,
        UserAssignedManagedIdentity,
    }
}
