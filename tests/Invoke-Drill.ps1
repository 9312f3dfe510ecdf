<#
.SYNOPSIS
The main job (build.ps1 -Task Drill): the DR drill of docs/examples/Invoke-ApimDrDrill.ps1 against the
bundled emulator + Azurite — Backup-ApimService "prod" (with its configuration snapshot), then
Test-ApimBackup -ReportPath: restore it into "standby" (same tier), verify it, and write the report
(Markdown + JSON, docs/drill-report.md) to -ReportPath — then print the summary from the report.

Only ApimDr's cmdlets talk to the services (ARM and storage), exactly as against Azure: nothing here
reads or changes the emulator's control surface. Runs in a fresh pwsh started by build.ps1 with the
services' APIMDR_TEST_* environment. Exits non-zero when the drill fails (the test failed, differences
were found, or a target was missed).
#>
param(
    [string] $ReportPath = (Join-Path (Split-Path $PSScriptRoot) 'out/drill/drill-report'),
    [timespan] $MaxRto = '00:15:00',
    [timespan] $MaxRpo = '01:00:00'
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
    -MaxRto $MaxRto -MaxRpo $MaxRpo -ReportPath $ReportPath

$test = $report.tests[0]
Write-Host ''
Write-Host 'ApimDr DR drill (Backup-ApimService, then Test-ApimBackup -ReportPath; through ARM and storage only)'
Write-Host "  ran in          $($report.ranIn.cloud) $($report.ranIn.resourceManagerUrl)$(if ($report.ranIn.isEmulator) { ' (emulator / test endpoint)' })"
Write-Host "  run by          $($report.ranBy.summary)"
Write-Host "  backup          $($test.backup.name) of $($test.source.name) in $($test.backup.location)"
Write-Host ('  RTO measured    {0:N1} s (restore start to standby restored and verified), target {1:N0} s: {2}' -f $test.rto.seconds, $test.rto.targetSeconds, $test.rto.verdict)
Write-Host ('  RPO             backup {0:N1} s old at the end of the test, target {1:N0} s: {2}; {3}' -f $test.rpo.seconds, $test.rpo.targetSeconds, $test.rpo.verdict,
    $(if ($test.changesSinceSnapshot.checked) { "$($test.changesSinceSnapshot.count) change(s) on prod since the snapshot" } else { $test.changesSinceSnapshot.note }))
Write-Host ('  differences     {0} after the restore (expected: none)' -f @($test.differences).Count)
Write-Host ('  carry-over      {0} action(s) to do by hand on standby, {1} informational setting(s)' -f @($test.actions).Count, @($test.informational).Count)
foreach ($a in $test.actions) { Write-Host "                  - $($a.area): $($a.subject)" }
Write-Host ('  history         {0} test(s) recorded beside the backups' -f @($report.history).Count)
Write-Host "  result          $($report.result)"
Write-Host "  report          $($report.markdownPath)"
Write-Host "                  $($report.jsonPath)"
if ($report.result -ne 'Succeeded') { exit 1 }
