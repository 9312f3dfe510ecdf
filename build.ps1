#!/usr/bin/env pwsh
<#
.SYNOPSIS
Builds, tests and drills ApimDr.

.DESCRIPTION
Tasks:
  Build  (default) compile and assemble the importable module in out/ApimDr.
  Test   Package (module + packages) and build tests/ApimDr.Emulator, run xunit, start Azurite and the emulator, run the Pester suites against the BUILT
         module in a fresh pwsh, stop everything, print "N passed, N failed".
  Drill  the main job: build, start Azurite + the emulator, run a full DR drill with the cmdlets, through
         ARM and storage only (Backup-ApimService "prod" with its snapshot, then Test-ApimBackup -ReportPath:
         restore into "standby", verify, report), print the summary, write out/drill/drill-report.md and .json, stop.
  Bench  build, start Azurite + the emulator, measure the performance targets (import cost, one wait
         over 100 operations, poll intervals vs Retry-After, memory of 100 pending operations, a long
         session, a configuration snapshot of a 300 x 10 service, Get-ApimBackup over 5,000 backups), print a report and write it to
         out/bench/results.md. A measurement: exits 0 even when a target is missed. -BenchTarget Import,Catalog runs only those.
  Package  Build, then out/packages/: ApimDr.<version>.nupkg (PSResourceGet's Compress-PSResource; the folder is a
         local repository for Install-PSResource) and ApimDr.zip for Azure Automation (the module folder at its root).
  Clean  remove out/ and bin/obj folders.

Run with: dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Drill', 'Bench', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester -FullNameFilter / file filter for quick local runs, e.g. -TestName '*Get-ApimBackup*'.
    [string[]] $TestName,

    # Bench: only these targets (default: all; Session needs Wait; FleetTimeline, a diagnostic, only when named), e.g. -BenchTarget Import,Catalog.
    [ValidateSet('Import', 'Wait', 'Session', 'Wait1000', 'Snapshot', 'Catalog', 'Copy', 'ReadFloor', 'Fleet', 'FleetTimeline')]
    [string[]] $BenchTarget,

    # Bench: more parameters of tests/Invoke-Benchmarks.ps1 as Name=Value (a switch: Name alone), e.g. -BenchParameter OperationCount=1000,ThrottlePolls.
    [string[]] $BenchParameter
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

function Set-ManifestValue {
    <# Sets a single-quoted value (ModuleVersion, ReleaseNotes) in the BUILT manifest by a text replace (Update-ModuleManifest would rewrite the whole file). #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][string] $Name, [Parameter(Mandatory)][string] $Value)
    $text = Get-Content -Raw $Path
    $pattern = "(?m)^(\s*$Name\s*=\s*)'[^']*'"
    if (-not [regex]::IsMatch($text, $pattern)) { throw "$Path has no $Name line to set." }
    $quoted = "'" + $Value.Replace("'", "''") + "'"
    Set-Content -Path $Path -Value ([regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + $quoted })) -NoNewline -Encoding utf8
}

function Get-ReleaseNotes {
    <# The CHANGELOG.md section of this version ("## <version>" up to the next "## "): the manifest's ReleaseNotes. #>
    param([Parameter(Mandatory)][string] $Version)
    $changelog = Get-Content -Raw (Join-Path $Root 'CHANGELOG.md')
    $section = [regex]::Match($changelog, "(?ms)^## $([regex]::Escape($Version))\b[^\n]*\n(.*?)(?=^## |\z)")
    if (-not $section.Success -or -not $section.Groups[1].Value.Trim()) { throw "CHANGELOG.md has no '## $Version' section with notes." }
    return $section.Groups[1].Value.Trim()
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
    Copy-Item (Join-Path $Root 'src/ApimDr/ApimDr.Format.ps1xml') $ModuleDir
    Copy-Item (Join-Path $Root 'ApimDr.psd1') $ModuleDir
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleDir
    $version = Get-ProductVersion
    Set-ManifestValue -Path (Join-Path $ModuleDir 'ApimDr.psd1') -Name ModuleVersion -Value $version
    Set-ManifestValue -Path (Join-Path $ModuleDir 'ApimDr.psd1') -Name ReleaseNotes -Value (Get-ReleaseNotes $version)
    $null = Test-ModuleManifest -Path (Join-Path $ModuleDir 'ApimDr.psd1')
    Invoke-HelpBuild
    Write-Host "Module: $ModuleDir ($version)"
}

