using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Workflow;

namespace ApimDr.Commands
{
    /// <summary>
    /// Proves backups restore: for each source service, its newest restorable backup (a verified replica first)
    /// restored into a standby and verified against its snapshot — Restore-ApimService -Verify's start and the one
    /// wait, composed — with ONE result per source as soon as it is done, appended to the drill history beside the backups.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "ApimBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(ApimBackupTestResult))]
    public sealed class TestApimBackupCommand : StorageCmdlet
    {
        /// <summary>Backups from Get-ApimBackup: per source service, the newest restorable among them is tested.</summary>
        [Parameter(ValueFromPipeline = true)]
        public ApimBackup[]? InputObject { get; set; }

        /// <summary>Test this backup (a literal name) instead of the newest restorable one.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
        public string? BackupName { get; set; }

        /// <summary>The standby to restore into (one source). Several sources: -TargetMap.</summary>
        [Parameter]
        public string? TargetName { get; set; }

        /// <summary>The targets' resource group (default: the source's).</summary>
        [Parameter]
        public string? TargetResourceGroupName { get; set; }

        /// <summary>The targets' subscription (default: the source's).</summary>
        [Parameter]
        public string? TargetSubscriptionId { get; set; }

        /// <summary>Source service name → standby name or resource id, e.g. @{ prod = 'standby'; edge = 'edge-standby' }.</summary>
        [Parameter]
        public Hashtable? TargetMap { get; set; }

        /// <summary>A replica container (another account, another region): a verified replica of the chosen backup there is tested instead.</summary>
        [Parameter]
        public string? ReplicaStorageAccountName { get; set; }

        [Parameter]
        public string? ReplicaContainerName { get; set; }

        [Parameter]
        public SecureString? ReplicaStorageAccountKey { get; set; }

        [Parameter]
        public Uri? ReplicaBlobEndpoint { get; set; }

        /// <summary>How each target service reads the backup from storage (the restore's accessType). Default: AccessKey with a storage key, UserAssignedManagedIdentity with -IdentityClientId, else SystemAssignedManagedIdentity.</summary>
        [Parameter]
        [ValidateSet("AccessKey", "SystemAssignedManagedIdentity", "UserAssignedManagedIdentity")]
        public string? AccessType { get; set; }

        /// <summary>The client id of a user-assigned identity attached to the target services.</summary>
        [Parameter]
        public Guid? IdentityClientId { get; set; }

        /// <summary>Restore without asking (-WhatIf still applies).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>A custom ARM endpoint; overrides -Environment. Never taken from piped objects (docs/arm-protocol.md §7).</summary>
        [Parameter]
        public Uri? ResourceManagerUrl { get; set; }

        /// <summary>A bearer token for ARM, e.g. (Get-AzAccessToken -AsSecureString).Token. Cannot be refreshed.</summary>
        [Parameter]
        public SecureString? AccessToken { get; set; }

        /// <summary>Bounds the wait; a restore still running then is a Failed test (OperationTimedOut), resumable.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        /// <summary>Writes the report an auditor accepts for this call (all its sources): &lt;path&gt;.md and &lt;path&gt;.json (docs/drill-report.md).</summary>
        [Parameter]
        public string? ReportPath { get; set; }

        /// <summary>The RTO target: a test whose measured RTO is longer misses it (in the report).</summary>
        [Parameter]
        public TimeSpan? MaxRto { get; set; }

        /// <summary>The RPO target (Get-ApimDrStatus -MaxBackupAge): a test whose backup was older misses it (in the report).</summary>
        [Parameter]
        public TimeSpan? MaxRpo { get; set; }

        /// <summary>The source services' region is down: the report does not read them (their changes since the snapshot are "not checked").</summary>
        [Parameter]
        public SwitchParameter SourceUnavailable { get; set; }

        private ArmSession? _arm;
        private readonly List<(ApimBackup Backup, StorageLocation At)> _piped = new List<(ApimBackup, StorageLocation)>();
        private readonly Dictionary<ApimOperation, (ApimBackupTestResult Result, StorageLocation At)> _running = new Dictionary<ApimOperation, (ApimBackupTestResult, StorageLocation)>();
        private readonly List<(ApimBackupTestResult Result, ApimRestoreVerification? Verification, StorageLocation At)> _tested = new List<(ApimBackupTestResult, ApimRestoreVerification?, StorageLocation)>();
        private string? _reportBase;

