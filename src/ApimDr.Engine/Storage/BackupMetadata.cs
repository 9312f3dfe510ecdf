namespace ApimDr.Engine.Storage
{
    /// <summary>Blob metadata keys ApimDr 0.1 wrote after an inline-waited backup; the catalog still reads them (the manifest replaced them).</summary>
    public static class BackupMetadata
    {
        public const string SourceServiceId = "apimdr_sourceserviceid";
        public const string SourceSku = "apimdr_sourcesku";

        /// <summary>APIM refuses to restore a backup older than this.</summary>
        public static readonly System.TimeSpan Lifetime = System.TimeSpan.FromDays(30);
    }
}
