<#
.SYNOPSIS
A disaster-recovery drill: back up the primary APIM service (with its configuration snapshot), find the
backup in the catalog, restore it into the standby with -Verify, and report what an auditor asks: each
step's start, end and duration, the measured RTO, the RPO (backup age, and how many changes prod has made
since the snapshot), the differences left after the restore (expected: none) and the carry-over
checklist (what a restore does not carry, prod's and the standby's values side by side).

.DESCRIPTION
Uses only ARM and storage, through ApimDr's cmdlets: the same script runs against Azure and against the
bundled emulator. Authentication is whatever ApimDr would use anyway: -AccessToken, a signed-in Az
context (Connect-AzAccount), or managed identity (Azure Automation).

Returns the report object. -ReportPath <path> also writes it as Markdown (<path>.md) and JSON
(<path>.json; the shape is documented in docs/drill-report.md). No secret is in the report: secret named
values appear only as "(secret differs)", storage keys and tokens never.

The drill fails (throws) when the backup or the restore does not succeed. A restore whose outcome is not
known (its POST got no clear answer, or the wait stopped before the end) is reported as UNKNOWN — it may have
started — with the command that checks or resumes it, never as "did not start". A -BackupName whose manifest
names another source service than the primary is refused before any restore request. When the restore
succeeds but the standby differs from the snapshot, the report says Result = DifferencesFound (and lists them).

.EXAMPLE
./Invoke-ApimDrDrill.ps1 -SubscriptionId $sub -ResourceGroupName prod-rg -PrimaryName contoso-apim `
    -StandbyResourceGroupName dr-rg -StandbyName contoso-apim-dr -StorageAccountName contosodr -ContainerName apim `
    -ReportPath ./drill-2026-11-27

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
    # Drill with an existing backup of the primary (e.g. last night's) instead of taking a new one: the RPO
    # then shows what the primary has changed since.
    [string] $BackupName,
    # Writes <ReportPath>.md and <ReportPath>.json (a trailing .md or .json is dropped first).
    [string] $ReportPath,
    # Failover mode: the primary region is declared unavailable. No backup is taken and neither the primary
    # service nor the primary storage account is contacted: the newest VERIFIED replica of the primary in
    # -ReplicaStorageAccountName/-ReplicaContainerName is restored into the standby and verified; every check
    # that needs the primary is listed in the report as "not checked: primary unavailable".
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
# Storage credentials: a non-standard blob endpoint (Azurite, private storage) is sent only when named on the
# command line; ApimDr never sends storage credentials to an endpoint read from a piped object.
$storageAuth = @{}
if ($StorageAccountKey) { $storageAuth.StorageAccountKey = $StorageAccountKey }
if ($BlobEndpoint) { $storageAuth.BlobEndpoint = $BlobEndpoint }
$notChecked = [System.Collections.Generic.List[string]]::new()
if ($PrimaryUnavailable) {
    # Everything is read from the replica's account; the primary's account is never named.
    if (-not $ReplicaStorageAccountName -or -not $ReplicaContainerName) { throw '-PrimaryUnavailable needs -ReplicaStorageAccountName and -ReplicaContainerName: the replica is all there is.' }
    $storageAuth = @{}
    if ($ReplicaStorageAccountKey) { $storageAuth.StorageAccountKey = $ReplicaStorageAccountKey }
    if ($ReplicaBlobEndpoint) { $storageAuth.BlobEndpoint = $ReplicaBlobEndpoint }
    $StorageAccountName = $ReplicaStorageAccountName
    $ContainerName = $ReplicaContainerName
} elseif (-not $StorageAccountName -or -not $ContainerName) {
    throw 'Give -StorageAccountName and -ContainerName (or, with the primary region down, -PrimaryUnavailable and the replica''s).'
}
$catalog = @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName } + $storageAuth

