<#
.SYNOPSIS
Benchmarks 2-4 and 10 (tests/Invoke-Benchmarks.ps1 runs it; method in docs/benchmarks.md): OperationCount backups
started with -NoWait by a child pwsh, then ONE Wait-ApimOperation over all of them, sampled from outside:
  the wait costs about the slowest operation (within Retry-After + 1 s), no poll comes before Retry-After, no
  operation starves (polls <= ceil(T/RA) + its 429s + 2, with -ThrottlePolls under the read bucket), and the
  pending operations hold <= WaitMemoryTargetMB of process memory.
Target "Wait" runs it over 100 operations (throttling off, 50 MB); target "Wait1000" over 1,000 with throttled polls
(100 MB: issue 20, item 4). It runs in the scope of tests/Invoke-Benchmarks.ps1 and uses its $pwsh, $e, $t, $MB,
Get-Median and Read-ProcMemory. Returns Rows, Method and Raw.
#>
param(
    [Parameter(Mandatory)][string] $OutputDirectory,
    [int] $OperationCount = 100,
    [string] $DurationsCsv = '3,4,5,6,7',
    [int] $RetryAfterSeconds = 1,
    [switch] $ThrottlePolls,
    [int] $PollBucket = 200,
    [int] $PollRefillPerSecond = 600,
    [double] $WaitMemoryTargetMB = 50
)
$ErrorActionPreference = 'Stop'

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

$container = "bench$OperationCount"   # one container per run of this script (Wait and Wait1000 in one Bench run)
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
foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'WaitChild.ps1'),
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

function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
$rows = @(
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
)
$md = [System.Text.StringBuilder]::new()
$null = $md.AppendLine("**Wait.** $OperationCount services created in the emulator by ARM PUT (Azure-AsyncOperation style, putDurationSeconds 0). A child pwsh started $OperationCount backups with ``Backup-ApimService -NoWait`` in $($durations.Count) piped batches of $([Math]::Ceiling($OperationCount / $durations.Count)), setting the emulator's backupDurationSeconds to $($durations -join ', ') s before each batch (the emulator has no per-operation duration; a setting applies to operations started after it). Starting took $('{0:N1}' -f [double]$started.startSeconds) s. Then ONE ``Wait-ApimOperation`` over all $OperationCount was timed with a Stopwatch. Retry-After $RetryAfterSeconds s; ARM throttling switched off in the emulator. PASS when the wait ends within Retry-After + 1 s of the later of (slowest duration, last server-side end after the wait began).")
$null = $md.AppendLine("**Polls.** From the emulator's request log of this run: per operation, the interval between its POST …/backup (whose 202 carries Retry-After) and its first poll of …/operationresults, and between consecutive polls, by the time the emulator logged each request (after handling it, before answering); an interval is early when shorter than Retry-After minus 5 ms (timer granularity). PASS when none is early.")
$null = $md.AppendLine("**Memory** (MB = 10^6 bytes). The wait child sampled from this process every 50 ms (/proc/<pid>/status VmRSS). Baseline: median of 10 samples after the module was imported and the engine warmed (one Get-ApimBackup, one backup of prod waited inline). Peak: max of VmRSS samples and VmHWM (reset with /proc/<pid>/clear_refs at the baseline: $(if ($hwmReset) { 'done' } else { 'not possible, samples only' })) while starting and waiting ($($waitSamples.Count) samples; sampled peak $('{0:N1}' -f ($peakStarting / $MB)) MB while starting, $('{0:N1}' -f ($peakWaiting / $MB)) MB while waiting; RSS $('{0:N1}' -f ([double]$records['waitedRss'] / $MB)) MB right after the wait). Managed heap: ``[GC]::GetTotalMemory(`$true)`` in the child at baseline ($('{0:N1}' -f ([double]$baseline.gcHeapBytes / $MB)) MB), with the $OperationCount -NoWait operations in a list ($('{0:N1}' -f ([double]$started.gcHeapBytes / $MB)) MB) and after the wait with the results held ($('{0:N1}' -f ([double]$waited.gcHeapBytes / $MB)) MB).")
[pscustomobject]@{
    Rows   = $rows
    Method = $md.ToString()
    Raw    = @{ Wait = @{ WaitSeconds = $waitSeconds; SlowestSeconds = $slowest; SumSeconds = $sum; LastEndAfterWaitStart = $lastEndAfterWaitStart; StartSeconds = [double]$started.startSeconds; Statuses = $waited.statuses }; Polls = @{ MinPollGapSeconds = $minPollGap; PollGaps = $pollGaps.Count; EarlyPollGaps = $earlyPolls; MinFirstGapSeconds = $minFirstGap; FirstGaps = $firstGaps.Count; EarlyFirstPolls = $earlyFirst; FirstGapList = $firstGaps; Polls = $pollTotal; PerOpAverage = $pollStats.Average; PerOpMin = $pollStats.Minimum; PerOpMax = $pollStats.Maximum; Throttled = $throttled }; Memory = @{ BaselineRss = $baselineRssBytes; PeakRss = $peakRss; PeakSampled = $peakSampled; PeakStarting = $peakStarting; PeakWaiting = $peakWaiting; AfterWaitRss = $records['waitedRss']; HwmReset = $hwmReset; Samples = $samples.Count; HeapBaseline = $baseline.gcHeapBytes; HeapPending = $started.gcHeapBytes; HeapAfter = $waited.gcHeapBytes } }
}
