namespace ApimDr
{
    /// <summary>
    /// What an operation must still do when it ends, carried in its record (<see cref="ApimOperation.FollowUps"/>)
    /// and in a backup's manifest, so whichever wait sees the end does it — in the process that started the
    /// operation or in any later one (docs/design.md, "Follow-ups travel with the operation").
    /// </summary>
    public static class ApimFollowUp
    {
        /// <summary>A backup: record the end (status, end time, error) in its manifest beside the backup.</summary>
        public const string RecordEnd = "RecordEnd";

        /// <summary>A restore: compare the restored service with the configuration snapshot stored beside the backup.</summary>
        public const string Verify = "Verify";

        /// <summary>A restore: remove the in-use mark it left beside the backup it reads (Remove-ApimBackup spares a marked backup).</summary>
        public const string ReleaseBackup = "ReleaseBackup";

        /// <summary>A backup: copy it to a replica container when it succeeds — "CopyTo:&lt;account&gt;/&lt;container&gt;" (<see cref="CopyTo"/>).</summary>
        public const string CopyToPrefix = "CopyTo:";

        public static readonly string[] Known = { RecordEnd, Verify, ReleaseBackup };

        /// <summary>The follow-up that copies a succeeded backup to account/container (never a key, token or endpoint: those come from the wait that runs it).</summary>
        public static string CopyTo(string account, string container) => CopyToPrefix + account + "/" + container;

        /// <summary>The account and container of a CopyTo follow-up; null for any other.</summary>
        public static (string Account, string Container)? ParseCopyTo(string followUp)
        {
            if (followUp == null || !followUp.StartsWith(CopyToPrefix, System.StringComparison.OrdinalIgnoreCase)) return null;
            string[] parts = followUp.Substring(CopyToPrefix.Length).Split('/');
            return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? (parts[0], parts[1]) : ((string, string)?)null;
        }

        /// <summary>In words, for warnings.</summary>
        public static string Describe(string followUp) => followUp switch
        {
            RecordEnd => "record the end in the backup's manifest",
            Verify => "verify the restored service against the backup's configuration snapshot",
            ReleaseBackup => "clear the in-use mark beside the backup the restore read",
            _ when ParseCopyTo(followUp) is (string account, string container) => $"copy the backup to {account}/{container} and verify it",
            _ => followUp,
        };
    }
}