$steps = [System.Collections.Generic.List[object]]::new()
function Invoke-DrillStep([string] $Name, [scriptblock] $Action) {
    <# Runs one step, recording its start, end and duration (also when it throws). #>
    $start = [DateTime]::UtcNow
    try { & $Action } finally {
        $end = [DateTime]::UtcNow
        $steps.Add([pscustomobject]@{ name = $Name; start = $start; end = $end; durationSeconds = [Math]::Round(($end - $start).TotalSeconds, 3) })
    }
}
function ConvertTo-DifferenceRow($Difference) {
    [pscustomobject]@{ entity = $Difference.Entity; name = $Difference.Name; property = $Difference.Property
        reference = $Difference.Reference; difference = $Difference.Difference; change = $Difference.Change }
}

$drillStart = [DateTime]::UtcNow
$drilledId = "/subscriptions/$SubscriptionId/resourceGroups/$ResourceGroupName/providers/Microsoft.ApiManagement/service/$PrimaryName"
if ($PrimaryUnavailable -and -not $BackupName) {
    # The newest verified replica of the primary that can still be restored (the 30 days run from the original backup).
    $newest = Invoke-DrillStep 'catalog' {
        Get-ApimBackup @catalog -ServiceName $PrimaryName |
            Where-Object { $_.ReplicaOf -and $_.SourceServiceId -eq $drilledId -and $_.Status -eq 'Succeeded' -and -not $_.IsExpired } | Select-Object -First 1
    }
    if (-not $newest) { throw "No verified replica of $PrimaryName that can still be restored is in $StorageAccountName/$ContainerName (Copy-ApimBackup, or Backup-ApimService -ReplicaStorageAccountName, makes them)." }
    $BackupName = $newest.BackupName
    $notChecked.Add('backup: not taken: primary unavailable (the newest verified replica is restored)')
}
if (-not $BackupName) {
    $backup = Invoke-DrillStep 'backup' {
        Backup-ApimService -SubscriptionId $SubscriptionId -ResourceGroupName $ResourceGroupName -Name $PrimaryName @catalog @arm
    }
    if ($backup.Status -ne 'Succeeded') { throw "Backup of $PrimaryName ended $($backup.Status): $($backup.ErrorCode) $($backup.ErrorMessage)" }
    $BackupName = $backup.BackupName
}

$catalogErrors = [System.Collections.Generic.List[object]]::new()
$entry = Invoke-DrillStep 'catalog' {
    Get-ApimBackup @catalog -BackupName $BackupName -ErrorAction SilentlyContinue -ErrorVariable errors
    foreach ($e in $errors) { $catalogErrors.Add($e) }
}
if (-not $entry) { throw "No backup $BackupName is in the catalog of $StorageAccountName/$ContainerName. $($catalogErrors | Select-Object -First 1)" }
if (-not $entry.SourceServiceId) { throw "Backup $BackupName has no manifest naming its source service, so the drill cannot tell it is a backup of $PrimaryName." }
# A backup of ANOTHER service (another name, resource group or subscription) would drill nothing about the primary
# and overwrite the standby with a stranger's configuration: refused before any restore request.
if ($entry.SourceServiceId -ne $drilledId) {
    throw ("Backup $BackupName was taken from $($entry.SourceServiceId), not from the primary being drilled ($drilledId); nothing was restored. " +
        "Choose a backup of ${PrimaryName}: Get-ApimBackup -StorageAccountName $StorageAccountName -ContainerName $ContainerName -ServiceName $PrimaryName")
}
if (-not $entry.HasSnapshot) { throw "Backup $BackupName has no configuration snapshot (backed up with -SkipSnapshot?)." }
if ($PrimaryUnavailable -and -not $entry.ReplicaOf) { throw "Backup $BackupName in $StorageAccountName/$ContainerName is not a verified replica (no manifest saying where it was copied from and that its bytes were checked)." }
$primaryId = $entry.SourceServiceId

$snapshot = Invoke-DrillStep 'snapshot' { $entry | Get-ApimConfiguration @storageAuth }

