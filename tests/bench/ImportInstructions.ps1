<#
.SYNOPSIS
The Import target's pieces counted in CPU instructions instead of wall time (docs/benchmarks.md, "Where the
import goes"): a count does not move with the load of a shared machine, so a piece of 1-4 % shows. Each run is
a fresh pwsh under valgrind's cachegrind (`I refs`: instructions executed by the whole process, every thread),
with an empty PowerShell cache folder (no startup JIT profile from an earlier run). Needs valgrind
(`apt-get install valgrind`); about 15 s per run.

    dotnet pwsh tests/bench/ImportInstructions.ps1 -ModulePath out/ApimDr/ApimDr.psd1 [-Runs 3] [-ReadyToRun]

Prints, for the bare start and each piece, the smallest count of -Runs runs (a background thread of the
runtime adds up to ~2 % to a run now and then; the smallest is the repeatable one) and its ratio to the bare
start's; last, Microsoft.PowerShell.ThreadJob of the same pwsh as a reference. -ReadyToRun counts on the
Bench's ReadyToRun copy of this pwsh (tests/bench/ReadyToRunPwsh.ps1, built into out/bench/pwsh-r2r).
Environment variables reach the measured pwsh: DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 shows what culture-aware
string comparison costs (docs/benchmarks.md, "Where the import goes (fourth pass)").
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Runs = 3,
    [switch] $ReadyToRun
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestServices.psm1')
if (-not (Get-Command valgrind -ErrorAction SilentlyContinue)) { throw 'valgrind is not installed (apt-get install valgrind).' }
$pwsh = if ($ReadyToRun) { @(& (Join-Path $PSScriptRoot 'ReadyToRunPwsh.ps1') -Directory (Join-Path $PSScriptRoot '../../out/bench/pwsh-r2r')) } else { Get-PwshCommand }
$ModulePath = (Resolve-Path $ModulePath).Path

function Measure-Instructions([string] $Command) {
    $counts = for ($i = 0; $i -lt $Runs; $i++) {
        $cache = Join-Path ([IO.Path]::GetTempPath()) "apimdr-instructions-$PID-$i"
        $null = New-Item -ItemType Directory -Force $cache
        $env:XDG_CACHE_HOME = $cache
        try {
            $out = & valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null @pwsh -NoProfile -NonInteractive -Command $Command 2>&1 | Out-String
        } finally {
            Remove-Item Env:XDG_CACHE_HOME
            Remove-Item -Recurse -Force $cache -ErrorAction SilentlyContinue
        }
        if ($out -notmatch 'I\s+refs:\s+([\d,]+)') { throw "No instruction count from valgrind for: $Command`n$out" }
        [double]($Matches[1] -replace ',', '')
    }
    ($counts | Measure-Object -Minimum).Minimum
}

function Format-Count([string] $Name, [double] $Count) {
    '{0,-46} {1,8:N0} M instructions  {2:N3}x bare  {3:+#,0;-#,0} M' -f $Name, ($Count / 1e6), ($Count / $bare), (($Count - $bare) / 1e6)
}

# Dot-sourced: the Edit blocks call its Edit-PieceManifest.
$pieces = . (Join-Path $PSScriptRoot 'ImportPieces.ps1')
$scratch = Join-Path ([IO.Path]::GetTempPath()) "apimdr-import-instructions-$PID"
try {
    $bare = Measure-Instructions 'exit'
    '{0,-46} {1,8:N0} M instructions' -f 'bare pwsh start', ($bare / 1e6)
    $n = 0
    foreach ($name in $pieces.Keys) {
        $dir = Join-Path $scratch ($n++)
        $null = New-Item -ItemType Directory -Force -Path $dir
        Copy-Item -Recurse -Path (Join-Path (Split-Path $ModulePath) '*') -Destination $dir
        & $pieces[$name].Edit $dir
        $count = Measure-Instructions "Import-Module '$(Join-Path $dir $pieces[$name].Import)' -ErrorAction Stop; exit"
        Format-Count $name $count
    }
    $threadJob = Get-ThreadJobManifest $pwsh
    if ($threadJob) {
        $count = Measure-Instructions "Import-Module '$threadJob' -ErrorAction Stop; exit"
        Format-Count 'reference: Microsoft.PowerShell.ThreadJob' $count
    }
} finally {
    Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
}
