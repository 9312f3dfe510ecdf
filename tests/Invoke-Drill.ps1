<#
.SYNOPSIS
The main job (build.ps1 -Task Drill): a full DR drill with ApimDr's cmdlets against the bundled
emulator + Azurite — back up "prod", find it with Get-ApimBackup, restore into "standby" (same tier),
verify the standby's configuration now equals prod's — then print a report.
Runs in a fresh pwsh started by build.ps1 with the services' APIMDR_TEST_* environment.
#>
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')
Import-Module $env:APIMDR_TEST_MODULE_PATH
$t = Get-TestEnvironment
$e = Get-EmulatorEnvironment

$prodConfig = Get-EmulatorServiceConfiguration -Name prod | ConvertTo-Json -Depth 20 -Compress
$standbyBefore = Get-EmulatorServiceConfiguration -Name standby | ConvertTo-Json -Depth 20 -Compress
if ($prodConfig -eq $standbyBefore) { throw 'The seed must give prod and standby different configurations.' }

$verify = {
    param($report)
    $after = Get-EmulatorServiceConfiguration -Name standby | ConvertTo-Json -Depth 20 -Compress
    if ($after -ne $prodConfig) { throw "Standby's configuration does not equal prod's after the restore." }
}

$report = & (Join-Path $PSScriptRoot '../docs/examples/Invoke-ApimDrDrill.ps1') `
    -ResourceManagerUrl $e.ArmUrl -AccessToken (ConvertTo-SecureString $e.Token -AsPlainText -Force) `
    -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -PrimaryName prod -StandbyName standby `
    -StorageAccountName $t.StorageAccountName -ContainerName 'dr-drill' -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint `
    -Verify $verify

Write-Host ''
Write-Host 'ApimDr DR drill (emulator + Azurite)'
Write-Host ('  backup          {0} ({1:N0} bytes) of prod in {2:N1} s' -f $report.BackupName, $report.BackupSizeBytes, $report.BackupDuration.TotalSeconds)
Write-Host ('  restore         into standby in {0:N1} s' -f $report.RestoreDuration.TotalSeconds)
Write-Host ('  RTO measured    {0:N1} s (restore start to standby restored)' -f $report.RTO.TotalSeconds)
Write-Host ('  drill total     {0:N1} s' -f $report.Total.TotalSeconds)
Write-Host  '  verification    standby configuration equals prod''s'
Write-Host "  result          $($report.Result)"
