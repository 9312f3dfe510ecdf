<#
A runbook step (Azure Automation, CI): fails the job when the DR posture misses its targets. Storage reads
only (Get-ApimDrStatus), so it runs anywhere the containers can be read — with the job's managed identity
('Storage Blob Data Reader'), or with -StorageAccountKey. Schedule it after the nightly backups and the
weekly Test-ApimBackup:

    ./Assert-ApimDrPosture.ps1 -StorageAccountName drstoreweu -ContainerName apim `
        -ReplicaStorageAccountName drstorenoe -ReplicaContainerName apim -MaxBackupAge 1.02:00:00 -MaxTestAge 8.00:00:00

It writes one line per service and throws (the job fails) when any service is unhealthy, naming the issues.
#>
param(
    [Parameter(Mandatory)][string] $StorageAccountName,
    [Parameter(Mandatory)][string] $ContainerName,
    [securestring] $StorageAccountKey,
    [uri] $BlobEndpoint,
    [string] $ReplicaStorageAccountName,
    [string] $ReplicaContainerName,
    [securestring] $ReplicaStorageAccountKey,
    [uri] $ReplicaBlobEndpoint,
    [string] $ServiceName,
    [timespan] $MaxBackupAge = (New-TimeSpan -Hours 26),
    [timespan] $MaxTestAge = (New-TimeSpan -Days 8),
    [double] $MinRestorableDays = 7,
    [switch] $RequireReplica
)
$ErrorActionPreference = 'Stop'
$status = @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName
    MaxBackupAge = $MaxBackupAge; MaxTestAge = $MaxTestAge; MinRestorableDays = $MinRestorableDays; RequireReplica = $RequireReplica }
foreach ($name in 'StorageAccountKey', 'BlobEndpoint', 'ReplicaStorageAccountName', 'ReplicaContainerName', 'ReplicaStorageAccountKey', 'ReplicaBlobEndpoint', 'ServiceName') {
    if ($PSBoundParameters.ContainsKey($name)) { $status[$name] = $PSBoundParameters[$name] }
}
$rows = @(Get-ApimDrStatus @status)
if ($rows.Count -eq 0) { throw "DR posture: no backups of any service in $StorageAccountName/$ContainerName." }
foreach ($row in $rows) {
    Write-Output ("{0}: {1} (backup {2:c} old, {3} days restorable, last test {4})" -f $row.SourceServiceName,
        $(if ($row.IsHealthy) { 'healthy' } else { 'UNHEALTHY' }), $row.LatestBackupAge, $row.RestorableDaysLeft, $(if ($row.LastTest) { $row.LastTestResult } else { 'never' }))
}
$unhealthy = @($rows | Where-Object { -not $_.IsHealthy })
if ($unhealthy) {
    throw "DR posture: $(($unhealthy | ForEach-Object { "$($_.SourceServiceName): $($_.Issues -join '; ')" }) -join ' | ')"
}
