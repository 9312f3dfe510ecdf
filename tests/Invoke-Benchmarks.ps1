<#
.SYNOPSIS
build.ps1 -Task Bench: measures ApimDr's performance targets against the emulator + Azurite and prints a
compact report, also written to <OutputDirectory>/results.md (and results.json).

  1. Import: a pwsh start with Import-Module ApimDr <= 1.15x a bare start (alternating pairs, median ratio) on a
     ReadyToRun copy of this pwsh (tests/bench/ReadyToRunPwsh.ps1), also measured on this pwsh; no Azure.* /
     ApimDr.Engine assembly loaded after the import; per-piece variants.
  2-4. One Wait-ApimOperation over 100 backups costs about the slowest one; polls never faster than
     Retry-After; 100 pending operations hold <= 50 MB (tests/bench/WaitBench.ps1).
  5. A long session: 500 Backup-ApimService calls in one process with a signed-in Az context grow the
     managed heap by <= 1 KB per call, keep the pipeline cache constant and call Get-AzAccessToken once.
  6. A configuration snapshot of a generated 300 x 10 service at 50 ms per request: requests made =
     the minimum (pages + details), >= 6x faster than the same requests one at a time, <= 50 MB peak
     memory growth (tests/bench/SnapshotBench.ps1).
  7. Get-ApimBackup over 5,000 backups: requests = the listing's pages, memory (tests/bench/CatalogBench.ps1).
  8. Copy-ApimBackup of a 256 MiB backup: server-side, < 1 MB sent by ApimDr; streamed, <= +30 MB peak
     memory (tests/bench/CopyBench.ps1).
  9. A snapshot of the 300 x 10 service at ARM's read floor (tests/bench/ReadFloorBench.ps1).
  10. 1,000 operations in one wait with polls throttled: within 2 s of the slowest, no early poll, no
     starvation, <= 100 MB (tests/bench/WaitBench.ps1 again).
  11. A fleet starts at once: 30 services with snapshots started by one call within 1.3x the slowest single
     start; one-at-a-time (like the Python SDK) vs one call at 60 services >= 0.9 * N*T/(T+RA)
     (tests/bench/FleetBench.ps1).

