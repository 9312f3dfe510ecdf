<#
.SYNOPSIS
Runs the Pester suites (tests/*.Tests.ps1) in THIS fresh pwsh and writes a JSON summary of counts.
Started by build.ps1 -Task Test; the services' endpoints arrive as APIMDR_TEST_* environment variables.
#>
param(
    [Parameter(Mandatory)][string] $PesterPath,
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $SummaryPath,
    [string] $FullNameFilter
)
$ErrorActionPreference = 'Stop'
$env:APIMDR_TEST_MODULE_PATH = $ModulePath
Import-Module $PesterPath -Force

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.RenderMode = 'Plaintext'
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = Join-Path (Split-Path $SummaryPath) 'pester.xml'
if ($FullNameFilter) { $config.Filter.FullName = $FullNameFilter -split ',' }

$result = Invoke-Pester -Configuration $config
$summary = [ordered]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
}
$summary | ConvertTo-Json | Set-Content -Path $SummaryPath
exit ([int]($summary.Failed -gt 0))
