#!/usr/bin/env pwsh
<#
.SYNOPSIS
Builds, tests and drills ApimDr.

.DESCRIPTION
Tasks:
  Build  (default) compile and assemble the importable module in out/ApimDr.
  Test   Build (module + tests/ApimDr.Emulator), run xunit, start Azurite and the emulator, run the Pester suites against the BUILT
         module in a fresh pwsh, stop everything, print "N passed, N failed".
  Drill  the main job: build, start Azurite + the emulator, run a full DR drill with the cmdlets, through
         ARM and storage only (back up "prod" with its snapshot, find it with Get-ApimBackup, restore into
         "standby" with -Verify), print the summary, write out/drill/drill-report.md and .json, stop.
  Bench  build, start Azurite + the emulator, measure the performance targets (import cost, one wait
         over 100 operations, poll intervals vs Retry-After, memory of 100 pending operations, a long
         session, a configuration snapshot of a 300 x 10 service), print a report and write it to
         out/bench/results.md. A measurement: exits 0 even when a target is missed.
  Clean  remove out/ and bin/obj folders.

Run with: dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Drill', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester -FullNameFilter / file filter for quick local runs, e.g. -TestName '*Get-ApimBackup*'.
    [string[]] $TestName
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$OutDir = Join-Path $Root 'out'
$ModuleDir = Join-Path $OutDir 'ApimDr'
$ResultsDir = Join-Path $OutDir 'TestResults'
$PesterVersion = '5.7.1'
# Starting/stopping Azurite + the emulator, and Get-PwshCommand (how to start a fresh pwsh like this one).
Import-Module (Join-Path $Root 'tests/TestServices.psm1') -Force

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-NuGetPackageRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    return Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages'
}

function Get-ProductVersion {
    <# <Version> of Directory.Build.props: the one version source (assemblies and the built manifest). #>
    [xml] $props = Get-Content -Raw (Join-Path $Root 'Directory.Build.props')
    $version = @($props.SelectNodes('/Project/PropertyGroup/Version') | ForEach-Object InnerText)
    if ($version.Count -ne 1 -or -not ($version[0] -as [version])) { throw "Directory.Build.props must hold exactly one <Version> (major.minor.patch); found '$($version -join ', ')'." }
    return $version[0]
}

function Write-ManifestVersion {
    <# Sets ModuleVersion in the BUILT manifest by a text replace (Update-ModuleManifest would rewrite the whole file). #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][string] $Version)
    $text = Get-Content -Raw $Path
    $pattern = "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'"
    if (-not [regex]::IsMatch($text, $pattern)) { throw "$Path has no ModuleVersion line to set." }
    Set-Content -Path $Path -Value ([regex]::Replace($text, $pattern, "`${1}'$Version'")) -NoNewline -Encoding utf8
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $Root 'src/ApimDr/ApimDr.csproj'), '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')

    if (Test-Path $ModuleDir) { Remove-Item -Recurse -Force $ModuleDir }
    $deps = Join-Path $ModuleDir 'Dependencies'
    $null = New-Item -ItemType Directory -Force -Path $deps, (Join-Path $ModuleDir 'net472')

    $moduleBin = Join-Path $Root "src/ApimDr/bin/$Configuration"
    Copy-Item (Join-Path $moduleBin 'net8.0/ApimDr.dll') $ModuleDir
    Copy-Item (Join-Path $moduleBin 'net472/ApimDr.dll') (Join-Path $ModuleDir 'net472')
    # The engine and ALL of its dependencies live in Dependencies/, never beside the module dll.
    # The public record types (ApimDr.Model) live beside the manifest, loaded into the default context by
    # RequiredAssemblies and shared by cmdlets and engine: never in Dependencies/.
    Copy-Item (Join-Path $Root "src/ApimDr.Engine/bin/$Configuration/netstandard2.0/*.dll") $deps -Exclude 'ApimDr.Model.dll'
    Copy-Item (Join-Path $Root "src/ApimDr.Model/bin/$Configuration/netstandard2.0/ApimDr.Model.dll") $ModuleDir
    Copy-Item (Join-Path $Root 'src/ApimDr/ApimDr.psm1') $ModuleDir
    Copy-Item (Join-Path $Root 'src/ApimDr/ApimDr.Format.ps1xml') $ModuleDir
    Copy-Item (Join-Path $Root 'ApimDr.psd1') $ModuleDir
    $version = Get-ProductVersion
    Write-ManifestVersion -Path (Join-Path $ModuleDir 'ApimDr.psd1') -Version $version
    $null = Test-ModuleManifest -Path (Join-Path $ModuleDir 'ApimDr.psd1')
    Write-Host "Module: $ModuleDir ($version)"
}

function Restore-TestTools {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/tools/Tools.csproj'), '--nologo', '-v', 'quiet')
    $pester = Join-Path (Get-NuGetPackageRoot) "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester)) { throw "Pester $PesterVersion was not restored to $pester." }
    return $pester
}

function Read-TrxCounts {
    param([string] $Path)
    [xml] $trx = Get-Content -Raw $Path
    $counters = $trx.TestRun.ResultSummary.Counters
    return [pscustomobject]@{
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.notExecuted
    }
}

