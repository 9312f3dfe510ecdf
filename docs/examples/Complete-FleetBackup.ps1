<#
.SYNOPSIS
Runbook, part 2: wait for the operations saved by Start-FleetBackup.ps1 (in a new job or process)
and report each result. Fails the job if any backup failed.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $OperationsPath,
    [int] $TimeoutSeconds = 9000,   # 2.5 h: leave room inside Automation's 3-hour job limit
    [uri] $ResourceManagerUrl
)
$ErrorActionPreference = 'Stop'
Import-Module ApimDr -ErrorAction SilentlyContinue

$options = @{ TimeoutSeconds = $TimeoutSeconds }
if ($ResourceManagerUrl) { $options.ResourceManagerUrl = $ResourceManagerUrl }

$results = @(Import-Clixml -Path $OperationsPath | Wait-ApimOperation @options -ErrorAction Continue -ErrorVariable failures)
$results | Format-Table Kind, Name, Status, Duration, BackupName -AutoSize | Out-String | Write-Output
$unfinished = @($results | Where-Object Status -eq 'InProgress')
if ($unfinished.Count -gt 0) {
    # Still running server side: save them again so the next job resumes the wait.
    $unfinished | Export-Clixml -Path $OperationsPath
}
if (@($results | Where-Object { $_.Status -in 'Failed', 'Canceled' }).Count -gt 0) {
    throw "$(@($results | Where-Object { $_.Status -in 'Failed', 'Canceled' }).Count) backup(s) failed."
}
$results
