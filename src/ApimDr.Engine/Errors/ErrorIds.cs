namespace ApimDr.Engine.Errors
{
    /// <summary>
    /// Every ErrorId the engine raises, in one place. They become the ErrorRecord's
    /// FullyQualifiedErrorId, so they are public contract: add, never rename.
    /// </summary>
    public static class ErrorIds
    {
        // Input, rejected before any request.
        public const string InvalidSubscriptionId = "InvalidSubscriptionId";
        public const string InvalidResourceGroupName = "InvalidResourceGroupName";
        public const string InvalidServiceName = "InvalidServiceName";
        public const string InvalidResourceId = "InvalidResourceId";
        public const string InvalidStorageAccountName = "InvalidStorageAccountName";
        public const string InvalidContainerName = "InvalidContainerName";
        public const string InvalidBackupName = "InvalidBackupName";
        public const string InvalidIdentityClientId = "InvalidIdentityClientId";
        public const string InvalidEnvironment = "InvalidEnvironment";
        public const string InvalidResourceManagerUrl = "InvalidResourceManagerUrl";
        public const string InvalidBlobEndpoint = "InvalidBlobEndpoint";
        public const string AccessKeyRequired = "AccessKeyRequired";
        public const string IdentityClientIdRequired = "IdentityClientIdRequired";
        public const string ConflictingAccessType = "ConflictingAccessType";
        public const string InvalidOperationObject = "InvalidOperationObject";
        public const string ConflictingServiceIdentity = "ConflictingServiceIdentity";
        public const string SubscriptionRequired = "SubscriptionRequired";
        public const string ConfirmationRequired = "ConfirmationRequired";
        public const string RetentionRuleRequired = "RetentionRuleRequired";

        // Input, also rejected before any request (input hardening): malformed secrets and rules.
        public const string InvalidStorageAccountKey = "InvalidStorageAccountKey";
        public const string InvalidAccessToken = "InvalidAccessToken";
        public const string InvalidRetentionRule = "InvalidRetentionRule";
        public const string InvalidSnapshotPath = "InvalidSnapshotPath";

        // The service said no.
        public const string ServiceNotFound = "ServiceNotFound";
        public const string ServiceBusy = "ServiceBusy";
        public const string SkuMismatch = "SkuMismatch";
        public const string SkuNotSupported = "SkuNotSupported";
        public const string ManagedIdentityNotConfigured = "ManagedIdentityNotConfigured";
        public const string BackupExpired = "BackupExpired";
        public const string BackupNotFound = "BackupNotFound";
        public const string ApimOperationFailed = "ApimOperationFailed";
        public const string Throttled = "Throttled";
        public const string AuthenticationFailed = "AuthenticationFailed";
        public const string AuthenticationExpired = "AuthenticationExpired";
        public const string AuthorizationFailed = "AuthorizationFailed";

        // The conversation itself went wrong.
        public const string OperationTimedOut = "OperationTimedOut";
        public const string UntrustedPollHost = "UntrustedPollHost";
        public const string ConnectionFailed = "ConnectionFailed";
        public const string ArmProtocolError = "ArmProtocolError";

        // The outcome is not known (docs/arm-protocol.md, outcome table): the service may have started
        // or finished it; never a verdict, always with the way to find out or resume.
        public const string OperationOutcomeUnknown = "OperationOutcomeUnknown";
        public const string OperationNotFound = "OperationNotFound";
        public const string BackupNotCreated = "BackupNotCreated";
        public const string InvalidPollUrl = "InvalidPollUrl";
        public const string UntrustedEndpoint = "UntrustedEndpoint";

        // Configuration snapshots (Get-/Compare-ApimConfiguration).
        public const string UntrustedNextLink = "UntrustedNextLink";
        public const string InvalidConfigurationSnapshot = "InvalidConfigurationSnapshot";
        public const string SnapshotNotFound = "SnapshotNotFound";
        public const string RestoreVerificationFailed = "RestoreVerificationFailed";
        public const string SnapshotWriteFailed = "SnapshotWriteFailed";

        // The operation journal (docs/arm-protocol.md §8): read failures only; a failed write is a warning.
        public const string JournalUnreadable = "JournalUnreadable";

        // Storage (backup catalog).
        public const string ContainerNotFound = "ContainerNotFound";
        public const string StorageAccessDenied = "StorageAccessDenied";
        public const string StorageRequestFailed = "StorageRequestFailed";

        // The cmdlet layer's own (ErrorRecords): Ctrl+C, and an exception no code path expected.
        public const string OperationStopped = "OperationStopped";
        public const string UnexpectedError = "UnexpectedError";

        // Never lose a backup (issue 17): refused before anything is sent or removed.
        public const string BackupExists = "BackupExists";
        public const string BackupNameCollision = "BackupNameCollision";
        public const string BackupInUse = "BackupInUse";
        public const string InvalidNamePattern = "InvalidNamePattern";
        public const string StorageUnreachable = "StorageUnreachable";

        // Survive the region (issue 18).
        public const string BackupIntegrityFailed = "BackupIntegrityFailed";
        public const string ReplicaRequiresLocation = "ReplicaRequiresLocation";
        public const string ServiceSoftDeleted = "ServiceSoftDeleted";

        // Tested backups (Test-ApimBackup).
        public const string BackupTestTargetConflict = "BackupTestTargetConflict";
        public const string BackupTestTargetRequired = "BackupTestTargetRequired";
        public const string NoRestorableBackup = "NoRestorableBackup";
        public const string RestoreNotVerified = "RestoreNotVerified";
        public const string InvalidReportPath = "InvalidReportPath";
        public const string ReportWriteFailed = "ReportWriteFailed";
    }
}