        private ArmSession Arm => _arm ?? throw new InvalidOperationException("BeginProcessing has not run.");

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _arm = new ArmSession(this, Session, Environment, ResourceManagerUrl, AccessToken, TimeoutSeconds);
        }

        /// <summary>Piped backups are collected: the newest per source, and targets shared by two sources, are known only at the end.</summary>
        protected override void ProcessRecord()
        {
            if (InputObject == null) return;
            try
            {
                StorageLocation at = CreateLocation();
                foreach (ApimBackup backup in InputObject.Where(b => b != null)) _piped.Add((backup, at));
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, Target);
            }
        }

        protected override void EndProcessing()
        {
            var started = new List<StartedOperation>();
            try
            {
                if (!string.IsNullOrEmpty(BackupName)) ValidateLiteralBackupName(BackupName);
                DrTargets.RefuseUnderOneSecond(MaxRto, "-MaxRto");
                DrTargets.RefuseUnderOneSecond(MaxRpo, "-MaxRpo");
                if (ReportPath != null) _reportBase = DrillReportFiles.BaseOf(FileSystemPaths.Resolve(SessionState, ReportPath, "-ReportPath", ErrorIds.InvalidReportPath, "give the path to write <path>.md and <path>.json to, or leave -ReportPath out."));
                StorageLocation? replicaAt = StorageSelection.Replica(ReplicaStorageAccountName, ReplicaContainerName, ReplicaStorageAccountKey, ReplicaBlobEndpoint, () => Session.ResolveCloud(Environment, ResourceManagerUrl), Session);
                // The access type each restore would send, against the keys given: a conflict is refused before any request.
                ServiceStart.ValidateRestoreAccess(_piped.Count > 0 ? _piped[0].At : CreateLocation(), AccessType, IdentityClientId);
                if (replicaAt != null) ServiceStart.ValidateRestoreAccess(replicaAt, AccessType, IdentityClientId);
                IReadOnlyList<(ApimBackup Backup, StorageLocation At)> candidates = _piped.Count > 0 ? _piped.Where(p => Select(new[] { p.Backup }, null, null).Count > 0).ToList() : ListPrimary();
                IReadOnlyList<ApimBackup>? replicas = replicaAt == null ? null : ListReplicas(replicaAt);
                var chosen = BackupTests.Choose(candidates.Select(c => c.Backup), replicas, BackupName, DateTime.UtcNow);
                if (TargetMap != null && _piped.Count == 0 && string.IsNullOrEmpty(ServiceName) && string.IsNullOrEmpty(SourceServiceId))
                {
                    chosen = ByMap(chosen);   // -TargetMap alone: its keys are the sources
                    if (chosen.Count == 0) return;
                }
                if (chosen.Count == 0)
                {
                    Session.WriteFailure(BackupTests.NothingRestorable(ServiceName ?? SourceServiceId ?? "*", ServiceName ?? SourceServiceId ?? "any service", Target, BackupName), Target);
                    return;
                }
                IReadOnlyDictionary<string, ServiceId> targets = BackupTests.Targets(chosen.Select(c => (c.SourceServiceId, c.SourceServiceName)).ToList(), TargetFor);
                foreach ((string id, string name, ApimBackup? backup) in chosen)
                {
                    // Where the chosen backup is: among the candidates (primary or piped), else the replica container.
                    StorageLocation at = candidates.Where(c => backup != null ? ReferenceEquals(c.Backup, backup) : string.Equals(c.Backup.SourceServiceId?.TrimEnd('/'), id, StringComparison.OrdinalIgnoreCase))
                        .Select(c => c.At).FirstOrDefault() ?? replicaAt!;
                    Start(BackupTests.Begin(id, name, backup, targets[id], DateTime.UtcNow), backup, targets[id], at, started);
                }
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, ex.Target ?? Target);
                return;
            }
            catch (PipelineStoppedException)
            {
                throw Arm.Stopped(started.Select(s => s.Operation));   // Ctrl+C before the wait: what was started still runs
            }
            Arm.WaitAndEmit(started, EndAsync);   // several sources restore in ONE wait; each result is written as its source ends
            WriteReport();
        }

        /// <summary>-ReportPath: the report of every source tested in this call, after the last result (nothing tested: no report).</summary>
        private void WriteReport()
        {
            if (_reportBase == null || _tested.Count == 0) return;
            try
            {
                CloudEnvironment cloud = Arm.ResolveCloud();
                ArmClient client = Arm.GetClient(cloud);
                var tested = _tested.Select(t => (t.Result, t.Verification, t.At)).ToList();
                DrillReportInput input = Session.Run(ct => DrillReportFiles.GatherAsync(client, cloud, tested, SourceUnavailable, MaxRto, MaxRpo, DateTime.UtcNow, ct));
                (string markdown, string json) = DrillReportFiles.Write(_reportBase, DrillReport.Build(input));
                WriteVerbose($"Wrote the report: {markdown} and {json}.");
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, ReportPath);   // the results are out already; only the report is missing
            }
        }

        /// <summary>The primary catalog, filtered by -ServiceName/-SourceServiceId (the manifests' source).</summary>
        private IReadOnlyList<(ApimBackup, StorageLocation)> ListPrimary()
        {
            StorageLocation at = CreateLocation();
            return Select(Session.Run(ct => BackupCatalog.ListAsync(at, null, ct, Session.PostWarning)), null, null).Select(b => (b, at)).ToList();
        }

        /// <summary>The replica catalog; when it cannot be read (its region down?) the primary backups are tested, with a warning.</summary>
        private IReadOnlyList<ApimBackup>? ListReplicas(StorageLocation replicaAt)
        {
            try
            {
                return Session.Run(ct => BackupCatalog.ListAsync(replicaAt, null, ct, Session.PostWarning));
            }
            catch (ApimDrException ex) when (ex.Category != ApimErrorCategory.InvalidArgument)
            {
                WriteWarning($"The replica container '{replicaAt.AccountName}/{replicaAt.ContainerName}' could not be read ({ex.ErrorId}: {ex.Message}); testing the primary backups.");
                return null;
            }
        }

        /// <summary>The sources -TargetMap names; a key that names no source with a backup here is NoRestorableBackup (no result: nothing to test).</summary>
        private IReadOnlyList<(string SourceServiceId, string SourceServiceName, ApimBackup? Backup)> ByMap(IReadOnlyList<(string SourceServiceId, string SourceServiceName, ApimBackup? Backup)> chosen)
        {
            bool Named(string key, (string Id, string Name, ApimBackup? _) source)
                => string.Equals(key, source.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(key.TrimEnd('/'), source.Id, StringComparison.OrdinalIgnoreCase);
            var keys = TargetMap!.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty).ToList();
            foreach (string missing in keys.Where(k => !chosen.Any(c => Named(k, c))))
            {
                Session.WriteFailure(BackupTests.NothingRestorable(missing, missing, Target, BackupName), missing);
            }
            return chosen.Where(c => keys.Any(k => Named(k, c))).ToList();
        }

        /// <summary>-TargetMap's entry for the source (by name or resource id), else -TargetName; a name lands in -TargetResourceGroupName/-TargetSubscriptionId or the source's.</summary>
        private ServiceId? TargetFor(string sourceServiceId, string sourceServiceName)
        {
            string? target = TargetName;
            if (TargetMap != null)
            {
                target = null;
                foreach (DictionaryEntry entry in TargetMap)
                {
                    string key = entry.Key?.ToString() ?? string.Empty;
                    if (string.Equals(key, sourceServiceName, StringComparison.OrdinalIgnoreCase) || string.Equals(key.TrimEnd('/'), sourceServiceId, StringComparison.OrdinalIgnoreCase)) target = entry.Value?.ToString();
                }
            }
            if (string.IsNullOrWhiteSpace(target)) return null;
            if (target!.StartsWith("/", StringComparison.Ordinal)) return ServiceId.Parse(target);
            ServiceId source = ServiceId.Parse(sourceServiceId);
            return ServiceId.Create(TargetSubscriptionId ?? source.SubscriptionId, TargetResourceGroupName ?? source.ResourceGroupName, target);
        }

        /// <summary>Restore-ApimService -Verify's start for one source (pre-flight, prompt, POST); a refusal is that source's Failed result at once.</summary>
        private void Start(ApimBackupTestResult result, ApimBackup? backup, ServiceId target, StorageLocation at, List<StartedOperation> started)
        {
            if (backup == null)
            {
                WriteEnded(result, at, null, BackupTests.NothingRestorable(result.SourceServiceId, result.SourceServiceName, $"{at.AccountName}/{at.ContainerName}", BackupName));
                return;
            }
            try
            {
                ServiceStart start = ServiceStart.ForRestore(Session, Arm, target, at, backup.BackupName, AccessType, IdentityClientId);
                ApimOperation? operation = Session.Run(ct => start.StartRestoreAsync(Force, skipPreflight: false, verify: true, ct));
                if (Session.CancelToken.IsCancellationRequested) throw Arm.Stopped(started.Select(s => s.Operation).Concat(operation == null ? Array.Empty<ApimOperation>() : new[] { operation }));
                if (operation == null) return;   // -WhatIf, or declined: nothing was tested
                WriteInformation(operation.Copy(), new[] { "ApimDr.OperationStarted" });
                _running[operation] = (result, at);
                started.Add(new StartedOperation(operation, () => at));
            }
            catch (ApimDrException ex) when (ex.ErrorId != ErrorIds.ConfirmationRequired)
            {
                WriteEnded(result, at, null, ex);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, target.ResourceId);   // not asked, so not tested: no result, nothing recorded
            }
        }

        /// <summary>A source refused before its restore: its Failed result, recorded, and its error (under -WhatIf only the error: nothing was tested, nothing is written).</summary>
        private void WriteEnded(ApimBackupTestResult result, StorageLocation at, ApimOperation? restore, ApimDrException failure)
        {
            if (Session.WhatIf)
            {
                Session.WriteFailure(failure, result.TargetServiceId ?? result.SourceServiceId);
                return;
            }
            BackupTests.Complete(result, restore, null, failure, DateTime.UtcNow);
            string? warning = Session.Run(ct => RecordAsync(result, at, ct));
            Emit(result, null, at, failure, warning);
        }

        /// <summary>One restore ended (or its wait stopped): verified or not, its result is recorded and written now.</summary>
        private async Task<Action> EndAsync(ApimOperation operation, FollowUpResult? followUps, ApimDrException? interrupted, CancellationToken cancellationToken)
        {
            (ApimBackupTestResult result, StorageLocation at) = _running[operation];
            ApimRestoreVerification? verification = followUps?.Outputs.Select(o => o.Output).OfType<ApimRestoreVerification>().FirstOrDefault();
            ApimDrException? failure = interrupted ?? Operations.ToException(operation) ?? followUps?.Outputs.Select(o => o.Failure).FirstOrDefault(f => f != null);
            if (failure == null && verification == null)
            {
                failure = BackupTests.NotVerified(operation, followUps?.Warnings.Count > 0 ? "see the warning" : "the Verify follow-up did not run");
            }
            BackupTests.Complete(result, operation, verification, failure, DateTime.UtcNow);
            string? warning = await RecordAsync(result, at, cancellationToken).ConfigureAwait(false);
            return () => Emit(result, verification, at, failure, warning);
        }

        private void Emit(ApimBackupTestResult result, ApimRestoreVerification? verification, StorageLocation at, ApimDrException? failure, string? warning)
        {
            _tested.Add((result, verification, at));
            WriteObject(result);
            if (failure != null) Session.WriteFailure(failure, result.TargetServiceId ?? result.SourceServiceId);
            if (warning != null) WriteWarning(warning);
        }

        /// <summary>Appends the result to the drill history beside the tested backup; a failed write is a warning, never a lost result.</summary>
        private static async Task<string?> RecordAsync(ApimBackupTestResult result, StorageLocation at, CancellationToken cancellationToken)
        {
            try
            {
                await BackupCatalog.WriteTestResultAsync(at, result, cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                return $"The test of '{result.SourceServiceName}' ({result.Result}) could not be recorded in the drill history of '{at.AccountName}/{at.ContainerName}' ({ex.Message}); Get-ApimDrStatus will not know it. " +
                    "Pass -StorageAccountKey, or give your identity 'Storage Blob Data Contributor' on the container.";
            }
        }

        protected override void Dispose(bool disposing)
        {
            _arm?.Dispose();
            base.Dispose(disposing);
        }
    }
}