A measurement, not a test: it exits 0 when a target is missed (and says so); non-zero only when the
benchmark itself could not run. Runs in a fresh pwsh started by build.ps1 with the services' environment.
#>
param(
    [Parameter(Mandatory)][string] $OutputDirectory,
    [int] $ImportRuns = 10,
    # Which targets to run (comma-separated): Import (1), Wait (2-4), Session (5), Snapshot (6), Catalog (7), Copy (8),
    # ReadFloor (9), Wait1000 (10), Fleet (11); default all.
    [string] $Targets = 'Import,Wait,Session,Wait1000,Snapshot,Catalog,Copy,ReadFloor,Fleet',
    [int] $CatalogBackups = 5000,
    [int] $ImportPieceRuns = 10,
    [int] $OperationCount = 100,
    [string] $DurationsCsv = '3,4,5,6,7',   # backup durations (s), one batch of OperationCount/5 each
    [int] $RetryAfterSeconds = 1,
    # Wait: throttle the polls (the emulator's read bucket switched on once the backups have started), per-op starvation bound.
    [switch] $ThrottlePolls,
    [int] $PollBucket = 200,
    [int] $PollRefillPerSecond = 600,
    [double] $WaitMemoryTargetMB = 50,
    # Wait1000: the same measurement over this many operations, polls throttled by the read bucket (issue 20, item 4).
    [int] $Wait1000Count = 1000,
    [double] $Wait1000MemoryTargetMB = 100,
    # ReadFloor: the generated service's apis (10 operations each) and the read bucket.
    [int] $ReadFloorApis = 300,
    [int] $ReadBucket = 250,
    [int] $ReadRefillPerSecond = 25,
    [int] $SessionCalls = 500,
    # Fleet: the services started by one call (a) and the fleet of the one-at-a-time ratio (b).
    [int] $FleetStartCount = 30,
    [int] $FleetCount = 60
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')
$t = Get-TestEnvironment
$e = Get-EmulatorEnvironment
$null = New-Item -ItemType Directory -Force -Path $OutputDirectory
$pwsh = Get-PwshCommand
$MB = 1000000   # MB = 10^6 bytes (the stricter reading of "50 MB")
$run = @($Targets -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
$known = 'Import', 'Wait', 'Session', 'Wait1000', 'Snapshot', 'Catalog', 'Copy', 'ReadFloor', 'Fleet', 'FleetTimeline'
foreach ($name in $run) { if ($name -notin $known) { throw "Unknown bench target '$name' ($($known -join ', '))." } }
function Want([string] $Name) { return $Name -in $run }
$modulePath = $t.ModulePath

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { return $sorted[($n - 1) / 2] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Measure-PwshStart([string] $Command, [string[]] $Pwsh = $pwsh) {
    <# Wall time of one fresh pwsh (by default started as build.ps1 starts pwsh) running -Command, start to exit. #>
    $info = [Diagnostics.ProcessStartInfo]::new($Pwsh[0])
    foreach ($a in @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Command)) { $info.ArgumentList.Add($a) }
    $info.UseShellExecute = $false
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $p = [Diagnostics.Process]::Start($info)
    $p.WaitForExit()
    $watch.Stop()
    if ($p.ExitCode -ne 0) { throw "pwsh -Command '$Command' exited with $($p.ExitCode)." }
    return $watch.Elapsed.TotalMilliseconds
}

function Measure-ImportPairs([string] $Command, [int] $Runs, [string[]] $Pwsh) {
    <# $Runs pairs of a bare start and a start running $Command, in ABBA order (a drift in machine load favours
       neither side), after one uncounted warm-up pair; the ratio is the median of the pair ratios. #>
    $null = Measure-PwshStart 'exit' $Pwsh; $null = Measure-PwshStart $Command $Pwsh
    $b = [System.Collections.Generic.List[double]]::new(); $c = [System.Collections.Generic.List[double]]::new()
    for ($i = 0; $i -lt $Runs; $i++) {
        if ($i % 2 -eq 0) { $b.Add((Measure-PwshStart 'exit' $Pwsh)); $c.Add((Measure-PwshStart $Command $Pwsh)) }
        else { $c.Add((Measure-PwshStart $Command $Pwsh)); $b.Add((Measure-PwshStart 'exit' $Pwsh)) }
    }
    $r = @(for ($i = 0; $i -lt $Runs; $i++) { $c[$i] / $b[$i] })
    [pscustomobject]@{ Bare = $b.ToArray(); With = $c.ToArray(); Ratios = $r; Ratio = (Get-Median $r); BareMedian = (Get-Median $b); WithMedian = (Get-Median $c) }
}

function Read-ProcMemory([int] $ProcessId) {
    <# VmRSS and VmHWM (peak RSS) in bytes from /proc; $null once the process is gone. #>
    try { $lines = [IO.File]::ReadAllLines("/proc/$ProcessId/status") } catch { return $null }
    $r = @{}
    foreach ($l in $lines) { if ($l -match '^(VmRSS|VmHWM):\s+(\d+) kB') { $r[$Matches[1]] = [long]$Matches[2] * 1024 } }
    return [pscustomobject]@{ Rss = $r['VmRSS']; Hwm = $r['VmHWM'] }
}

# ---------------------------------------------------------------------------------------------
# 1. Import cost
if (Want 'Import') {
Write-Host "== 1. Import-Module cost: $ImportRuns alternating fresh pwsh starts each (+1 warm-up pair, not counted), on a ReadyToRun copy of this pwsh (judged) and on this pwsh"
$modulePath = $t.ModulePath
$importCommand = "Import-Module '$modulePath' -ErrorAction Stop; exit"
# Judged on the pwsh users run: PowerShell's release packages are ReadyToRun, the dotnet tool package here is not.
$r2rPwsh = @(& (Join-Path $PSScriptRoot 'bench/ReadyToRunPwsh.ps1') -Directory (Join-Path $OutputDirectory 'pwsh-r2r'))
$import = Measure-ImportPairs $importCommand $ImportRuns $r2rPwsh
$importIl = Measure-ImportPairs $importCommand $ImportRuns $pwsh
foreach ($m in @(@('ReadyToRun', $import), @('this pwsh', $importIl))) {
    Write-Host ('   {0,-10} bare {1}; import {2}; ratio {3:N2} (median of pair ratios {4})' -f $m[0], (($m[1].Bare | ForEach-Object { '{0:N0}' -f $_ }) -join ' '),
        (($m[1].With | ForEach-Object { '{0:N0}' -f $_ }) -join ' '), $m[1].Ratio, (($m[1].Ratios | ForEach-Object { '{0:N2}' -f $_ }) -join ' '))
}
$importRatio = $import.Ratio; $bareMedian = $import.BareMedian; $importMedian = $import.WithMedian; $importDelta = $importMedian - $bareMedian

$loaded = Invoke-PwshChild -Parameters @{ Path = $modulePath } -ScriptBlock {
    param($Path)
    Import-Module $Path
    [pscustomobject]@{
        Offending = @([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $_.GetName().Name } |
            Where-Object { $_ -like 'Azure.*' -or $_ -like 'Microsoft.Identity*' -or $_ -eq 'ApimDr.Engine' })
        Contexts  = @([Runtime.Loader.AssemblyLoadContext]::All | ForEach-Object Name | Where-Object { $_ -eq 'ApimDr' })
    }
}
$offending = @($loaded.Offending | Where-Object { $_ })
$apimContext = @($loaded.Contexts | Where-Object { $_ }).Count -gt 0
# The ratio pair by pair (run i with import / run i bare, each pair run back to back), then its median.

# Where the import time goes: the same measurement on scratch copies of the module folder with one piece changed.
Write-Host "   pieces (ReadyToRun pwsh): scratch copies of the module folder with one piece changed, $ImportPieceRuns alternating pairs each vs a bare start"
$scratch = Join-Path ([IO.Path]::GetTempPath()) "apimdr-import-pieces-$PID"
$builtDir = Split-Path $modulePath
# Dot-sourced: the Edit blocks call its Edit-PieceManifest.
$pieces = . (Join-Path $PSScriptRoot 'bench/ImportPieces.ps1')
$pieceResults = [System.Collections.Generic.List[object]]::new()
function Add-ImportPiece([string] $Name, [string] $Command) {
    $piece = Measure-ImportPairs $Command $ImportPieceRuns $r2rPwsh
    $pieceResults.Add([pscustomobject]@{ Piece = $Name; Ratio = $piece.Ratio; DeltaMs = $piece.WithMedian - $piece.BareMedian; BareMs = $piece.BareMedian; ImportMs = $piece.WithMedian })
    Write-Host ('   {0,-44} {1:N2}x  {2:+#,0;-#,0;0} ms (medians {3:N0} vs {4:N0} ms bare)' -f $Name, $piece.Ratio, ($piece.WithMedian - $piece.BareMedian), $piece.WithMedian, $piece.BareMedian)
}
try {
    foreach ($name in $pieces.Keys) {
        $dir = Join-Path $scratch ($pieceResults.Count)
        $null = New-Item -ItemType Directory -Force -Path $dir
        Copy-Item -Recurse -Path (Join-Path $builtDir '*') -Destination $dir
        & $pieces[$name].Edit $dir
        Add-ImportPiece $name "Import-Module '$(Join-Path $dir $pieces[$name].Import)' -ErrorAction Stop; exit"
    }
    # A reference, not a piece of ours: Microsoft's smallest binary module, bundled with pwsh (a minimal manifest
    # that lists its one cmdlet), imported the same way (docs/benchmarks.md, "Where the import goes (fourth pass)").
    $threadJob = Get-ThreadJobManifest $r2rPwsh
    if ($threadJob) {
        Add-ImportPiece 'reference: Microsoft.PowerShell.ThreadJob (bundled)' "Import-Module '$threadJob' -ErrorAction Stop; exit"
    }
} finally {
    Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
}
}

# ---------------------------------------------------------------------------------------------
# 2-4. 100 operations: services, backups, one wait, request log, memory (tests/bench/WaitBench.ps1).
$waitArguments = @{ OutputDirectory = $OutputDirectory; OperationCount = $OperationCount; DurationsCsv = $DurationsCsv; RetryAfterSeconds = $RetryAfterSeconds
    ThrottlePolls = $ThrottlePolls; PollBucket = $PollBucket; PollRefillPerSecond = $PollRefillPerSecond; WaitMemoryTargetMB = $WaitMemoryTargetMB }
if (Want 'Wait') {
Write-Host "== 2-4. $OperationCount backups, one Wait-ApimOperation, sampled from outside"
$waitBench = & (Join-Path $PSScriptRoot 'bench/WaitBench.ps1') @waitArguments
}

# ---------------------------------------------------------------------------------------------
# 5. Long session: $SessionCalls Backup-ApimService calls in one process with an Az-context credential.
if (Want 'Session') {
if (-not (Want 'Wait')) { throw 'The Session target runs over the bench services that Wait creates: run it with Wait.' }
Write-Host "== 5. Long session: $SessionCalls Backup-ApimService calls (each waited inline) in one process, Az-context credential"
# Backups that end at once and are polled at once (Retry-After 0), so each call runs the whole path — pre-flight
# GET, POST, journal, wait, completion, the source recorded on the blob — in milliseconds, and the journal stays
# at its steady size (an operation seen to end is removed).
$null = Set-EmulatorSetting @{ operationDurationSeconds = 0; backupDurationSeconds = 0; retryAfterSeconds = 0 }
$sessionServices = @((Invoke-EmulatorControl -Path 'services').services | Where-Object name -like 'bench-*' | ForEach-Object name)
$session = Invoke-PwshChild -Parameters @{ Path = $modulePath; Arm = $e.ArmUrl; Sub = $e.SubscriptionId; Rg = $e.ResourceGroup; Token = $e.Token
    Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint; Services = $sessionServices; Calls = $SessionCalls } -ScriptBlock {
    param($Path, $Arm, $Sub, $Rg, $Token, $Account, $Key, $Blob, $Services, $Calls)
    # Stand-ins with the shape of Az.Accounts' Get-AzContext / Get-AzAccessToken (no Azure here).
    $global:tokenCalls = 0
    $global:benchSub = $Sub; $global:benchToken = $Token
    function global:Get-AzContext { [pscustomobject]@{ Subscription = [pscustomobject]@{ Id = $global:benchSub }; Account = [pscustomobject]@{ Id = 'bench@contoso.example' }; Tenant = [pscustomobject]@{ Id = '72f988bf-0000-0000-0000-000000000000' }; Environment = [pscustomobject]@{ Name = 'AzureCloud' } } }
    function global:Get-AzAccessToken { param([string] $ResourceUrl, [switch] $AsSecureString)
        $global:tokenCalls++
        [pscustomobject]@{ Token = (ConvertTo-SecureString $global:benchToken -AsPlainText -Force); ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1) } }
    Import-Module $Path
    $key = ConvertTo-SecureString $Key -AsPlainText -Force
    function Get-Pipelines { $engine = [Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'ApimDr' | ForEach-Object Assemblies | Where-Object { $_.GetName().Name -eq 'ApimDr.Engine' }
        $engine.GetType('ApimDr.Engine.EngineDiagnostics').GetProperty('CachedPipelines').GetValue($null) }
    # Live managed heap: a full, blocking, compacting collection (large-object heap included), so pooled or
    # fragmented space freed during the run is not mistaken for growth.
    # The live object graph as dotnet-gcdump walks it (a dotnet local tool): what the process really holds.
    function Get-GcDumpHeap([string] $Name) {
        $file = Join-Path ([IO.Path]::GetTempPath()) "apimdr-bench-$PID-$Name.gcdump"
        $null = & dotnet dotnet-gcdump collect -p $PID -o $file 2>&1
        $line = & dotnet dotnet-gcdump report $file 2>$null | Where-Object { $_ -match 'GC Heap bytes' } | Select-Object -First 1
        Remove-Item $file -ErrorAction SilentlyContinue
        if ($line -match '([\d,]+)\s+GC Heap bytes') { return [double]($Matches[1] -replace ',', '') }
        return [double]::NaN
    }
    function Get-LiveHeap {
        for ($k = 0; $k -lt 2; $k++) {
            [Runtime.GCSettings]::LargeObjectHeapCompactionMode = 'CompactOnce'
            [GC]::Collect(2, [GCCollectionMode]::Forced, $true, $true)
            [GC]::WaitForPendingFinalizers()
        }
        [GC]::GetTotalMemory($false)
    }
    # A plain loop at script level, results discarded, errors counted from $Error (no -ErrorVariable
    # accumulation in the measured window): the session's own cost, not the harness's.
    $names = $Services
    for ($i = 0; $i -lt 200; $i++) {   # warm-up (two rounds over the services): JIT, first pipeline, first token, first journal compaction
        $null = Backup-ApimService -ResourceManagerUrl $Arm -ResourceGroupName $Rg -Name $names[$i % $names.Count] -BackupName "session-$i.apimbackup" -StorageAccountName $Account `
            -ContainerName 'benchsession' -StorageAccountKey $key -BlobEndpoint $Blob -ErrorAction SilentlyContinue
    }
    $pipelinesWarm = Get-Pipelines
    $tokenCallsWarm = $global:tokenCalls
    $Error.Clear()
    $null = Get-GcDumpHeap 'warm'   # the first dump loads the tool's own event machinery into this process
    $heapBefore = Get-LiveHeap
    $dumpBefore = Get-GcDumpHeap 'before'
    $watch = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 200; $i -lt 200 + $Calls; $i++) {
        $null = Backup-ApimService -ResourceManagerUrl $Arm -ResourceGroupName $Rg -Name $names[$i % $names.Count] -BackupName "session-$i.apimbackup" -StorageAccountName $Account `
            -ContainerName 'benchsession' -StorageAccountKey $key -BlobEndpoint $Blob -ErrorAction SilentlyContinue
    }
    $watch.Stop()
    $failed = $Error.Count
    $Error.Clear()
    $heapAfter = Get-LiveHeap
    $dumpAfter = Get-GcDumpHeap 'after'
    [pscustomobject]@{ HeapBefore = $heapBefore; HeapAfter = $heapAfter; DumpBefore = $dumpBefore; DumpAfter = $dumpAfter; Seconds = $watch.Elapsed.TotalSeconds; Failed = $failed
        PipelinesWarm = $pipelinesWarm; PipelinesAfter = (Get-Pipelines); TokenCallsWarm = $tokenCallsWarm; TokenCallsAfter = $global:tokenCalls }
}
$perCall = ([double]$session.HeapAfter - [double]$session.HeapBefore) / $SessionCalls
$perCallLive = ([double]$session.DumpAfter - [double]$session.DumpBefore) / $SessionCalls
$sessionOk = $perCallLive -le 1024 -and $session.PipelinesAfter -eq $session.PipelinesWarm -and $session.TokenCallsAfter -eq $session.TokenCallsWarm
}

# ---------------------------------------------------------------------------------------------
# 10. 1,000 operations in one wait, polls throttled (tests/bench/WaitBench.ps1 again; after Session, which needs Wait's services).
if (Want 'Wait1000') {
Write-Host "== 10. $Wait1000Count backups, one Wait-ApimOperation, polls throttled by the read bucket ($PollBucket, $PollRefillPerSecond/s)"
$wait1000Bench = & (Join-Path $PSScriptRoot 'bench/WaitBench.ps1') -OutputDirectory $OutputDirectory -OperationCount $Wait1000Count -DurationsCsv $DurationsCsv `
    -RetryAfterSeconds $RetryAfterSeconds -ThrottlePolls -PollBucket $PollBucket -PollRefillPerSecond $PollRefillPerSecond -WaitMemoryTargetMB $Wait1000MemoryTargetMB
}

# ---------------------------------------------------------------------------------------------
# 6. Configuration snapshot of a large service (tests/bench/SnapshotBench.ps1; resets the emulator after).
if (Want 'Snapshot') {
Write-Host '== 6. Get-ApimConfiguration of a generated 300 x 10 service at 50 ms per request, vs one request at a time; memory in a fresh pwsh'
$snapshotBench = & (Join-Path $PSScriptRoot 'bench/SnapshotBench.ps1')
}

# ---------------------------------------------------------------------------------------------
# 7. The catalog of a container of many backups (tests/bench/CatalogBench.ps1).
if (Want 'Catalog') {
Write-Host "== 7. Get-ApimBackup over $CatalogBackups backups: storage requests counted by a relay, memory in a fresh pwsh"
$catalogBench = & (Join-Path $PSScriptRoot 'bench/CatalogBench.ps1') -Backups $CatalogBackups
}

# ---------------------------------------------------------------------------------------------
# 9. A snapshot at ARM's read floor (tests/bench/ReadFloorBench.ps1; ~3-4 min at 250/25).
if (Want 'ReadFloor') {
Write-Host '== 9. Get-ApimConfiguration of the generated 300 x 10 service with the read bucket enforced: time vs the floor, 429s, -Verbose header'
$readFloorBench = & (Join-Path $PSScriptRoot 'bench/ReadFloorBench.ps1') -Apis $ReadFloorApis -BucketCapacity $ReadBucket -RefillPerSecond $ReadRefillPerSecond
}

# ---------------------------------------------------------------------------------------------
# 8. Copy-ApimBackup of a 256 MiB backup: server-side bytes sent, streamed memory (tests/bench/CopyBench.ps1).
if (Want 'Copy') {
Write-Host '== 8. Copy-ApimBackup of a 256 MiB backup: server-side (bytes through ApimDr) and streamed (memory), each in a fresh pwsh'
$copyBench = & (Join-Path $PSScriptRoot 'bench/CopyBench.ps1')
}

# ---------------------------------------------------------------------------------------------
# 11. A fleet starts at once (tests/bench/FleetBench.ps1; resets the emulator before and after).
if (Want 'Fleet') {
Write-Host "== 11. A fleet starts at once: $FleetStartCount starts in one call vs the slowest single start; $FleetCount services one at a time vs one call"
$fleetBench = & (Join-Path $PSScriptRoot 'bench/FleetBench.ps1') -StartCount $FleetStartCount -FleetCount $FleetCount
}

# ---------------------------------------------------------------------------------------------
# A diagnostic of 11, not a target and not in the default run (tests/bench/FleetTimeline.ps1).
if (Want 'FleetTimeline') {
Write-Host '== Fleet timeline (diagnostic): repeated fleet starts in one process, CPU per start, the request log of one'
& (Join-Path $PSScriptRoot 'bench/FleetTimeline.ps1')
}

# ---------------------------------------------------------------------------------------------
# Report
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
$now = [DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm') + ' UTC'
$machine = "$([Environment]::ProcessorCount) cores, $([Runtime.InteropServices.RuntimeInformation]::OSDescription), .NET $([Environment]::Version), PowerShell $($PSVersionTable.PSVersion)"
$rows = @()
if (Want 'Import') { $rows += @(
    [pscustomobject]@{ Target = 'A pwsh start with Import-Module ApimDr takes <= 1.15x a bare pwsh start (a ReadyToRun pwsh, as PowerShell releases ship)'
        Measured = ('{0:N2}x (median of {3} pair ratios; medians {1:N0} ms with import vs {2:N0} ms bare: +{4:N0} ms). On this IL-only dotnet tool pwsh: {5:N2}x ({6:N0} vs {7:N0} ms)' -f $importRatio, $importMedian, $bareMedian, $ImportRuns, $importDelta, $importIl.Ratio, $importIl.WithMedian, $importIl.BareMedian)
        Result = Result ($importRatio -le 1.15) }
    [pscustomobject]@{ Target = 'No Azure.* / ApimDr.Engine assembly loaded after import'
        Measured = $(if ($offending.Count) { 'loaded: ' + ($offending -join ', ') } else { 'none loaded' + $(if ($apimContext) { ' (but the ApimDr load context exists)' } else { '; no ApimDr load context' }) })
        Result = Result ($offending.Count -eq 0) }
) }
if (Want 'Wait') { $rows += $waitBench.Rows }
if (Want 'Wait1000') { $rows += $wait1000Bench.Rows }
if (Want 'Session') { $rows += @(
    [pscustomobject]@{ Target = "A long session: <= 1 KB managed heap per call over $SessionCalls Backup-ApimService calls (Az context), pipeline cache constant"
        Measured = ('live objects {0:+#,0;-#,0;0} bytes per call ({1:N2} -> {2:N2} MB by dotnet-gcdump; GC.GetTotalMemory says {3:+#,0;-#,0;0} bytes per call) over {4} calls in {5:N1} s, {6} refused by the service; pipelines {7} -> {8}; Get-AzAccessToken calls during the run: {9}' -f $perCallLive, ([double]$session.DumpBefore / $MB), ([double]$session.DumpAfter / $MB), $perCall, $SessionCalls, [double]$session.Seconds, $session.Failed, $session.PipelinesWarm, $session.PipelinesAfter, ($session.TokenCallsAfter - $session.TokenCallsWarm))
        Result = Result $sessionOk }
) }
if (Want 'Snapshot') { $rows += $snapshotBench.Rows }
if (Want 'Catalog') { $rows += $catalogBench.Rows }
if (Want 'Copy') { $rows += $copyBench.Rows }
if (Want 'ReadFloor') { $rows += $readFloorBench.Rows }
if (Want 'Fleet') { $rows += $fleetBench.Rows }
$missed = @($rows | Where-Object Result -eq 'FAIL')

Write-Host ''
Write-Host "ApimDr benchmarks - $now - $machine"
foreach ($row in $rows) { Write-Host ('  {0}  {1,-88} {2}' -f $row.Result, $row.Target, $row.Measured) }
if ($missed.Count) { Write-Host "  $($missed.Count) of $($rows.Count) targets MISSED (a measurement: the task still exits 0)." }
else { Write-Host "  All $($rows.Count) targets met." }

$md = [System.Text.StringBuilder]::new()
$null = $md.AppendLine('# ApimDr benchmark results').AppendLine()
$null = $md.AppendLine("Produced by ``dotnet pwsh ./build.ps1 -Task Bench`` on $now; machine: $machine.").AppendLine()
$null = $md.AppendLine('| target | measured | result |').AppendLine('|---|---|---|')
foreach ($row in $rows) { $null = $md.AppendLine("| $($row.Target) | $($row.Measured) | **$($row.Result)** |") }
$null = $md.AppendLine()
$null = $md.AppendLine($(if ($missed.Count) { "**$($missed.Count) of $($rows.Count) targets missed.**" } else { "All $($rows.Count) targets met." })).AppendLine()
$null = $md.AppendLine('## How each was measured').AppendLine()
if (Want 'Import') { $null = $md.AppendLine("1. **Import.** Judged on a ReadyToRun copy of this pwsh (tests/bench/ReadyToRunPwsh.ps1: every managed assembly of ``$PSHOME`` compiled by the .NET SDK's crossgen2, as PowerShell's release packages are; the dotnet tool package this repository runs is IL only), and measured the same way on this pwsh. Each: $ImportRuns fresh ``dotnet pwsh.dll -NoProfile -NonInteractive -Command exit`` vs ``-Command `"Import-Module <out/ApimDr/ApimDr.psd1>; exit`"``, alternating (ABBA), after one uncounted warm-up pair; wall time from process start to exit. ReadyToRun: bare $(($import.Bare | ForEach-Object { '{0:N0}' -f $_ }) -join ', ') ms; with import $(($import.With | ForEach-Object { '{0:N0}' -f $_ }) -join ', ') ms; pair ratios $(($import.Ratios | ForEach-Object { '{0:N2}' -f $_ }) -join ', '). This pwsh: bare $(($importIl.Bare | ForEach-Object { '{0:N0}' -f $_ }) -join ', ') ms; with import $(($importIl.With | ForEach-Object { '{0:N0}' -f $_ }) -join ', ') ms; pair ratios $(($importIl.Ratios | ForEach-Object { '{0:N2}' -f $_ }) -join ', '). Ratio = median of the pair ratios (each run with import divided by the bare run of its pair). Assemblies: a further fresh pwsh imports the module and lists loaded assemblies named Azure.*, Microsoft.Identity* or ApimDr.Engine. Pieces (on the ReadyToRun pwsh; scratch copies of the module folder with one piece changed, $ImportPieceRuns alternating pairs each vs a bare start; median pair ratio, difference of medians): $(($pieceResults | ForEach-Object { '{0} {1:N2}x ({2:+#,0;-#,0;0} ms)' -f $_.Piece, $_.Ratio, $_.DeltaMs }) -join '; ').") }
if (Want 'Wait') { $null = $md.AppendLine('**2-4. Wait over ' + $OperationCount + ' operations.**').AppendLine($waitBench.Method) }
if (Want 'Wait1000') { $null = $md.AppendLine('**10. Wait over ' + $Wait1000Count + ' operations, polls throttled.**').AppendLine($wait1000Bench.Method) }
if (Want 'Session') { $null = $md.AppendLine("5. **Long session.** A fresh pwsh with stand-ins for Get-AzContext (account, tenant, AzureCloud) and Get-AzAccessToken (a 1-hour emulator token) imports the module and calls ``Backup-ApimService`` (key access; each call: pre-flight GET, POST, journal records, an inline wait on 0-s backups polled with Retry-After 0, the source recorded on the blob) round-robin over the $($sessionServices.Count) bench services: 200 uncounted warm-up calls (two rounds), then $SessionCalls counted ones with results discarded; errors (ServiceBusy when a round comes back to a service still busy) are counted and cleared. Live heap = the `"GC Heap bytes`" of a ``dotnet-gcdump`` (a dotnet local tool of this repo) of the child before and after the counted calls (a first, uncounted dump loads the tool's event machinery), divided by $SessionCalls; that is what PASS judges. ``[GC]::GetTotalMemory(`$false)`` after two full blocking compacting collections is reported beside it: it also counts space the runtime keeps but no object uses, and reads higher. Pipelines = ``ApimDr.Engine.EngineDiagnostics.CachedPipelines`` read by reflection from the ApimDr load context. PASS when growth <= 1024 bytes per call, the pipeline count is unchanged and Get-AzAccessToken was not called again (the token is cached until near expiry).")
}
if (Want 'Snapshot') { $null = $md.AppendLine($snapshotBench.Method) }
if (Want 'Catalog') { $null = $md.AppendLine($catalogBench.Method) }
if (Want 'Copy') { $null = $md.AppendLine($copyBench.Method) }
if (Want 'ReadFloor') { $null = $md.AppendLine($readFloorBench.Method) }
if (Want 'Fleet') { $null = $md.AppendLine($fleetBench.Method) }
$resultsMd = Join-Path $OutputDirectory 'results.md'
Set-Content -Path $resultsMd -Value $md.ToString()
$raw = [ordered]@{ Time = $now; Machine = $machine; Rows = $rows; Targets = $run }
if (Want 'Import') { $raw['Import'] = @{ ReadyToRun = $import; ThisPwsh = $importIl; Pwsh = $r2rPwsh; Pieces = $pieceResults; Offending = $offending } }
if (Want 'Wait') { $raw['Wait'] = $waitBench.Raw }
if (Want 'Wait1000') { $raw['Wait1000'] = $wait1000Bench.Raw }
if (Want 'Session') { $raw['Session'] = @{ Calls = $SessionCalls; HeapBefore = $session.HeapBefore; HeapAfter = $session.HeapAfter; BytesPerCall = $perCall; DumpBefore = $session.DumpBefore; DumpAfter = $session.DumpAfter; LiveBytesPerCall = $perCallLive; Seconds = $session.Seconds; Failed = $session.Failed; PipelinesWarm = $session.PipelinesWarm; PipelinesAfter = $session.PipelinesAfter; TokenCalls = ($session.TokenCallsAfter - $session.TokenCallsWarm) } }
if (Want 'Snapshot') { $raw['Snapshot'] = $snapshotBench.Raw }
if (Want 'Copy') { $raw['Copy'] = $copyBench.Raw }
if (Want 'ReadFloor') { $raw['ReadFloor'] = $readFloorBench.Raw }
if (Want 'Fleet') { $raw['Fleet'] = $fleetBench.Raw }
if (Want 'Catalog') { $raw['Catalog'] = $catalogBench.Raw }
$raw | ConvertTo-Json -Depth 6 | Set-Content -Path (Join-Path $OutputDirectory 'results.json')
Write-Host "  Written: $resultsMd"
exit 0
