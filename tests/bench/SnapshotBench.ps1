<#
.SYNOPSIS
Benchmark 6 (tests/Invoke-Benchmarks.ps1 runs it; method in docs/benchmarks.md): a configuration
snapshot (Get-ApimConfiguration) of a large generated service with injected latency per request.

  a. requests made (the emulator's request log) vs the minimum: every list page once + one request per
     detail the snapshot needs (computed from the generated configuration and the page size);
  b. wall time vs a one-request-at-a-time read of the SAME requests (the URLs of a., replayed in log
     order by a plain HttpClient loop) — target >= 6x faster;
  c. peak memory growth of the snapshot in a fresh pwsh — target <= 50 MB.

Uses the emulator's control surface (generate, settings, request log, reset): a benchmark harness, not
the drill. Puts the emulator back to its seed (Reset-Emulator) at the end. Returns an object with Rows
(target, measured, result), Method (Markdown lines) and Raw (numbers for results.json).
#>
param(
    [string] $ServiceName = 'standby-standard',
    [int] $Apis = 300,
    [int] $OperationsPerApi = 10,
    [int] $LatencyMilliseconds = 50,
    [double] $SpeedupTarget = 6,
    [double] $MemoryTargetMB = 50
)
$MB = 1000000   # MB = 10^6 bytes, as in the other benchmarks
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
$modulePath = (Get-TestEnvironment).ModulePath
$e = Get-EmulatorEnvironment

Reset-Emulator
try {
    $generated = Invoke-EmulatorControl -Method POST -Path "services/$ServiceName/generate" -Body @{ apis = $Apis; operationsPerApi = $OperationsPerApi }
    # A read bucket far larger than the requests made: this measures the reader, not ARM's quota.
    $settings = Set-EmulatorSetting @{ latencyMilliseconds = $LatencyMilliseconds; readBucketCapacity = 1000000; readRefillPerSecond = 100000 }
    $pageSize = [int]$settings.pageSize

    # a. The minimum, from the generated configuration: pages of every list, and the details.
    $cfg = Get-EmulatorServiceConfiguration $ServiceName
    function Get-Items([object] $Parent, [string] $Name) { $p = $Parent.PSObject.Properties[$Name]; if ($p -and $p.Value) { return , @($p.Value) }; return , @() }
    function Get-Pages([int] $Count) { [Math]::Max(1, [int][Math]::Ceiling($Count / $pageSize)) }
    $apiItems = Get-Items $cfg 'apis'
    $productItems = Get-Items $cfg 'products'
    $namedValues = Get-Items $cfg 'namedValues'
    $operationCount = 0; $operationPages = 0
    foreach ($api in $apiItems) { $n = (Get-Items $api 'operations').Count; $operationCount += $n; $operationPages += Get-Pages $n }
    $linkPages = 0
    foreach ($p in $productItems) { $linkPages += (Get-Pages (Get-Items $p 'apis').Count) + (Get-Pages (Get-Items $p 'groups').Count) }
    $flatKinds = 'policyFragments', 'backends', 'groups', 'users', 'subscriptions', 'certificates', 'apiVersionSets', 'loggers', 'tags'
    $flatPages = ($flatKinds | ForEach-Object { Get-Pages (Get-Items $cfg $_).Count } | Measure-Object -Sum).Sum
    $pages = (Get-Pages $apiItems.Count) + $operationPages + (Get-Pages $productItems.Count) + $linkPages + (Get-Pages $namedValues.Count) + $flatPages
    $secrets = @($namedValues | Where-Object { $_.secret -and -not ($_.PSObject.Properties['keyVault'] -and $_.keyVault) }).Count
    # The service GET, the global policy, one policy GET per api, operation and product (a 404 when it has none), one listValue per secret.
    $details = 1 + 1 + $apiItems.Count + $operationCount + $productItems.Count + $secrets
    $minimum = $pages + $details

    # b + c. The snapshot, in a fresh pwsh: wall time and memory.
    Clear-EmulatorRequestLog
    $child = Invoke-PwshChild -Parameters @{ Path = $modulePath; Arm = $e.ArmUrl; Token = $e.Token; Target = (Get-ApimServiceId $ServiceName); Warm = (Get-ApimServiceId prod) } -ScriptBlock {
        param($Path, $Arm, $Token, $Target, $Warm)
        Import-Module $Path
        $arm = @{ ResourceManagerUrl = $Arm; AccessToken = (ConvertTo-SecureString $Token -AsPlainText -Force) }
        # The peak of the managed heap between samples every 10 ms (a timer thread: the runspace is busy in the cmdlet).
        Add-Type -TypeDefinition @'
public static class ApimDrHeapSampler {
    private static long _peak; private static System.Threading.Timer _timer;
    public static void Start() { _peak = System.GC.GetTotalMemory(false); _timer = new System.Threading.Timer(_ => { long m = System.GC.GetTotalMemory(false); if (m > _peak) _peak = m; }, null, 0, 10); }
    public static long Stop() { _timer.Dispose(); long m = System.GC.GetTotalMemory(false); return m > _peak ? m : _peak; }
}
'@
        function Read-ProcStatus { $r = @{}; foreach ($l in [IO.File]::ReadAllLines('/proc/self/status')) { if ($l -match '^(VmRSS|VmHWM):\s+(\d+) kB') { $r[$Matches[1]] = [long]$Matches[2] * 1024 } }; $r }
        # Warm-up on the small seeded prod: engine loaded, JIT, pipeline, token, connections.
        $null = Get-ApimConfiguration -ResourceId $Warm @arm
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $heapBefore = [GC]::GetTotalMemory($true)
        $rssBefore = (Read-ProcStatus).VmRSS
        $hwmReset = $true
        try { [IO.File]::WriteAllText('/proc/self/clear_refs', '5') } catch { $hwmReset = $false }
        $allocatedBefore = [GC]::GetTotalAllocatedBytes($true)
        [ApimDrHeapSampler]::Start()
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $s = Get-ApimConfiguration -ResourceId $Target @arm
        $watch.Stop()
        $heapPeak = [ApimDrHeapSampler]::Stop()
        $status = Read-ProcStatus
        $allocated = [GC]::GetTotalAllocatedBytes($true) - $allocatedBefore
        $heapHeld = [GC]::GetTotalMemory($true)   # after a full collection, the snapshot still held
        [pscustomobject]@{
            Seconds = $watch.Elapsed.TotalSeconds; Entities = $s.EntityCount; Apis = $s.Of('apis').Count; Operations = $s.Of('apiOperations').Count
            OperationPolicies = $s.Of('operationPolicies').Count; RssBefore = $rssBefore; RssAfter = $status.VmRSS; Hwm = $status.VmHWM; HwmReset = $hwmReset
            HeapBefore = $heapBefore; HeapPeak = $heapPeak; HeapHeld = $heapHeld; Allocated = $allocated
        }
    }
    $log = @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' -and $_.url -match "/service/$([regex]::Escape($ServiceName))([/?]|$)" } | Sort-Object sequence)
    $throttled = @($log | Where-Object status -eq 429).Count
    $made = $log.Count

    # b. The baseline: the same requests (the answered ones, in log order), one at a time, by a plain HttpClient.
    $replay = @($log | Where-Object status -ne 429)
    $handler = [System.Net.Http.SocketsHttpHandler]::new()
    $handler.UseProxy = $false
    $handler.AllowAutoRedirect = $false
    $client = [System.Net.Http.HttpClient]::new($handler)
    $base = $e.ArmUrl.TrimEnd('/')
    $statusMismatch = 0
    $sequential = [Diagnostics.Stopwatch]::StartNew()
    foreach ($r in $replay) {
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($r.method), [Uri]($base + $r.rawUrl))
        $null = $request.Headers.TryAddWithoutValidation('Authorization', "Bearer $($e.Token)")
        $response = $client.Send($request)
        $null = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        if ([int]$response.StatusCode -ne [int]$r.status) { $statusMismatch++ }
        $response.Dispose()
    }
    $sequential.Stop()
    $client.Dispose()
} finally {
    Reset-Emulator
}

