<#
.SYNOPSIS
build.ps1 -Task Bench: measures ApimDr's four performance targets against the emulator + Azurite and
prints a compact report, also written to <OutputDirectory>/results.md (and results.json).

  1. Import-Module adds <= 250 ms to a bare pwsh start (N alternating fresh starts, medians), and
     no Azure.* / ApimDr.Engine assembly is loaded after the import.
  2. One Wait-ApimOperation over 100 backups costs about the slowest one, not the sum.
  3. Polls never come faster than Retry-After (from the emulator's request log during 2).
  4. 100 pending operations hold <= 50 MB (the process of 2, sampled from outside).
  5. A long session: 500 Backup-ApimService calls in one process with a signed-in Az context grow the
     managed heap by <= 1 KB per call, keep the pipeline cache constant and call Get-AzAccessToken once.
  6. A configuration snapshot of a generated 300 x 10 service at 50 ms per request: requests made =
     the minimum (pages + details), >= 6x faster than the same requests one at a time, <= 50 MB peak
     memory growth (tests/bench/SnapshotBench.ps1).
  8. Copy-ApimBackup of a 256 MiB backup: server-side, < 1 MB sent by ApimDr; streamed, <= +30 MB peak
     memory (tests/bench/CopyBench.ps1).

A measurement, not a test: it exits 0 when a target is missed (and says so); non-zero only when the
benchmark itself could not run. Runs in a fresh pwsh started by build.ps1 with the services' environment.
#>
param(
    [Parameter(Mandatory)][string] $OutputDirectory,
    [int] $ImportRuns = 10,
    # Which targets to run (comma-separated): Import, Wait (2-4), Session (5), Snapshot (6), Catalog (7); default all.
    [string] $Targets = 'Import,Wait,Session,Snapshot,Catalog,Copy',
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
    # ReadFloor: the generated service's apis (10 operations each) and the read bucket.
    [int] $ReadFloorApis = 300,
    [int] $ReadBucket = 250,
    [int] $ReadRefillPerSecond = 25,
    [int] $SessionCalls = 500
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
foreach ($name in $run) { if ($name -notin 'Import', 'Wait', 'Session', 'Snapshot', 'Catalog', 'Copy', 'ReadFloor') { throw "Unknown bench target '$name' (Import, Wait, Session, Snapshot, Catalog, Copy, ReadFloor)." } }
function Want([string] $Name) { return $Name -in $run }
$modulePath = $t.ModulePath

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { return $sorted[($n - 1) / 2] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Measure-PwshStart([string] $Command) {
    <# Wall time of one fresh pwsh (started as build.ps1 starts pwsh) running -Command, start to exit. #>
    $info = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $Command)) { $info.ArgumentList.Add($a) }
    $info.UseShellExecute = $false
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $p = [Diagnostics.Process]::Start($info)
    $p.WaitForExit()
    $watch.Stop()
    if ($p.ExitCode -ne 0) { throw "pwsh -Command '$Command' exited with $($p.ExitCode)." }
    return $watch.Elapsed.TotalMilliseconds
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
Write-Host "== 1. Import-Module cost: $ImportRuns alternating fresh pwsh starts each (+1 warm-up pair, not counted)"
$modulePath = $t.ModulePath
$bareCommand = 'exit'
$importCommand = "Import-Module '$modulePath' -ErrorAction Stop; exit"
$null = Measure-PwshStart $bareCommand; $null = Measure-PwshStart $importCommand
$bare = [System.Collections.Generic.List[double]]::new()
$imported = [System.Collections.Generic.List[double]]::new()
for ($i = 0; $i -lt $ImportRuns; $i++) {
    # ABBA order, so a drift in machine load does not favour one side.
    if ($i % 2 -eq 0) { $bare.Add((Measure-PwshStart $bareCommand)); $imported.Add((Measure-PwshStart $importCommand)) }
    else { $imported.Add((Measure-PwshStart $importCommand)); $bare.Add((Measure-PwshStart $bareCommand)) }
}
$bareMedian = Get-Median $bare
$importMedian = Get-Median $imported
$importDelta = $importMedian - $bareMedian
Write-Host ('   bare    {0}' -f (($bare | ForEach-Object { '{0:N0}' -f $_ }) -join ' '))
Write-Host ('   import  {0}' -f (($imported | ForEach-Object { '{0:N0}' -f $_ }) -join ' '))

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
$ratios = @(for ($i = 0; $i -lt $ImportRuns; $i++) { $imported[$i] / $bare[$i] })
$importRatio = Get-Median $ratios
Write-Host ('   ratio   {0:N2} (median of pair ratios: {1}); bare median {2:N0} ms' -f $importRatio, (($ratios | ForEach-Object { '{0:N2}' -f $_ }) -join ' '), $bareMedian)

# Where the import time goes: the same measurement on scratch copies of the module folder with one piece changed.
Write-Host "   pieces: scratch copies of the module folder with one piece changed, $ImportPieceRuns alternating pairs each vs a bare start"
$scratch = Join-Path ([IO.Path]::GetTempPath()) "apimdr-import-pieces-$PID"
$builtDir = Split-Path $modulePath
# Dot-sourced: the Edit blocks call its Edit-PieceManifest.
$pieces = . (Join-Path $PSScriptRoot 'bench/ImportPieces.ps1')
$pieceResults = [System.Collections.Generic.List[object]]::new()
try {
    foreach ($name in $pieces.Keys) {
        $dir = Join-Path $scratch ($pieceResults.Count)
        $null = New-Item -ItemType Directory -Force -Path $dir
        Copy-Item -Recurse -Path (Join-Path $builtDir '*') -Destination $dir
        & $pieces[$name].Edit $dir
        $command = "Import-Module '$(Join-Path $dir $pieces[$name].Import)' -ErrorAction Stop; exit"
        $null = Measure-PwshStart $command
        $pb = [System.Collections.Generic.List[double]]::new(); $pi = [System.Collections.Generic.List[double]]::new()
        for ($i = 0; $i -lt $ImportPieceRuns; $i++) {
            if ($i % 2 -eq 0) { $pb.Add((Measure-PwshStart $bareCommand)); $pi.Add((Measure-PwshStart $command)) }
            else { $pi.Add((Measure-PwshStart $command)); $pb.Add((Measure-PwshStart $bareCommand)) }
        }
        $pr = Get-Median @(for ($i = 0; $i -lt $ImportPieceRuns; $i++) { $pi[$i] / $pb[$i] })
        $pieceResults.Add([pscustomobject]@{ Piece = $name; Ratio = $pr; DeltaMs = (Get-Median $pi) - (Get-Median $pb); BareMs = Get-Median $pb; ImportMs = Get-Median $pi })
        Write-Host ('   {0,-44} {1:N2}x  {2:+#,0;-#,0;0} ms (medians {3:N0} vs {4:N0} ms bare)' -f $name, $pr, ((Get-Median $pi) - (Get-Median $pb)), (Get-Median $pi), (Get-Median $pb))
    }
} finally {
    Remove-Item -Recurse -Force $scratch -ErrorAction SilentlyContinue
}
}

# ---------------------------------------------------------------------------------------------
# 2-4. 100 operations: services, backups, one wait, request log, memory
if (Want 'Wait') {
Write-Host "== 2-4. $OperationCount backups, one Wait-ApimOperation, sampled from outside"
Reset-Emulator
$durations = @($DurationsCsv -split ',' | ForEach-Object { [double]$_ })
# Throttling off: this measures ApimDr's wait, not ARM's read quota (see docs/benchmarks.md).
$null = Set-EmulatorSetting @{ putDurationSeconds = 0; retryAfterSeconds = $RetryAfterSeconds; throttlingEnabled = $false }

$createWatch = [Diagnostics.Stopwatch]::StartNew()
$names = 1..$OperationCount | ForEach-Object { 'bench-{0:d3}' -f $_ }
foreach ($name in $names) {
    $r = Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name $name)?api-version=2024-05-01" -Body @{
        location = 'West Europe'; sku = @{ name = 'Developer'; capacity = 1 }; properties = @{ publisherEmail = 'bench@contoso.example'; publisherName = 'Bench' } }
    if ($r.Status -ne 201) { throw "PUT $name answered $($r.Status): $($r.Body)" }
}
$deadline = [DateTime]::UtcNow.AddSeconds(30)
do {
    $busy = @((Invoke-EmulatorControl -Path 'services').services | Where-Object { $_.name -like 'bench-*' -and ($_.activeOperationId -or $_.provisioningState -ne 'Succeeded') })
    if ($busy.Count -eq 0) { break }
    Start-Sleep -Milliseconds 100
} while ([DateTime]::UtcNow -lt $deadline)
if ($busy.Count -gt 0) { throw "$($busy.Count) bench services are still being created." }
$createWatch.Stop()
Write-Host ('   created {0} services (PUT, Azure-AsyncOperation style, 0 s) in {1:N1} s' -f $OperationCount, $createWatch.Elapsed.TotalSeconds)