# What a restore of this backup would lose now: prod's restorable changes since the snapshot (prod is read
# under the snapshot's salt, so a changed secret counts without either value being shown).
$changes = if ($PrimaryUnavailable) {
    $notChecked.Add('rpo: changes on the primary since the snapshot: not checked: primary unavailable (the RPO is the replica''s age at failover)')
    $null
} else {
    Invoke-DrillStep 'rpo' {
        @(Compare-ApimConfiguration -Reference $snapshot -Difference $primaryId @arm | Where-Object { $_.IsRestorable -and $_.Change -ne 'Equal' })
    }
}

$restoreStart = [DateTime]::UtcNow
$verifyErrors = [System.Collections.Generic.List[object]]::new()
$restoreOutput = Invoke-DrillStep 'restore' {
    # -Verify compares the standby with the backup's snapshot; a difference is a non-terminating error, reported below.
    $entry | Restore-ApimService -SubscriptionId $SubscriptionId -ResourceGroupName $StandbyResourceGroupName -Name $StandbyName -Force -Verify `
        @arm @storageAuth -ErrorAction SilentlyContinue -ErrorVariable errors
    foreach ($e in $errors) { $verifyErrors.Add($e) }
}
$restoreEnd = [DateTime]::UtcNow
$restore = @($restoreOutput | Where-Object { $_.PSObject.TypeNames -contains 'ApimDr.ApimOperation' })[0]
$verification = @($restoreOutput | Where-Object { $_.PSObject.TypeNames -contains 'ApimDr.ApimRestoreVerification' })[0]
if (-not $restore) {
    # No operation object: the POST was refused (did not start) — or its outcome is unknown (it may have started).
    $unknown = @($verifyErrors | Where-Object { "$($_.FullyQualifiedErrorId)" -like 'OperationOutcomeUnknown,*' })[0]
    if ($unknown) {
        throw ("The outcome of the restore into $StandbyName is UNKNOWN: it may have started, so do not start another one yet. $unknown " +
            "Check it with: Get-ApimOperation -Name $StandbyName (the journal keeps it as Unknown), and the standby's provisioningState.")
    }
    throw "Restore into $StandbyName did not start: $($verifyErrors | Select-Object -First 1)"
}
if ($restore.Status -notin 'Succeeded', 'Failed', 'Canceled') {
    # The wait stopped (timeout, 404, token expiry, Ctrl+C, only errors for 15 minutes): the restore may still run.
    throw ("The outcome of the restore into $StandbyName is UNKNOWN: it may have started and may still be running; the wait stopped: " +
        "$($verifyErrors | Select-Object -First 1) Resume it with: $($restore.ResumeCommand())")
}
if ($restore.Status -ne 'Succeeded') { throw "Restore into $StandbyName ended $($restore.Status): $($restore.ErrorCode) $($restore.ErrorMessage)" }
if (-not $verification) { throw "Restore into $StandbyName succeeded but was not verified: $($verifyErrors | Select-Object -First 1)" }
foreach ($err in $verifyErrors) { Write-Warning "$err" }

# The carry-over checklist: prod's and the standby's ACTUAL values of what a restore does not carry.
$carryOver = if ($PrimaryUnavailable) {
    # The primary cannot be read: the backup's own values (from its snapshot) stand in for prod's.
    $notChecked.Add('carry-over: the primary''s live values: not checked: primary unavailable (the backup''s snapshot values are shown)')
    @($verification.CarryOver)
} else {
    Invoke-DrillStep 'carry-over' {
        Compare-ApimConfiguration -Reference $primaryId -Difference $restore.ResourceId @arm -IncludeEqual | Where-Object { -not $_.IsRestorable }
    }
}
$drillEnd = [DateTime]::UtcNow

$report = [pscustomobject]@{
    PSTypeName      = 'ApimDr.DrillReport'
    format          = 'apimdr-drill-report/1'
    result          = if ($verification.IsEqual) { 'Succeeded' } else { 'DifferencesFound' }
    mode            = if ($PrimaryUnavailable) { 'failover' } else { 'drill' }
    notChecked      = @($notChecked)
    startedAt       = $drillStart
    endedAt         = $drillEnd
    durationSeconds = [Math]::Round(($drillEnd - $drillStart).TotalSeconds, 3)
    primary         = [pscustomobject]@{ name = $PrimaryName; resourceId = $primaryId }
    standby         = [pscustomobject]@{ name = $StandbyName; resourceId = $restore.ResourceId }
    backup          = [pscustomobject]@{ name = $BackupName; storageAccountName = $StorageAccountName; containerName = $ContainerName
        created = $entry.Created; sizeBytes = [long]$entry.SizeBytes; snapshotTakenAt = $snapshot.TakenAt; entityCount = $snapshot.EntityCount; replicaOf = $entry.ReplicaOf }
    steps           = @($steps)
    rto             = [pscustomobject]@{ seconds = [Math]::Round(($restoreEnd - $restoreStart).TotalSeconds, 3); from = $restoreStart; to = $restoreEnd }
    rpo             = [pscustomobject]@{
        backupAgeSeconds     = [Math]::Round(($restoreStart - $entry.Created).TotalSeconds, 3)
        changesSinceSnapshot = if ($PrimaryUnavailable) { $null } else { @($changes | Where-Object { $_ }).Count }
        changes              = @($changes | Where-Object { $_ } | ForEach-Object { [pscustomobject]@{ entity = $_.Entity; name = $_.Name; property = $_.Property; change = $_.Change } })
    }
    differences     = @($verification.Differences | ForEach-Object { ConvertTo-DifferenceRow $_ })
    carryOver       = @($carryOver | ForEach-Object {
            [pscustomobject]@{ setting = $_.Property; primary = $_.Reference; standby = $_.Difference; equal = $_.Change -eq 'Equal' }
        })
}

function Format-DrillMarkdown($Report) {
    <# The report as Markdown: summary, steps, RPO, differences, carry-over grouped by hostname / setting. #>
    $cell = { param($v) if ($null -eq $v -or "$v" -eq '') { '—' } else { ("$v" -replace '\|', '\|' -replace '\r?\n', ' ') } }
    $time = { param($t) ([DateTime]$t).ToUniversalTime().ToString('yyyy-MM-dd HH:mm:ss.fff') + 'Z' }
    $md = [System.Text.StringBuilder]::new()
    $null = $md.AppendLine("# DR drill: $($Report.primary.name) → $($Report.standby.name)").AppendLine()
    $null = $md.AppendLine("| | |").AppendLine("|---|---|")
    $null = $md.AppendLine("| result | **$($Report.result)** |")
    $null = $md.AppendLine("| mode | $($Report.mode)$(if ($Report.backup.replicaOf) { " (replica of $($Report.backup.replicaOf))" }) |")
    foreach ($n in $Report.notChecked) { $null = $md.AppendLine("| not checked | $n |") }
    $null = $md.AppendLine("| drill | $(& $time $Report.startedAt) → $(& $time $Report.endedAt) ($('{0:N1}' -f $Report.durationSeconds) s) |")
    $null = $md.AppendLine("| backup | ``$($Report.backup.name)`` in $($Report.backup.storageAccountName)/$($Report.backup.containerName), $('{0:N0}' -f $Report.backup.sizeBytes) bytes, created $(& $time $Report.backup.created) |")
    $null = $md.AppendLine("| RTO (measured) | $('{0:N1}' -f $Report.rto.seconds) s, restore start to standby restored and verified |")
    $since = if ($null -eq $Report.rpo.changesSinceSnapshot) { 'changes on the primary since the snapshot not checked (primary unavailable)' } else { "$($Report.rpo.changesSinceSnapshot) change(s) on $($Report.primary.name) since the snapshot" }
    $null = $md.AppendLine("| RPO | backup $('{0:N1}' -f $Report.rpo.backupAgeSeconds) s old at restore start; $since ($(& $time $Report.backup.snapshotTakenAt), $($Report.backup.entityCount) entities) |")
    $null = $md.AppendLine("| differences after restore | $($Report.differences.Count) (expected: none) |")
    $null = $md.AppendLine("| carry-over settings | $($Report.carryOver.Count), of which $(@($Report.carryOver | Where-Object { -not $_.equal }).Count) differ |").AppendLine()

    $null = $md.AppendLine('## Steps').AppendLine().AppendLine('| step | start (UTC) | end (UTC) | seconds |').AppendLine('|---|---|---|---:|')
    foreach ($s in $Report.steps) { $null = $md.AppendLine("| $($s.name) | $(& $time $s.start) | $(& $time $s.end) | $('{0:N3}' -f $s.durationSeconds) |") }

    $null = $md.AppendLine().AppendLine("## Changes on $($Report.primary.name) since the snapshot (what a restore of this backup would lose)").AppendLine()
    if ($Report.rpo.changes.Count -eq 0) { $null = $md.AppendLine('None.') } else {
        $null = $md.AppendLine('| change | entity | name | property |').AppendLine('|---|---|---|---|')
        foreach ($c in $Report.rpo.changes) { $null = $md.AppendLine("| $($c.change) | $($c.entity) | $(& $cell $c.name) | $(& $cell $c.property) |") }
    }

    $null = $md.AppendLine().AppendLine('## Differences after the restore (standby vs the backup''s snapshot)').AppendLine()
    if ($Report.differences.Count -eq 0) { $null = $md.AppendLine('None: every restorable entity equals the snapshot.') } else {
        $null = $md.AppendLine('| change | entity | name | property | snapshot | standby |').AppendLine('|---|---|---|---|---|---|')
        foreach ($d in $Report.differences) { $null = $md.AppendLine("| $($d.change) | $($d.entity) | $(& $cell $d.name) | $(& $cell $d.property) | $(& $cell $d.reference) | $(& $cell $d.difference) |") }
    }

    $null = $md.AppendLine().AppendLine('## Carry-over checklist (not restored by design)').AppendLine()
    $null = $md.AppendLine("Set these on the standby yourself (or confirm they are meant to differ). ☐ = differs, ✓ = equal.").AppendLine()
    # One group per hostname (hostnameConfigurations[<host>].*), otherwise per top-level setting.
    $groups = $Report.carryOver | Group-Object { if ($_.setting -match '^(hostnameConfigurations\[[^\]]+\])') { $Matches[1] } else { ($_.setting -split '[.\[]')[0] } }
    foreach ($g in $groups) {
        $null = $md.AppendLine("### $($g.Name)").AppendLine().AppendLine("| | setting | $($Report.primary.name) | $($Report.standby.name) |").AppendLine('|---|---|---|---|')
        foreach ($c in $g.Group) { $null = $md.AppendLine("| $(if ($c.equal) { '✓' } else { '☐' }) | $($c.setting) | $(& $cell $c.primary) | $(& $cell $c.standby) |") }
        $null = $md.AppendLine()
    }
    return $md.ToString()
}

if ($ReportPath) {
    $base = $ReportPath -replace '\.(md|json)$', ''
    $dir = Split-Path -Parent $base
    if ($dir -and -not (Test-Path $dir)) { $null = New-Item -ItemType Directory -Force -Path $dir }
    Set-Content -Path "$base.md" -Value (Format-DrillMarkdown $report) -Encoding utf8
    # Times as ISO 8601 UTC (DateTime values are UTC here).
    $report | ConvertTo-Json -Depth 6 | Set-Content -Path "$base.json" -Encoding utf8
    $report | Add-Member -NotePropertyName markdownPath -NotePropertyValue (Resolve-Path "$base.md").Path
    $report | Add-Member -NotePropertyName jsonPath -NotePropertyValue (Resolve-Path "$base.json").Path
}
$report