function Invoke-HelpBuild {
    <#
    docs/en-US/*.md -> MAML (en-US/ApimDr.dll-Help.xml next to EACH ApimDr.dll: Get-Help looks beside the
    assembly that defines the cmdlet, the root one on PowerShell 7, net472/ on Windows PowerShell) and
    en-US/about_ApimDr.help.txt at the module root. tools/HelpGen (Markdig) is a build tool, never shipped.
    Parameter names, types and sets come from the built module itself (a fresh pwsh runs Get-Command).
    #>
    $helpGen = Join-Path $Root 'tools/HelpGen'
    Invoke-Native dotnet @('build', (Join-Path $helpGen 'HelpGen.csproj'), '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')
    $metadata = Join-Path $OutDir 'help-metadata.json'
    $pwsh = Get-PwshCommand
    Invoke-Native $pwsh[0] (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $helpGen 'Export-CommandMetadata.ps1'),
            '-ManifestPath', (Join-Path $ModuleDir 'ApimDr.psd1'), '-OutFile', $metadata))
    $helpFile = 'en-US/ApimDr.dll-Help.xml'
    Invoke-Native dotnet @((Join-Path $helpGen "bin/$Configuration/net10.0/HelpGen.dll"), '--docs', (Join-Path $Root 'docs/en-US'), '--metadata', $metadata,
        '--maml', (Join-Path $ModuleDir $helpFile), '--maml', (Join-Path $ModuleDir "net472/$helpFile"), '--about', (Join-Path $ModuleDir 'en-US'))
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
        $environment = @{ APIMDR_TEST_MODULE_PATH = (Join-Path $ModuleDir 'ApimDr.psd1'); APIMDR_TEST_PACKAGE_DIR = (Join-Path $OutDir 'packages'); APIMDR_JOURNAL = $journal }
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
    Invoke-Package   # the package tests install out/packages' nupkg and expand its Automation zip
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

function Get-BenchArguments {
    # From bash the list arrives as one string: split on commas too.
    foreach ($p in @($BenchParameter | ForEach-Object { $_ -split "," } | Where-Object { $_ })) {
        $name, $value = $p -split '=', 2
        "-$name"
        if ($null -ne $value) { $value }
    }
}

function Invoke-Bench {
    Invoke-Build
    Invoke-EmulatorBuild
    $benchDir = Join-Path $OutDir 'bench'
    $exit = Invoke-WithServices {
        param($environment)
        Invoke-PwshScriptFile -Environment $environment -Script (Join-Path $Root 'tests/Invoke-Benchmarks.ps1') -ArgumentList (@('-OutputDirectory', $benchDir) + $(if ($BenchTarget) { @('-Targets', ($BenchTarget -join ',')) } else { @() }) + (Get-BenchArguments))
    }
    if ($exit -ne 0) { Write-Host 'Bench FAILED to run (no results)'; exit 1 }
}

function Invoke-Package {
    <#
    out/packages/ApimDr.<version>.nupkg: Compress-PSResource (PSResourceGet, shipped with PowerShell 7.6) packs the
    built module folder, LICENSE and help included, as Publish-PSResource would, without registering a repository,
    in a fresh pwsh with a temporary HOME: the user's PSResourceGet configuration is never touched. out/packages is then a local file repository
    (Register-PSResourceRepository -Uri <it>), from which Install-PSResource lays it out as ApimDr/<version>/.
    out/packages/ApimDr.zip: the module folder at the zip's root, as Azure Automation imports a module.
    #>
    Invoke-Build
    $packages = Join-Path $OutDir 'packages'
    if (Test-Path $packages) { Remove-Item -Recurse -Force $packages }
    $null = New-Item -ItemType Directory -Path $packages
    $scratch = Join-Path $OutDir 'package-home'   # PSResourceGet's store goes here, never into the user's profile
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $scratch '.local/share')
    $exit = Invoke-PwshScriptFile -Environment @{ HOME = $scratch; XDG_DATA_HOME = (Join-Path $scratch '.local/share') } `
        -Script (Join-Path $Root 'tools/Compress-ModulePackage.ps1') -ArgumentList @('-ModuleDir', $ModuleDir, '-DestinationPath', $packages)
    if ($exit -ne 0) { throw "Compress-PSResource failed ($exit)." }
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    [IO.Compression.ZipFile]::CreateFromDirectory($ModuleDir, (Join-Path $packages 'ApimDr.zip'), [IO.Compression.CompressionLevel]::Optimal, $true)
    Get-ChildItem $packages | ForEach-Object { Write-Host "Package: $($_.FullName) ($([Math]::Round($_.Length / 1MB, 1)) MB)" }
}

function Invoke-Clean {
    foreach ($dir in @($OutDir) + (Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests'), (Join-Path $Root 'tools') -Directory -Recurse -Include bin, obj | Where-Object { $_.FullName -notmatch 'node_modules' }).FullName) {
        if ($dir -and (Test-Path $dir)) { Remove-Item -Recurse -Force $dir }
    }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Drill' { Invoke-Drill }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
    'Clean' { Invoke-Clean }
}