function Invoke-XunitSuites {
    $totals = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $projects = Get-ChildItem -Path (Join-Path $Root 'tests') -Recurse -Filter '*.Tests.csproj'
    foreach ($project in $projects) {
        $trxName = "$($project.BaseName).trx"
        $trxPath = Join-Path $ResultsDir $trxName
        if (Test-Path $trxPath) { Remove-Item $trxPath }
        Write-Host "== xunit: $($project.BaseName)"
        & dotnet test $project.FullName -c $Configuration --nologo --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=minimal' --results-directory $ResultsDir | Out-Host
        $exit = $LASTEXITCODE
        if (Test-Path $trxPath) {
            $counts = Read-TrxCounts $trxPath
            $totals.Passed += $counts.Passed; $totals.Failed += $counts.Failed; $totals.Skipped += $counts.Skipped
            if ($exit -ne 0 -and $counts.Failed -eq 0) { $totals.Failed++ }
        } else {
            Write-Warning "$($project.BaseName): no TRX was written (build failure?)."
            $totals.Failed++
        }
    }
    return $totals
}

function Invoke-PwshScriptFile {
    <# Runs a script in a NEW pwsh with extra environment variables (SSL_CERT_DIR must be set at process start). #>
    param([hashtable] $Environment, [string] $Script, [string[]] $ArgumentList = @())
    $pwsh = Get-PwshCommand
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $Script) + $ArgumentList
    $saved = @{}
    foreach ($key in $Environment.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $Environment[$key]) }
    try {
        & $pwsh[0] @arguments | Out-Host
        return $LASTEXITCODE
    } finally {
        foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
    }
}

function Invoke-WithServices {
    <# Starts Azurite + the emulator, runs $Action with their environment, stops them by PID whatever happens. #>
    param([scriptblock] $Action)
    $services = $null
    try {
        $services = Start-ApimDrTestServices -LogDirectory (Join-Path $OutDir 'logs') -Configuration $Configuration
        # A journal of this run's own (never the user's): the fault suite reads it with Get-ApimOperation.
        $journal = Join-Path $OutDir 'journal/operations.jsonl'
        if (Test-Path $journal) { Remove-Item $journal }
        $environment = @{ APIMDR_TEST_MODULE_PATH = (Join-Path $ModuleDir 'ApimDr.psd1'); APIMDR_JOURNAL = $journal }
        foreach ($key in $services.Environment.Keys) { $environment[$key] = $services.Environment[$key] }
        return & $Action $environment
    } finally {
        if ($services) { Stop-ApimDrTestServices -Services $services }
    }
}

function Invoke-PesterSuites {
    param([string] $PesterPath, [hashtable] $Environment)
    $resultFile = Join-Path $ResultsDir 'pester-summary.json'
    if (Test-Path $resultFile) { Remove-Item $resultFile }
    $arguments = @('-PesterPath', $PesterPath, '-ModulePath', (Join-Path $ModuleDir 'ApimDr.psd1'), '-SummaryPath', $resultFile)
    if ($TestName) { $arguments += @('-FullNameFilter', ($TestName -join ',')) }
    $null = Invoke-PwshScriptFile -Environment $Environment -Script (Join-Path $Root 'tests/Invoke-PesterSuites.ps1') -ArgumentList $arguments
    if (-not (Test-Path $resultFile)) {
        Write-Warning 'Pester wrote no summary (the runner crashed).'
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    return Get-Content -Raw $resultFile | ConvertFrom-Json
}

function Invoke-EmulatorBuild {
    # Built once here; Start-ApimDrTestServices runs the dll directly (never `dotnet run`).
    Invoke-Native dotnet @('build', (Join-Path $Root 'tests/ApimDr.Emulator/ApimDr.Emulator.csproj'), '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')
}

function Invoke-Test {
    Invoke-Build
    Invoke-EmulatorBuild
    $pester = Restore-TestTools
    $null = New-Item -ItemType Directory -Force -Path $ResultsDir

    $xunit = Invoke-XunitSuites

    $pesterCounts = Invoke-WithServices {
        param($environment)
        $environment['APIMDR_TEST_PESTER_PATH'] = $pester
        Invoke-PesterSuites -PesterPath $pester -Environment $environment
    }

    $passed = $xunit.Passed + $pesterCounts.Passed
    $failed = $xunit.Failed + $pesterCounts.Failed
    $skipped = $xunit.Skipped + $pesterCounts.Skipped
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed; Pester: $($pesterCounts.Passed) passed, $($pesterCounts.Failed) failed"
    $line = "$passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Drill {
    Invoke-Build
    Invoke-EmulatorBuild
    $exit = Invoke-WithServices {
        param($environment)
        Invoke-PwshScriptFile -Environment $environment -Script (Join-Path $Root 'tests/Invoke-Drill.ps1')
    }
    if ($exit -ne 0) { Write-Host 'Drill FAILED'; exit 1 }
}

function Invoke-Bench {
    Invoke-Build
    Invoke-EmulatorBuild
    $benchDir = Join-Path $OutDir 'bench'
    $exit = Invoke-WithServices {
        param($environment)
        Invoke-PwshScriptFile -Environment $environment -Script (Join-Path $Root 'tests/Invoke-Benchmarks.ps1') -ArgumentList @('-OutputDirectory', $benchDir)
    }
    if ($exit -ne 0) { Write-Host 'Bench FAILED to run (no results)'; exit 1 }
}

function Invoke-Clean {
    foreach ($dir in @($OutDir) + (Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj | Where-Object { $_.FullName -notmatch 'node_modules' }).FullName) {
        if ($dir -and (Test-Path $dir)) { Remove-Item -Recurse -Force $dir }
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Drill' { Invoke-Drill }
    'Bench' { Invoke-Bench }
    'Clean' { Invoke-Clean }
}
