namespace ApimDr.Engine.Storage
{
    /// <summary>Blob metadata keys ApimDr writes on a fresh backup and reads in the catalog.</summary>
    public static class BackupMetadata
    {
        public const string SourceServiceId = "apimdr_sourceserviceid";
        public const string SourceSku = "apimdr_sourcesku";

        /// <summary>APIM refuses to restore a backup older than this.</summary>
        public static readonly System.TimeSpan Lifetime = System.TimeSpan.FromDays(30);
    }
}
