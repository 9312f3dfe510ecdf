<#
.SYNOPSIS
A disaster-recovery drill in two cmdlets: Backup-ApimService (the primary, with its configuration snapshot),
then Test-ApimBackup -ReportPath (restore that backup into the standby, verify it against the snapshot, and
write the report an auditor accepts: where it ran, who ran it, ApimDr's version, RTO/RPO against the targets,
the primary's changes since the snapshot, the history of the last tests, and the carry-over actions to do by
hand). The report's shape: docs/drill-report.md.

.DESCRIPTION
Uses only ARM and storage, through ApimDr's cmdlets: the same script runs against Azure and against the
bundled emulator (whose runs the report flags as "emulator / test endpoint"). Authentication is whatever
ApimDr would use anyway: -AccessToken, a signed-in Az context (Connect-AzAccount), or managed identity.

Returns the report (the JSON read back, plus markdownPath and jsonPath). The drill throws when the backup or
the test does not succeed, AFTER the report is written (a failed test is reported too). A restore whose
outcome is not known is reported as UNKNOWN (it may have started) with the command that checks or resumes
it, never as "did not start". A -BackupName of another service than the primary is a Failed test
(NoRestorableBackup) before any restore request.

.EXAMPLE
./Invoke-ApimDrDrill.ps1 -SubscriptionId $sub -ResourceGroupName prod-rg -PrimaryName contoso-apim `
    -StandbyResourceGroupName dr-rg -StandbyName contoso-apim-dr -StorageAccountName contosodr -ContainerName apim `
    -MaxRto '01:00:00' -MaxRpo '1.00:00:00' -ReportPath ./drill-2026-11-27

.EXAMPLE
# Failover: the primary region is down. Restore the newest verified replica of the primary (in the second
# region's account) into the standby there; nothing is sent to the primary's region or its storage.
./Invoke-ApimDrDrill.ps1 -SubscriptionId $sub -ResourceGroupName prod-rg -PrimaryName contoso-apim -StandbyResourceGroupName dr-rg `
    -StandbyName contoso-apim-dr -PrimaryUnavailable -ReplicaStorageAccountName contosodrnoe -ReplicaContainerName apim -ReportPath ./failover

.EXAMPLE
# Drill with last night's backup (the newest of the primary) instead of a new one:
$last = Get-ApimBackup -StorageAccountName contosodr -ContainerName apim -ServiceName contoso-apim | Select-Object -First 1
./Invoke-ApimDrDrill.ps1 @common -BackupName $last.BackupName -ReportPath ./drill-nightly
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $SubscriptionId,
    [Parameter(Mandatory)][string] $ResourceGroupName,
    [Parameter(Mandatory)][string] $PrimaryName,
    [string] $StandbyResourceGroupName = $ResourceGroupName,
    [Parameter(Mandatory)][string] $StandbyName,
    [string] $StorageAccountName,
    [string] $ContainerName,
    [securestring] $StorageAccountKey,
    [uri] $BlobEndpoint,
    [uri] $ResourceManagerUrl,
    [securestring] $AccessToken,
    # Drill with an existing backup of the primary (e.g. last night's) instead of taking a new one.
    [string] $BackupName,
    # Writes <ReportPath>.md and <ReportPath>.json (default: apimdr-drill-<primary>-<UTC time> in the current folder).
    [string] $ReportPath,
    # The RTO and RPO targets the report judges the measured ones against.
    [timespan] $MaxRto,
    [timespan] $MaxRpo,
    # Failover mode: the primary region is declared unavailable. No backup is taken and neither the primary
    # service nor the primary storage account is contacted: the newest verified replica of the primary in
    # -ReplicaStorageAccountName/-ReplicaContainerName is tested; the report lists what it could not check.
    [switch] $PrimaryUnavailable,
    [string] $ReplicaStorageAccountName,
    [string] $ReplicaContainerName,
    [securestring] $ReplicaStorageAccountKey,
    [uri] $ReplicaBlobEndpoint
)
$ErrorActionPreference = 'Stop'
Import-Module ApimDr -ErrorAction SilentlyContinue

$arm = @{}
if ($ResourceManagerUrl) { $arm.ResourceManagerUrl = $ResourceManagerUrl }
if ($AccessToken) { $arm.AccessToken = $AccessToken }
# The catalog: the primary's container, or with the primary region down the replica's (its account is all there is).
# A non-standard blob endpoint (Azurite, private storage) is sent only when named on the command line.
$catalog = if ($PrimaryUnavailable) {
    if (-not $ReplicaStorageAccountName -or -not $ReplicaContainerName) { throw '-PrimaryUnavailable needs -ReplicaStorageAccountName and -ReplicaContainerName: the replica is all there is.' }
    @{ StorageAccountName = $ReplicaStorageAccountName; ContainerName = $ReplicaContainerName; StorageAccountKey = $ReplicaStorageAccountKey; BlobEndpoint = $ReplicaBlobEndpoint }
} else {
    if (-not $StorageAccountName -or -not $ContainerName) { throw 'Give -StorageAccountName and -ContainerName (or, with the primary region down, -PrimaryUnavailable and the replica''s).' }
    @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName; StorageAccountKey = $StorageAccountKey; BlobEndpoint = $BlobEndpoint }
}
foreach ($k in @($catalog.Keys)) { if (-not $catalog[$k]) { $catalog.Remove($k) } }
$primaryId = "/subscriptions/$SubscriptionId/resourceGroups/$ResourceGroupName/providers/Microsoft.ApiManagement/service/$PrimaryName"

if (-not $PrimaryUnavailable -and -not $BackupName) {
    $backup = Backup-ApimService -SubscriptionId $SubscriptionId -ResourceGroupName $ResourceGroupName -Name $PrimaryName @catalog @arm
    if ($backup.Status -ne 'Succeeded') { throw "Backup of $PrimaryName ended $($backup.Status): $($backup.ErrorCode) $($backup.ErrorMessage)" }
    $BackupName = $backup.BackupName
}

if (-not $ReportPath) { $ReportPath = Join-Path (Get-Location) ("apimdr-drill-$PrimaryName-" + [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ')) }
$test = @{ SourceServiceId = $primaryId; TargetSubscriptionId = $SubscriptionId; TargetResourceGroupName = $StandbyResourceGroupName; TargetName = $StandbyName; ReportPath = $ReportPath }
if ($BackupName) { $test.BackupName = $BackupName }
if ($PSBoundParameters.ContainsKey('MaxRto')) { $test.MaxRto = $MaxRto }
if ($PSBoundParameters.ContainsKey('MaxRpo')) { $test.MaxRpo = $MaxRpo }
# (Not piped into Select-Object -First 1: that would stop Test-ApimBackup before it writes the report.)
$result = @(Test-ApimBackup @test @catalog @arm -SourceUnavailable:$PrimaryUnavailable -Force `
    -ErrorAction SilentlyContinue -ErrorVariable testErrors -InformationAction SilentlyContinue -InformationVariable started)[0]

