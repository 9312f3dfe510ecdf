<#
.SYNOPSIS
The main job (build.ps1 -Task Drill): the DR drill of docs/examples/Invoke-ApimDrDrill.ps1 against the
bundled emulator + Azurite — back up "prod" (with its configuration snapshot), find it with
Get-ApimBackup, restore it into "standby" (same tier) with -Verify — then print the summary and write the
report (Markdown + JSON) to -ReportPath.

Only ApimDr's cmdlets talk to the services (ARM and storage), exactly as against Azure: nothing here
reads or changes the emulator's control surface. Runs in a fresh pwsh started by build.ps1 with the
services' APIMDR_TEST_* environment. Exits non-zero when the drill fails or finds differences.
#>
param(
    [string] $ReportPath = (Join-Path (Split-Path $PSScriptRoot) 'out/drill/drill-report')
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')
Import-Module $env:APIMDR_TEST_MODULE_PATH
$t = Get-TestEnvironment
$e = Get-EmulatorEnvironment

$report = & (Join-Path $PSScriptRoot '../docs/examples/Invoke-ApimDrDrill.ps1') `
    -ResourceManagerUrl $e.ArmUrl -AccessToken (ConvertTo-SecureString $e.Token -AsPlainText -Force) `
    -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -PrimaryName prod -StandbyName standby `
    -StorageAccountName $t.StorageAccountName -ContainerName 'dr-drill' -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint `
    -ReportPath $ReportPath

$differing = @($report.carryOver | Where-Object { -not $_.equal })
Write-Host ''
Write-Host 'ApimDr DR drill (emulator + Azurite, through ARM and storage only)'
Write-Host ('  backup          {0} ({1:N0} bytes) of prod, snapshot of {2} entities' -f $report.backup.name, $report.backup.sizeBytes, $report.backup.entityCount)
foreach ($s in $report.steps) { Write-Host ('  step {0,-10} {1,8:N1} s' -f $s.name, $s.durationSeconds) }
Write-Host ('  RTO measured    {0:N1} s (restore start to standby restored and verified)' -f $report.rto.seconds)
Write-Host ('  RPO             backup {0:N1} s old at restore start; {1} change(s) on prod since the snapshot' -f $report.rpo.backupAgeSeconds, $report.rpo.changesSinceSnapshot)
Write-Host ('  differences     {0} after the restore (expected: none)' -f $report.differences.Count)
Write-Host ('  carry-over      {0} settings not restored by design, {1} differ between prod and standby' -f $report.carryOver.Count, $differing.Count)
Write-Host ('  drill total     {0:N1} s' -f $report.durationSeconds)
Write-Host "  result          $($report.result)"
Write-Host "  report          $($report.markdownPath)"
Write-Host "                  $($report.jsonPath)"
if ($report.result -ne 'Succeeded') { exit 1 }
