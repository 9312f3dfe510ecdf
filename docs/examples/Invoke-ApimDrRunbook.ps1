<#
.SYNOPSIS
A schedulable Azure Automation runbook (PowerShell 7 runtime) for nightly APIM backups: it completes what an
earlier job started, starts new backups with -NoWait, copies them to a replica account, applies retention per
service and fails the job when the DR posture misses its targets. It keeps NO local state: everything it needs
from an earlier job is in the backup container (manifests with their poll URL and follow-ups, restore in-use
marks, drill history), so a job stopped at any point (Automation's 3-hour limit, a worker restart) loses nothing.

.DESCRIPTION
Every job runs the same four steps:

1. Complete: every backup of the listed services that the container shows as still running, or as ended with
   follow-ups left (the replica copy, the manifest's end record), is piped from
   Get-ApimBackup -IncludeInProgress into Wait-ApimOperation. Nothing is POSTed again: a wait only polls.
2. Start: a service gets a new backup (Backup-ApimService -NoWait, with the replica as its CopyTo follow-up)
   when the container holds no backup of it that started less than -BackupIntervalHours ago and did not fail
   (one still running counts). So a second job right after the first starts nothing. Set the interval a
   little under the schedule's period (20 for a daily schedule: a job starting a few minutes early still
   backs up); 0 backs up every service on every job. The job then waits for
   the new backups the same way as in step 1, until -WaitMinutes (counted from the job's start) are used up;
   what is still running then is completed by the next job.
3. Retention, per listed service only (another service's backups in a shared container are never touched):
   Remove-ApimBackup -SourceServiceId <service> -KeepLast N [-OlderThan days] -Force, with -OnlyIfReplicated on
   the primary container when a replica account is given (a backup without a verified replica is never
   removed), then the same rules on the replica container. A backup a restore is still reading (its in-use
   mark in the container) is always spared. -KeepLast 0 and -RetentionDays 0 skip retention.
4. Status: Get-ApimDrStatus for the listed services (-MaxBackupAge from -MaxBackupAgeHours, -RequireReplica
   when a replica account is given, -MaxTestAge from -MaxTestAgeDays, -MinRestorableDays). The job throws (it
   ends Failed) when a service is unhealthy, or when a step above reported an error or left a follow-up undone.

SCHEDULE PARAMETERS. All are [string] or [int], so an Automation schedule can set them. Lists are
comma-separated strings: -ServiceName 'contoso-apim,fabrikam-apim' (in -ResourceGroupName), or
'prod-rg/contoso-apim,edge-rg/edge-apim' for several resource groups, or full resource ids.

IDENTITY AND ROLES. No Connect-AzAccount: ApimDr finds the Automation account's managed identity itself
(Azure.Identity, IDENTITY_ENDPOINT). That identity needs:
  - "API Management Service Contributor" (or a role with Microsoft.ApiManagement/service/backup/action and
    read) on each APIM service;
  - "Storage Blob Data Contributor" on the backup container and on the replica container (manifests, replica
    copies, retention, status), unless the account keys are given through -StorageKeyVariable and
    -ReplicaKeyVariable.
How APIM itself writes the backup blob follows Backup-ApimService's rule: with -StorageKeyVariable the key
(AccessKey); else the APIM service's own managed identity (SystemAssignedManagedIdentity, or
UserAssignedManagedIdentity with -IdentityClientId), which then needs "Storage Blob Data Contributor" on the
backup account. -AccessType overrides it.

STORAGE KEYS (optional). -StorageKeyVariable / -ReplicaKeyVariable name an Automation variable (create it
encrypted) holding the account key; the runbook reads it with Get-AutomationVariable and hands it to the
cmdlets as a SecureString. It is never written to the output. Without them the managed identities reach
storage.

IMPORT INTO AUTOMATION. Build the zip with `dotnet pwsh ./build.ps1 -Task Package`, then Automation account ->
Modules -> Add a module -> out/packages/ApimDr.zip (PowerShell 7.x runtime). Import this file as a PowerShell
runbook (7.x runtime), publish it, and link it to a schedule with the parameters, e.g.:
  ServiceName=contoso-apim,fabrikam-apim  ResourceGroupName=prod-rg  SubscriptionId=<id>
  StorageAccountName=drstoreweu  ContainerName=apim  ReplicaStorageAccountName=drstorenoe  ReplicaContainerName=apim
  BackupIntervalHours=20  KeepLast=7  MaxBackupAgeHours=26

TESTED HOW. tests/Runbook.Tests.ps1 runs this file as Automation would: each job a fresh pwsh with its own
empty HOME and TEMP, the emulator's managed-identity endpoint, a stub Get-AutomationVariable; the first job is
killed while it waits and the second completes the backups, replicas, retention and status. It has NOT been
run in a real Azure Automation account.
#>
param(
    [Parameter(Mandatory)][string] $ServiceName,
    [string] $ResourceGroupName,
    [Parameter(Mandatory)][string] $SubscriptionId,
    [Parameter(Mandatory)][string] $StorageAccountName,
    [Parameter(Mandatory)][string] $ContainerName,
    [string] $StorageKeyVariable,
    # The blob endpoint when it is not the account's standard host (a private endpoint's name, an emulator).
    [string] $BlobEndpoint,
    [string] $ReplicaStorageAccountName,
    [string] $ReplicaContainerName,
    [string] $ReplicaKeyVariable,
    [string] $ReplicaBlobEndpoint,
    # How each APIM service reaches the backup account (Backup-ApimService -AccessType); default: AccessKey with -StorageKeyVariable, else the service's managed identity.
    [string] $AccessType,
    [string] $IdentityClientId,
    [int] $BackupIntervalHours = 20,
    [int] $KeepLast = 7,
    [int] $RetentionDays = 0,
    [int] $MaxBackupAgeHours = 26,
    [int] $MaxTestAgeDays = 0,
    [int] $MinRestorableDays = 0,
    # Automation stops a job after 3 hours: the waits of one job end within this many minutes of its start.
    [int] $WaitMinutes = 150,
    [string] $Environment,
    [string] $ResourceManagerUrl
)
$ErrorActionPreference = 'Stop'
Import-Module ApimDr
$jobStart = [DateTime]::UtcNow
$problems = [System.Collections.Generic.List[string]]::new()

# The services, as resource ids (the catalog records each backup's source by its id).
$ids = @(foreach ($item in $ServiceName -split ',' | ForEach-Object Trim | Where-Object { $_ }) {
        if ($item.StartsWith('/')) { $item.TrimEnd('/'); continue }
        $group, $name = if ($item.Contains('/')) { $item -split '/', 2 } else { $ResourceGroupName, $item }
        if (-not $group) { throw "Service '$item' has no resource group: pass -ResourceGroupName or write it as <resource group>/<service>." }
        "/subscriptions/$SubscriptionId/resourceGroups/$group/providers/Microsoft.ApiManagement/service/$name"
    })
if ($ids.Count -eq 0) { throw 'No service given: -ServiceName takes a comma-separated list.' }

function Get-SecretVariable([string] $Name) {
    # An Automation variable holding a storage key (encrypted in Automation); never written anywhere.
    if (-not $Name) { return $null }
    return ConvertTo-SecureString -String (Get-AutomationVariable -Name $Name) -AsPlainText -Force
}

$arm = @{}
if ($ResourceManagerUrl) { $arm.ResourceManagerUrl = $ResourceManagerUrl }
if ($Environment) { $arm.Environment = $Environment }
$primary = @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName }
$primaryAccess = @{}
if ($StorageKeyVariable) { $primaryAccess.StorageAccountKey = Get-SecretVariable $StorageKeyVariable }
if ($BlobEndpoint) { $primaryAccess.BlobEndpoint = $BlobEndpoint }
$cloud = @{}          # the storage-only cmdlets' cloud (the ARM ones get it in $arm)
if ($Environment) { $cloud.Environment = $Environment }
$replica = @{}        # where the replicas go (Backup-ApimService, Get-ApimDrStatus)
$replicaAccess = @{}  # how a wait reaches them (Wait-ApimOperation)
if ($ReplicaStorageAccountName -or $ReplicaContainerName) {
    $replica = @{ ReplicaStorageAccountName = $ReplicaStorageAccountName; ReplicaContainerName = $ReplicaContainerName }
    if ($ReplicaKeyVariable) { $replicaAccess.ReplicaStorageAccountKey = Get-SecretVariable $ReplicaKeyVariable }
    if ($ReplicaBlobEndpoint) { $replicaAccess.ReplicaBlobEndpoint = $ReplicaBlobEndpoint }
}
$hasReplica = $replica.Count -gt 0

function Get-OwnBackup {
    # This runbook's services' backups in the container, newest first, running ones included.
    @(Get-ApimBackup @primary @primaryAccess @cloud -IncludeInProgress | Where-Object { $_.SourceServiceId -in $ids })
}

function Complete-PendingBackup([string] $Step) {
    # What an earlier job (or this one) started and nobody has seen end, or ended with follow-ups left: the container says.
    $pending = @(Get-OwnBackup | Where-Object { $_.PollUrl -and ($_.Status -in 'InProgress', 'Unknown' -or @($_.FollowUps).Count -gt 0) })
    if ($pending.Count -eq 0) { Write-Output "${Step}: nothing to complete."; return }
    $left = [int]($jobStart.AddMinutes($WaitMinutes) - [DateTime]::UtcNow).TotalSeconds
    if ($left -le 0) { Write-Output "${Step}: $($pending.Count) backup(s) pending; no wait time left in this job, the next job completes them."; return }
    Write-Output "${Step}: waiting for $($pending.Count) backup(s) (at most $left s): $($pending.BackupName -join ', ')"
    $waitErrors = $null
    $ended = @($pending | Wait-ApimOperation @arm @primaryAccess @replicaAccess -TimeoutSeconds $left -ErrorAction Continue -ErrorVariable waitErrors |
            Where-Object { $_ -is [ApimDr.ApimOperation] })
    foreach ($op in $ended) {
        $todo = if (@($op.FollowUps).Count) { "; still to do: $($op.FollowUps -join ', ')" } else { '' }
        Write-Output "  $($op.Name) $($op.BackupName): $($op.Status)$todo"
        if ($op.Status -in 'Failed', 'Canceled') { $problems.Add("backup $($op.BackupName) of $($op.Name) $($op.Status)") }
        elseif (@($op.FollowUps).Count -and $op.IsTerminal) { $problems.Add("backup $($op.BackupName) of $($op.Name): $($op.FollowUps -join ', ') not done (the next job retries)") }
    }
    foreach ($err in @($waitErrors)) {
        # A wait cut short by the time budget leaves the backups running: the next job resumes them.
        if ("$($err.FullyQualifiedErrorId)" -notlike 'OperationTimedOut*') { $problems.Add("${Step}: $($err.Exception.Message)") }
    }
}

# 1. Complete what earlier jobs started.
Complete-PendingBackup 'Complete'

# 2. Start the backups that are due (see the interval rule above), without waiting; then wait within the budget.
$catalog = Get-OwnBackup
$threshold = [DateTime]::UtcNow.AddHours(-$BackupIntervalHours)
$due = [System.Collections.Generic.List[string]]::new()
foreach ($id in $ids) {
    $recent = @($catalog | Where-Object { $_.SourceServiceId -eq $id -and $_.Status -notin 'Failed', 'Canceled' -and
            $(if ($_.StartTime) { $_.StartTime } else { $_.Created }) -gt $threshold })
    if ($recent.Count -eq 0) { $due.Add($id) } else { Write-Output "Start: $(($id -split '/')[-1]) has $($recent[0].BackupName) ($($recent[0].Status)); not due." }
}
if ($due.Count -gt 0) {
    $backup = @{ NoWait = $true } + $primary + $primaryAccess + $replica + $replicaAccess + $arm
    if ($AccessType) { $backup.AccessType = $AccessType }
    if ($IdentityClientId) { $backup.IdentityClientId = $IdentityClientId }
    $startErrors = $null
    $started = @($due | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Backup-ApimService @backup -ErrorAction Continue -ErrorVariable startErrors)
    foreach ($op in $started) { Write-Output "Start: $($op.Name) -> $($op.BackupName) ($($op.Status))" }
    foreach ($err in @($startErrors)) { $problems.Add("Start: $($err.Exception.Message)") }
    Complete-PendingBackup 'Wait'
}

# 3. Retention per service: never a backup without a verified replica (when there is a replica account), never one in use.
$rules = @{}
if ($KeepLast -gt 0) { $rules.KeepLast = $KeepLast }
if ($RetentionDays -gt 0) { $rules.OlderThan = New-TimeSpan -Days $RetentionDays }
if ($rules.Count -gt 0) {
    $containers = @(, ($primary + $primaryAccess + @{ OnlyIfReplicated = $hasReplica }))
    if ($hasReplica) {
        $r = @{ StorageAccountName = $ReplicaStorageAccountName; ContainerName = $ReplicaContainerName }
        if ($replicaAccess.ReplicaStorageAccountKey) { $r.StorageAccountKey = $replicaAccess.ReplicaStorageAccountKey }
        if ($replicaAccess.ReplicaBlobEndpoint) { $r.BlobEndpoint = $replicaAccess.ReplicaBlobEndpoint }
        $containers += , $r
    }
    foreach ($where in $containers) {
        foreach ($id in $ids) {
            $removeErrors = $null
            $removed = @(Remove-ApimBackup @where @rules @cloud -SourceServiceId $id -Force -PassThru -ErrorAction Continue -ErrorVariable removeErrors)
            foreach ($b in $removed) { Write-Output "Retention: removed $($where.StorageAccountName)/$($where.ContainerName)/$($b.BackupName)" }
            foreach ($err in @($removeErrors)) { $problems.Add("Retention: $($err.Exception.Message)") }
        }
    }
}

# 4. Status: fail the job when a service misses its targets.
$status = @{ MaxBackupAge = New-TimeSpan -Hours $MaxBackupAgeHours } + $primary + $primaryAccess + $cloud
if ($hasReplica) { $status += $replica + $replicaAccess; $status.RequireReplica = $true }
if ($MaxTestAgeDays -gt 0) { $status.MaxTestAge = New-TimeSpan -Days $MaxTestAgeDays }
if ($MinRestorableDays -gt 0) { $status.MinRestorableDays = $MinRestorableDays }
$rows = @(Get-ApimDrStatus @status | Where-Object { $_.SourceServiceId -in $ids })
foreach ($id in $ids) {
    $row = $rows | Where-Object SourceServiceId -eq $id | Select-Object -First 1
    if (-not $row) { $problems.Add("$(($id -split '/')[-1]): no backup in $StorageAccountName/$ContainerName"); continue }
    Write-Output ("Status: {0}: {1} (backup {2}, replica {3}, {4:0.#} days restorable)" -f $row.SourceServiceName,
        $(if ($row.IsHealthy) { 'healthy' } else { 'UNHEALTHY' }), $row.LatestBackupName, $(if ($row.LatestReplicaName) { $row.LatestReplicaName } else { 'none' }), $row.RestorableDaysLeft)
    if (-not $row.IsHealthy) { $problems.Add("$($row.SourceServiceName): $($row.Issues -join '; ')") }
}
if ($problems.Count -gt 0) { throw "DR runbook: $($problems.Count) problem(s): $($problems -join ' | ')" }
Write-Output 'DR runbook: all services healthy.'