$container = 'bench'
New-TestContainer -Name $container
$work = Join-Path $OutputDirectory 'work'
$null = New-Item -ItemType Directory -Force -Path $work
$servicesFile = Join-Path $work 'services.json'
$goFile = Join-Path $work 'go'
Remove-Item $goFile -ErrorAction SilentlyContinue
$waitGoFile = Join-Path $work 'go-wait'
Remove-Item $waitGoFile -ErrorAction SilentlyContinue
$names | ForEach-Object {
    [pscustomobject]@{ Id = (Get-ApimServiceId $_); Name = $_; ResourceGroupName = $e.ResourceGroup }
} | ConvertTo-Json -AsArray | Set-Content -Path $servicesFile
Clear-EmulatorRequestLog

# The child: stdout piped (its BENCH records), stderr inherited.
$info = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'bench/WaitChild.ps1'),
        '-ServicesFile', $servicesFile, '-ContainerName', $container, '-DurationsCsv', ($durations -join ','), '-GoFile', $goFile) + $(if ($ThrottlePolls) { @('-WaitGoFile', $waitGoFile) } else { @() })) { $info.ArgumentList.Add($a) }
$info.UseShellExecute = $false
$info.RedirectStandardOutput = $true
$child = [Diagnostics.Process]::Start($info)
$records = @{}
$samples = [System.Collections.Generic.List[object]]::new()   # {Phase, Rss}
$phase = 'loading'
$hwmReset = $false
$baselineRss = [System.Collections.Generic.List[long]]::new()
$lineTask = $child.StandardOutput.ReadLineAsync()
$childDeadline = [DateTime]::UtcNow.AddSeconds(180 + 0.5 * $OperationCount)
while ($true) {
    $mem = Read-ProcMemory $child.Id
    if ($mem -and $mem.Rss) { $samples.Add([pscustomobject]@{ Phase = $phase; Rss = $mem.Rss }) }
    while ($lineTask.IsCompleted) {
        $line = $lineTask.Result
        if ($null -eq $line) { break }
        if ($line.StartsWith('BENCH ')) {
            $record = $line.Substring(6) | ConvertFrom-Json
            $records[$record.phase] = $record
            $mem = Read-ProcMemory $child.Id
            if ($record.phase -eq 'baseline') {
                $phase = 'baseline'
                # Sample the settled baseline for ~0.5 s, then reset the kernel's peak-RSS mark (VmHWM) and say go.
                for ($k = 0; $k -lt 10; $k++) { $m = Read-ProcMemory $child.Id; if ($m) { $baselineRss.Add($m.Rss) }; Start-Sleep -Milliseconds 50 }
                try { [IO.File]::WriteAllText("/proc/$($child.Id)/clear_refs", '5'); $hwmReset = $true } catch { $hwmReset = $false }
                $phase = 'starting'
                $null = New-Item -ItemType File -Path $goFile
            } elseif ($record.phase -eq 'started') {
                $phase = 'waiting'
                $records['startedRss'] = $mem.Rss
                if ($ThrottlePolls) {
                    # Started (the POSTs, writes, unthrottled); now every poll goes through the read bucket.
                    $null = Set-EmulatorSetting @{ throttlingEnabled = $true; readBucketCapacity = $PollBucket; readRefillPerSecond = $PollRefillPerSecond }
                    $null = New-Item -ItemType File -Path $waitGoFile
                }
            } elseif ($record.phase -eq 'waited') {
                $records['waitedHwm'] = $mem.Hwm
                $records['waitedRss'] = $mem.Rss
                $phase = 'done'
            }
        } else {
            Write-Host "   child: $line"
        }
        $lineTask = $child.StandardOutput.ReadLineAsync()
    }
    if ($child.HasExited -and ($lineTask.IsCompleted -and $null -eq $lineTask.Result)) { break }
    if ([DateTime]::UtcNow -gt $childDeadline) { $child.Kill(); throw "The wait child did not finish within $(180 + 0.5 * $OperationCount) s (killed)." }
    Start-Sleep -Milliseconds 50
}
$child.WaitForExit()
if ($child.ExitCode -ne 0 -or -not $records.ContainsKey('waited')) { throw "The wait child failed (exit $($child.ExitCode)); see its errors above." }
$baseline = $records['baseline']; $started = $records['started']; $waited = $records['waited']
Remove-Item -Recurse -Force $work

