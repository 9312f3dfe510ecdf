namespace ApimDr.Engine.Arm
{
    public enum OperationKind
    {
        Backup,
        Restore,
    }
}