$seqSeconds = $sequential.Elapsed.TotalSeconds
$speedup = $seqSeconds / $child.Seconds
$rssGrowth = [double]$child.Hwm - [double]$child.RssBefore
$heapPeakGrowth = [double]$child.HeapPeak - [double]$child.HeapBefore
$requestsOk = $made -eq $minimum
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
$shape = "$($generated.apis) apis x $OperationsPerApi operations ($($generated.operations) operations, every one with a policy), page size $pageSize, $LatencyMilliseconds ms latency per request"
$rows = @(
    [pscustomobject]@{ Target = "Snapshot of a large service ($shape): requests made = the minimum (pages + details)"
        Measured = ('{0:N0} requests made ({1} answered 429) vs minimum {2:N0} ({3:N0} list pages + {4:N0} details); {5:N0} entities' -f $made, $throttled, $minimum, $pages, $details, $child.Entities)
        Result = Result $requestsOk }
    [pscustomobject]@{ Target = "Snapshot wall time >= ${SpeedupTarget}x faster than one request at a time"
        Measured = ('{0:N1} s vs {1:N1} s for the same {2:N0} requests sent one at a time: {3:N1}x' -f $child.Seconds, $seqSeconds, $replay.Count, $speedup)
        Result = Result ($speedup -ge $SpeedupTarget -and $statusMismatch -eq 0) }
    [pscustomobject]@{ Target = "Snapshot peak memory <= $MemoryTargetMB MB"
        Measured = ('+{0:N1} MB RSS at peak ({1:N1} -> {2:N1} MB, VmHWM); managed heap peak +{3:N1} MB (sampled every 10 ms), {4:N1} MB held after with the snapshot, {5:N0} MB allocated in all' -f ($rssGrowth / $MB), ([double]$child.RssBefore / $MB), ([double]$child.Hwm / $MB), ($heapPeakGrowth / $MB), (([double]$child.HeapHeld - [double]$child.HeapBefore) / $MB), ([double]$child.Allocated / $MB))
        Result = Result ($rssGrowth -le $MemoryTargetMB * $MB -and $child.HwmReset) }
)
$method = "6. **Configuration snapshot** ($shape). ``Reset-Emulator``; ``POST /_emulator/services/$ServiceName/generate`` {apis: $Apis, operationsPerApi: $OperationsPerApi}; settings latencyMilliseconds $LatencyMilliseconds, read bucket 1,000,000 refilled 100,000/s (no throttling). Minimum = list pages (each list's items / page size, rounded up, at least 1: apis, each api's operations, products, each product's apis and groups, named values and 9 flat kinds) + details (service GET, global policy, one policy GET per api, operation and product, one listValue per secret named value: $secrets). A fresh pwsh imports the module, warms up with ``Get-ApimConfiguration`` of the small seeded prod, then times ``Get-ApimConfiguration -ResourceId <$ServiceName>`` with a Stopwatch. Requests made = the emulator's request log entries for that service. Baseline: the same $($replay.Count) answered requests (method + raw URL from the log, in log order) sent one at a time by a plain HttpClient loop in the benchmark process, each body read to the end ($statusMismatch status mismatches). Memory (MB = 10^6 bytes): RSS before (after a full collection) vs VmHWM after the snapshot (peak RSS; reset at the start with /proc/self/clear_refs: $(if ($child.HwmReset) { 'done' } else { 'NOT possible' })); managed heap peak sampled by a 10 ms timer thread. The emulator is reset afterwards."
[pscustomobject]@{
    Rows = $rows; Method = $method
    Raw = [ordered]@{ Service = $ServiceName; Apis = $generated.apis; Operations = $generated.operations; PageSize = $pageSize; LatencyMilliseconds = $LatencyMilliseconds
        Made = $made; Throttled = $throttled; Minimum = $minimum; Pages = $pages; Details = $details; Entities = $child.Entities
        SnapshotSeconds = $child.Seconds; SequentialSeconds = $seqSeconds; SequentialRequests = $replay.Count; StatusMismatch = $statusMismatch; Speedup = $speedup
        RssBefore = $child.RssBefore; RssPeak = $child.Hwm; RssAfter = $child.RssAfter; HwmReset = $child.HwmReset; HeapBefore = $child.HeapBefore; HeapPeak = $child.HeapPeak; HeapHeld = $child.HeapHeld; Allocated = $child.Allocated }
}