$base = $ReportPath -replace '\.(md|json)$', ''
$report = if (Test-Path "$base.json") {
    $r = Get-Content -Raw "$base.json" | ConvertFrom-Json
    $r | Add-Member -NotePropertyName markdownPath -NotePropertyValue (Resolve-Path "$base.md").Path -PassThru |
        Add-Member -NotePropertyName jsonPath -NotePropertyValue (Resolve-Path "$base.json").Path -PassThru
}
if (-not $result) { throw "Nothing was tested: $($testErrors | Select-Object -First 1)" }
if ($result.Result -ne 'Succeeded') {
    $restore = @($started.MessageData | Where-Object { $_ -is [ApimDr.ApimOperation] })[0]
    if ($result.ErrorId -eq 'OperationOutcomeUnknown') {
        throw ("The outcome of the restore into $StandbyName is UNKNOWN: it may have started, so do not start another one yet. $($result.Message) " +
            "Check it with: Get-ApimOperation -Name $StandbyName (the journal keeps it as Unknown), and the standby's provisioningState.")
    }
    if ($result.RestoreStatus -and $result.RestoreStatus -notin 'Succeeded', 'Failed', 'Canceled') {
        # The wait stopped (timeout, 404, token expiry, Ctrl+C): the restore may still run.
        throw ("The outcome of the restore into $StandbyName is UNKNOWN: it may have started and may still be running; the wait stopped: " +
            "$($result.Message) Resume it with: $(if ($restore) { $restore.ResumeCommand() } else { "Get-ApimOperation -Name $StandbyName | Wait-ApimOperation" })")
    }
    throw "The drill of $PrimaryName into $StandbyName failed ($($result.ErrorId)): $($result.Message) Report: $base.md"
}
$report