# 2. Wall time vs the operations' own durations (the emulator's record of each).
$ops = @((Invoke-EmulatorControl -Path 'operations').operations | Where-Object { $_.kind -eq 'backup' -and $_.service -like 'bench-*' })
if ($ops.Count -ne $OperationCount) { throw "The emulator ran $($ops.Count) bench backups, expected $OperationCount." }
$waitStart = [DateTimeOffset]$waited.waitStart
$waitSeconds = [double]$waited.waitSeconds
$slowest = ($ops.durationSeconds | Measure-Object -Maximum).Maximum
$sum = ($ops.durationSeconds | Measure-Object -Sum).Sum
$lastEnd = ($ops | ForEach-Object { [DateTimeOffset]$_.endedAt } | Sort-Object)[-1]
$lastEndAfterWaitStart = ($lastEnd - $waitStart).TotalSeconds
$succeeded = @($ops | Where-Object state -eq 'Succeeded').Count
$waitOk = $waitSeconds -le ([Math]::Max($slowest, $lastEndAfterWaitStart) + $RetryAfterSeconds + 1) -and $succeeded -eq $OperationCount -and $waited.count -eq $OperationCount

# 3. Poll intervals per operation (the emulator's log times: taken when it has handled a request, before it answers): POST -> first poll (the POST's 202 carries
# Retry-After too) and poll -> next poll, kept apart because they come from different code paths.
$log = @(Get-EmulatorRequestLog)
$benchLog = @($log | Where-Object { $_.url -match '/service/(bench-\d+)/' })
$firstGaps = [System.Collections.Generic.List[double]]::new()
$pollGaps = [System.Collections.Generic.List[double]]::new()
$pollsPerOp = [System.Collections.Generic.List[int]]::new()
$throttled = @($benchLog | Where-Object { $_.status -eq 429 }).Count
foreach ($group in ($benchLog | Group-Object { if ($_.url -match '/service/(bench-\d+)/') { $Matches[1] } })) {
    $post = @($group.Group | Where-Object { $_.method -eq 'POST' -and $_.url -match '/backup\?' })
    $polls = @($group.Group | Where-Object route -eq 'operationresults' | Sort-Object sequence)
    $pollsPerOp.Add($polls.Count)
    if ($post.Count -eq 1 -and $polls.Count -gt 0) { $firstGaps.Add(([DateTimeOffset]$polls[0].time - [DateTimeOffset]$post[0].time).TotalSeconds) }
    for ($i = 1; $i -lt $polls.Count; $i++) { $pollGaps.Add(([DateTimeOffset]$polls[$i].time - [DateTimeOffset]$polls[$i - 1].time).TotalSeconds) }
}
# 5 ms tolerance for timer granularity.
$floor = $RetryAfterSeconds - 0.005
$minPollGap = ($pollGaps | Measure-Object -Minimum).Minimum
$minFirstGap = ($firstGaps | Measure-Object -Minimum).Minimum
$earlyFirst = @($firstGaps | Where-Object { $_ -lt $floor }).Count
$earlyPolls = @($pollGaps | Where-Object { $_ -lt $floor }).Count
$pollTotal = ($pollsPerOp | Measure-Object -Sum).Sum
$pollStats = $pollsPerOp | Measure-Object -Average -Minimum -Maximum
# Starvation: per operation, polls <= ceil(T / RA) + the 429s it received + 2 (T = its duration on the server).
$durationOf = @{}
foreach ($o in $ops) { $durationOf[[string]$o.service] = [double]$o.durationSeconds }
$starved = [System.Collections.Generic.List[string]]::new()
$throttledPerOp = [System.Collections.Generic.List[int]]::new()
foreach ($group in ($benchLog | Group-Object { if ($_.url -match '/service/(bench-\d+)/') { $Matches[1] } })) {
    $opPolls = @($group.Group | Where-Object route -eq 'operationresults')
    $op429 = @($opPolls | Where-Object status -eq 429).Count
    $throttledPerOp.Add($op429)
    $bound = [Math]::Ceiling($durationOf[$group.Name] / $RetryAfterSeconds) + $op429 + 2
    if ($opPolls.Count -gt $bound) { $starved.Add(('{0}: {1} polls > {2}' -f $group.Name, $opPolls.Count, $bound)) }
}
$throttledStats = $throttledPerOp | Measure-Object -Maximum -Average
$pollOk = $pollGaps.Count -gt 0 -and $firstGaps.Count -gt 0 -and $earlyFirst -eq 0 -and $earlyPolls -eq 0

# 4. Memory.
$baselineRssBytes = (Get-Median ($baselineRss | ForEach-Object { [double]$_ }))
$waitSamples = @($samples | Where-Object Phase -in 'starting', 'waiting')
$peakSampled = ($waitSamples.Rss | Measure-Object -Maximum).Maximum
$peakStarting = (@($samples | Where-Object Phase -eq 'starting').Rss | Measure-Object -Maximum).Maximum
$peakWaiting = (@($samples | Where-Object Phase -eq 'waiting').Rss | Measure-Object -Maximum).Maximum
$peakRss = if ($hwmReset -and $records['waitedHwm']) { [Math]::Max([double]$records['waitedHwm'], [double]$peakSampled) } else { [double]$peakSampled }
$rssDelta = $peakRss - $baselineRssBytes
$heapPending = [double]$started.gcHeapBytes - [double]$baseline.gcHeapBytes
$heapAfter = [double]$waited.gcHeapBytes - [double]$baseline.gcHeapBytes
$memOk = $rssDelta -le $WaitMemoryTargetMB * $MB
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
# 9. A snapshot at ARM's read floor (tests/bench/ReadFloorBench.ps1; not in the default set: ~3-4 min at 250/25).
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
# Report
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
$now = [DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm') + ' UTC'
$machine = "$([Environment]::ProcessorCount) cores, $([Runtime.InteropServices.RuntimeInformation]::OSDescription), .NET $([Environment]::Version), PowerShell $($PSVersionTable.PSVersion)"
$rows = @()
if (Want 'Import') { $rows += @(
    [pscustomobject]@{ Target = 'A pwsh start with Import-Module ApimDr takes <= 1.15x a bare pwsh start'
        Measured = ('{0:N2}x (median of {3} pair ratios; medians {1:N0} ms with import vs {2:N0} ms bare: +{4:N0} ms)' -f $importRatio, $importMedian, $bareMedian, $ImportRuns, $importDelta)
        Result = Result ($importRatio -le 1.15) }
    [pscustomobject]@{ Target = 'No Azure.* / ApimDr.Engine assembly loaded after import'
        Measured = $(if ($offending.Count) { 'loaded: ' + ($offending -join ', ') } else { 'none loaded' + $(if ($apimContext) { ' (but the ApimDr load context exists)' } else { '; no ApimDr load context' }) })
        Result = Result ($offending.Count -eq 0) }
) }
if (Want 'Wait') { $rows += @(
    [pscustomobject]@{ Target = "One Wait-ApimOperation over $OperationCount operations costs about the slowest one, not the sum"
        Measured = ('{0:N1} s wall (slowest op {1:N0} s, sum {2:N0} s; last op ended on the server {3:N1} s after the wait began; {4}/{5} Succeeded)' -f $waitSeconds, $slowest, $sum, $lastEndAfterWaitStart, $succeeded, $OperationCount)
        Result = Result $waitOk }
    [pscustomobject]@{ Target = "Never poll faster than Retry-After ($RetryAfterSeconds s)"
        Measured = ('poll -> next poll: min {0:N3} s over {1} intervals ({2} early); POST -> first poll: min {3:N3} s, {4} of {5} early; {6} polls, {7:N1} per op ({8}-{9}); {10} throttled' -f $minPollGap, $pollGaps.Count, $earlyPolls, $minFirstGap, $earlyFirst, $firstGaps.Count, $pollTotal, $pollStats.Average, $pollStats.Minimum, $pollStats.Maximum, $throttled)
        Result = Result $pollOk }
    [pscustomobject]@{ Target = "No operation starves: polls per operation <= ceil(T/RA) + its 429s + 2$(if ($ThrottlePolls) { " (polls throttled: read bucket $PollBucket, refill $PollRefillPerSecond/s)" } else { ' (throttling off)' })"
        Measured = ('{0} of {1} operations over the bound{2}; 429s {3} in all, per operation max {4}, mean {5:N1}' -f $starved.Count, $OperationCount, $(if ($starved.Count) { ' (' + (($starved | Select-Object -First 3) -join '; ') + ')' } else { '' }), $throttled, $throttledStats.Maximum, $throttledStats.Average)
        Result = Result ($starved.Count -eq 0 -and $succeeded -eq $OperationCount) }
    [pscustomobject]@{ Target = "$OperationCount pending operations hold <= $WaitMemoryTargetMB MB"
        Measured = ('+{0:N1} MB RSS at peak ({1:N1} -> {2:N1} MB); managed heap +{3:N2} MB with {4} pending, +{5:N2} MB after' -f ($rssDelta / $MB), ($baselineRssBytes / $MB), ($peakRss / $MB), ($heapPending / $MB), $OperationCount, ($heapAfter / $MB))
        Result = Result $memOk }
) }
if (Want 'Session') { $rows += @(
    [pscustomobject]@{ Target = "A long session: <= 1 KB managed heap per call over $SessionCalls Backup-ApimService calls (Az context), pipeline cache constant"
        Measured = ('live objects {0:+#,0;-#,0;0} bytes per call ({1:N2} -> {2:N2} MB by dotnet-gcdump; GC.GetTotalMemory says {3:+#,0;-#,0;0} bytes per call) over {4} calls in {5:N1} s, {6} refused by the service; pipelines {7} -> {8}; Get-AzAccessToken calls during the run: {9}' -f $perCallLive, ([double]$session.DumpBefore / $MB), ([double]$session.DumpAfter / $MB), $perCall, $SessionCalls, [double]$session.Seconds, $session.Failed, $session.PipelinesWarm, $session.PipelinesAfter, ($session.TokenCallsAfter - $session.TokenCallsWarm))
        Result = Result $sessionOk }
) }
if (Want 'Snapshot') { $rows += $snapshotBench.Rows }
if (Want 'Catalog') { $rows += $catalogBench.Rows }
if (Want 'Copy') { $rows += $copyBench.Rows }
if (Want 'ReadFloor') { $rows += $readFloorBench.Rows }
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
if (Want 'Import') { $null = $md.AppendLine("1. **Import.** $ImportRuns fresh ``$((@([IO.Path]::GetFileName($pwsh[0])) + @($pwsh | Select-Object -Skip 1 | ForEach-Object { [IO.Path]::GetFileName($_) })) -join ' ') -NoProfile -NonInteractive -Command exit`` vs ``-Command `"Import-Module <out/ApimDr/ApimDr.psd1>; exit`"`` each, alternating (ABBA), after one uncounted warm-up pair; wall time from process start to exit; medians. Bare: $(($bare | ForEach-Object { '{0:N0}' -f $_ }) -join ', ') ms. With import: $(($imported | ForEach-Object { '{0:N0}' -f $_ }) -join ', ') ms. Assemblies: a further fresh pwsh imports the module and lists loaded assemblies named Azure.*, Microsoft.Identity* or ApimDr.Engine. Ratio: each run with import divided by the bare run of its pair, median over the $ImportRuns pairs: $(($ratios | ForEach-Object { '{0:N2}' -f $_ }) -join ', '). Pieces (scratch copies of the module folder with one piece changed, $ImportPieceRuns alternating pairs each vs a bare start; median pair ratio, difference of medians): $(($pieceResults | ForEach-Object { '{0} {1:N2}x ({2:+#,0;-#,0;0} ms)' -f $_.Piece, $_.Ratio, $_.DeltaMs }) -join '; ').") }
if (Want 'Wait') { $null = $md.AppendLine("2. **Wait.** $OperationCount services created in the emulator by ARM PUT (Azure-AsyncOperation style, putDurationSeconds 0). A child pwsh started $OperationCount backups with ``Backup-ApimService -NoWait`` in $($durations.Count) piped batches of $([Math]::Ceiling($OperationCount / $durations.Count)), setting the emulator's backupDurationSeconds to $($durations -join ', ') s before each batch (the emulator has no per-operation duration; a setting applies to operations started after it). Starting took $('{0:N1}' -f [double]$started.startSeconds) s. Then ONE ``Wait-ApimOperation`` over all $OperationCount was timed with a Stopwatch. Retry-After $RetryAfterSeconds s; ARM throttling switched off in the emulator. PASS when the wait ends within Retry-After + 1 s of the later of (slowest duration, last server-side end after the wait began).")
$null = $md.AppendLine("3. **Polls.** From the emulator's request log of the run in 2: per operation, the interval between its POST …/backup (whose 202 carries Retry-After) and its first poll of …/operationresults, and between consecutive polls, by the time the emulator logged each request (after handling it, before answering); an interval is early when shorter than Retry-After minus 5 ms (timer granularity). PASS when none is early.")
$null = $md.AppendLine("4. **Memory** (MB = 10^6 bytes). The child of 2 sampled from this process every 50 ms (/proc/<pid>/status VmRSS). Baseline: median of 10 samples after the module was imported and the engine warmed (one Get-ApimBackup, one backup of prod waited inline). Peak: max of VmRSS samples and VmHWM (reset with /proc/<pid>/clear_refs at the baseline: $(if ($hwmReset) { 'done' } else { 'not possible, samples only' })) while starting and waiting ($($waitSamples.Count) samples; sampled peak $('{0:N1}' -f ($peakStarting / $MB)) MB while starting, $('{0:N1}' -f ($peakWaiting / $MB)) MB while waiting; RSS $('{0:N1}' -f ([double]$records['waitedRss'] / $MB)) MB right after the wait). Managed heap: ``[GC]::GetTotalMemory(`$true)`` in the child at baseline ($('{0:N1}' -f ([double]$baseline.gcHeapBytes / $MB)) MB), with the $OperationCount -NoWait operations in a list ($('{0:N1}' -f ([double]$started.gcHeapBytes / $MB)) MB) and after the wait with the results held ($('{0:N1}' -f ([double]$waited.gcHeapBytes / $MB)) MB).")
}
if (Want 'Session') { $null = $md.AppendLine("5. **Long session.** A fresh pwsh with stand-ins for Get-AzContext (account, tenant, AzureCloud) and Get-AzAccessToken (a 1-hour emulator token) imports the module and calls ``Backup-ApimService`` (key access; each call: pre-flight GET, POST, journal records, an inline wait on 0-s backups polled with Retry-After 0, the source recorded on the blob) round-robin over the $($sessionServices.Count) bench services: 200 uncounted warm-up calls (two rounds), then $SessionCalls counted ones with results discarded; errors (ServiceBusy when a round comes back to a service still busy) are counted and cleared. Live heap = the `"GC Heap bytes`" of a ``dotnet-gcdump`` (a dotnet local tool of this repo) of the child before and after the counted calls (a first, uncounted dump loads the tool's event machinery), divided by $SessionCalls; that is what PASS judges. ``[GC]::GetTotalMemory(`$false)`` after two full blocking compacting collections is reported beside it: it also counts space the runtime keeps but no object uses, and reads higher. Pipelines = ``ApimDr.Engine.EngineDiagnostics.CachedPipelines`` read by reflection from the ApimDr load context. PASS when growth <= 1024 bytes per call, the pipeline count is unchanged and Get-AzAccessToken was not called again (the token is cached until near expiry).")
}
if (Want 'Snapshot') { $null = $md.AppendLine($snapshotBench.Method) }
if (Want 'Catalog') { $null = $md.AppendLine($catalogBench.Method) }
if (Want 'Copy') { $null = $md.AppendLine($copyBench.Method) }
if (Want 'ReadFloor') { $null = $md.AppendLine($readFloorBench.Method) }
$resultsMd = Join-Path $OutputDirectory 'results.md'
Set-Content -Path $resultsMd -Value $md.ToString()
$raw = [ordered]@{ Time = $now; Machine = $machine; Rows = $rows; Targets = $run }
if (Want 'Import') { $raw['Import'] = @{ BareMs = $bare; ImportMs = $imported; BareMedianMs = $bareMedian; ImportMedianMs = $importMedian; Ratios = $ratios; Ratio = $importRatio; Pieces = $pieceResults; Offending = $offending } }
if (Want 'Wait') { $raw['Wait'] = @{ WaitSeconds = $waitSeconds; SlowestSeconds = $slowest; SumSeconds = $sum; LastEndAfterWaitStart = $lastEndAfterWaitStart; StartSeconds = [double]$started.startSeconds; Statuses = $waited.statuses } }
if (Want 'Wait') { $raw['Polls'] = @{ MinPollGapSeconds = $minPollGap; PollGaps = $pollGaps.Count; EarlyPollGaps = $earlyPolls; MinFirstGapSeconds = $minFirstGap; FirstGaps = $firstGaps.Count; EarlyFirstPolls = $earlyFirst; FirstGapList = $firstGaps; Polls = $pollTotal; PerOpAverage = $pollStats.Average; PerOpMin = $pollStats.Minimum; PerOpMax = $pollStats.Maximum; Throttled = $throttled } }
if (Want 'Session') { $raw['Session'] = @{ Calls = $SessionCalls; HeapBefore = $session.HeapBefore; HeapAfter = $session.HeapAfter; BytesPerCall = $perCall; DumpBefore = $session.DumpBefore; DumpAfter = $session.DumpAfter; LiveBytesPerCall = $perCallLive; Seconds = $session.Seconds; Failed = $session.Failed; PipelinesWarm = $session.PipelinesWarm; PipelinesAfter = $session.PipelinesAfter; TokenCalls = ($session.TokenCallsAfter - $session.TokenCallsWarm) } }
if (Want 'Snapshot') { $raw['Snapshot'] = $snapshotBench.Raw }
if (Want 'Copy') { $raw['Copy'] = $copyBench.Raw }
if (Want 'ReadFloor') { $raw['ReadFloor'] = $readFloorBench.Raw }
if (Want 'Wait') { $raw['Memory'] = @{ BaselineRss = $baselineRssBytes; PeakRss = $peakRss; PeakSampled = $peakSampled; PeakStarting = $peakStarting; PeakWaiting = $peakWaiting; AfterWaitRss = $records['waitedRss']; HwmReset = $hwmReset; Samples = $samples.Count; HeapBaseline = $baseline.gcHeapBytes; HeapPending = $started.gcHeapBytes; HeapAfter = $waited.gcHeapBytes } }
if (Want 'Catalog') { $raw['Catalog'] = $catalogBench.Raw }
$raw | ConvertTo-Json -Depth 6 | Set-Content -Path (Join-Path $OutputDirectory 'results.json')
Write-Host "  Written: $resultsMd"
exit 0
