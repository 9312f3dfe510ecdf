<#
.SYNOPSIS
Benchmark 9 (tests/Invoke-Benchmarks.ps1 -Targets ReadFloor; method in docs/benchmarks.md): a configuration
snapshot of target 6's generated service with the emulator ENFORCING its read token bucket (ARM's published
read bucket by default: 250, refilled 25/s — Microsoft Learn, "Understand how Azure Resource Manager throttles
requests"). Targets (issue 20, item 5):
  a. wall time within +15 % of the bucket's floor: max(0, reads - burst) / refill;
  b. no more 429s than the bucket forces: at most ConfigurationReader.MaxInFlight (8), the reads in flight when
     the reader first finds the bucket empty (it learns the refill from x-ms-ratelimit-remaining-subscription-reads);
  c. -Verbose shows x-ms-ratelimit-remaining-subscription-reads as the emulator sends it.
Resets the emulator before and after.
#>
param(
    [string] $ServiceName = 'standby-standard',
    [int] $Apis = 300,
    [int] $OperationsPerApi = 10,
    [int] $LatencyMilliseconds = 50,
    [int] $BucketCapacity = 250,
    [int] $RefillPerSecond = 25,
    [double] $FloorTolerance = 0.15,
    [int] $MaxThrottled = 8
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
$modulePath = (Get-TestEnvironment).ModulePath
$e = Get-EmulatorEnvironment

Reset-Emulator
try {
    $generated = Invoke-EmulatorControl -Method POST -Path "services/$ServiceName/generate" -Body @{ apis = $Apis; operationsPerApi = $OperationsPerApi }
    $null = Set-EmulatorSetting @{ latencyMilliseconds = $LatencyMilliseconds; throttlingEnabled = $true; readBucketCapacity = $BucketCapacity; readRefillPerSecond = $RefillPerSecond }
    Clear-EmulatorRequestLog
    $child = Invoke-PwshChild -Parameters @{ Path = $modulePath; Arm = $e.ArmUrl; Token = $e.Token; Target = (Get-ApimServiceId $ServiceName); Warm = (Get-ApimServiceId prod); Full = [Math]::Ceiling($BucketCapacity / $RefillPerSecond) + 1 } -ScriptBlock {
        param($Path, $Arm, $Token, $Target, $Warm, $Full)
        Import-Module $Path
        $arm = @{ ResourceManagerUrl = $Arm; AccessToken = (ConvertTo-SecureString $Token -AsPlainText -Force) }
        $null = Get-ApimConfiguration -ResourceId $Warm @arm
        # The warm-up took reads from the same bucket: let it refill to the brim (the budget's reading goes stale too).
        Start-Sleep -Seconds $Full
        $startedAt = [DateTimeOffset]::UtcNow
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $all = @(Get-ApimConfiguration -ResourceId $Target @arm -Verbose 4>&1)
        $watch.Stop()
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $s = @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })[-1]
        $withHeader = @($verbose | Where-Object { $_ -match 'x-ms-ratelimit-remaining-subscription-reads: \d+' })
        $budget = @($verbose | Where-Object { $_ -like 'Read budget:*' })
        [pscustomobject]@{
            Seconds = $watch.Elapsed.TotalSeconds; StartedAt = $startedAt.ToString('o'); Entities = $s.EntityCount; Operations = $s.Of('apiOperations').Count
            VerboseLines = $verbose.Count; WithHeader = $withHeader.Count; Budget = @($budget | Select-Object -First 12); Samples = @($withHeader | Select-Object -First 2) + @($withHeader | Select-Object -Last 1)
        }
    }
    $log = @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' -and $_.url -match "/service/$([regex]::Escape($ServiceName))([/?]|$)" } | Sort-Object sequence)
} finally {
    Reset-Emulator
}
$throttled = @($log | Where-Object status -eq 429).Count
$reads = @($log | Where-Object { $_.method -eq 'GET' -and $_.status -ne 429 }).Count
$writes = @($log | Where-Object { $_.method -ne 'GET' }).Count
$floor = [Math]::Max(0, $reads - $BucketCapacity) / $RefillPerSecond
# When the 429s came: seconds after the snapshot began (the emulator's log time).
$t0 = [DateTimeOffset]$child.StartedAt
$throttledAt = @($log | Where-Object status -eq 429 | ForEach-Object { [Math]::Round(([DateTimeOffset]$_.time - $t0).TotalSeconds, 2) })
foreach ($b in $child.Budget) { Write-Host "   $b" }
if ($throttledAt.Count) { Write-Host ('   429s at (s after start): {0}' -f (($throttledAt | Select-Object -First 40) -join ', ')) }
$ratio = if ($floor -gt 0) { $child.Seconds / $floor } else { [double]::NaN }
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
$timeOk = $floor -gt 0 -and $child.Seconds -le $floor * (1 + $FloorTolerance)
$throttleOk = $throttled -le $MaxThrottled
$headerOk = $child.WithHeader -gt 0
$shape = "$($generated.apis) apis x $OperationsPerApi operations, $LatencyMilliseconds ms latency, read bucket $BucketCapacity refilled $RefillPerSecond/s"
Write-Host ('   reads {0:N0} (+{1} POSTs, not in the read bucket), floor {2:N1} s, measured {3:N1} s ({4:N3}x floor), 429s {5}' -f $reads, $writes, $floor, $child.Seconds, $ratio, $throttled)
Write-Host ('   -Verbose: {0:N0} lines, {1:N0} with the remaining-reads header; e.g. {2}' -f $child.VerboseLines, $child.WithHeader, ($child.Samples -join ' | '))
$rows = @(
    [pscustomobject]@{ Target = "Snapshot at the read floor ($shape): wall time <= floor + $([int]($FloorTolerance * 100)) %"
        Measured = ('{0:N1} s vs floor {1:N1} s = max(0, {2:N0} reads - {3}) / {4}/s ({5:N3}x)' -f $child.Seconds, $floor, $reads, $BucketCapacity, $RefillPerSecond, $ratio)
        Result = Result $timeOk }
    [pscustomobject]@{ Target = "Snapshot at the read floor: 429s <= $MaxThrottled (the reads in flight when the bucket first runs dry)"
        Measured = ('{0} answered 429 of {1:N0} requests' -f $throttled, $log.Count)
        Result = Result $throttleOk }
    [pscustomobject]@{ Target = '-Verbose shows x-ms-ratelimit-remaining-subscription-reads'
        Measured = ('{0:N0} of {1:N0} Verbose lines carry it; first/last: {2}' -f $child.WithHeader, $child.VerboseLines, ($child.Samples -join ' | '))
        Result = Result $headerOk }
)
$method = "9. **Snapshot at ARM's read floor** ($shape). ``Reset-Emulator``; generate as target 6; settings throttlingEnabled true, readBucketCapacity $BucketCapacity, readRefillPerSecond $RefillPerSecond (ARM's published read bucket is 250 / 25 per second: Microsoft Learn, Understand how Azure Resource Manager throttles requests). A fresh pwsh warms up on prod, sleeps $([Math]::Ceiling($BucketCapacity / $RefillPerSecond) + 1) s so the bucket is full again, then times ``Get-ApimConfiguration -Verbose`` with a Stopwatch. Reads = the emulator log's GETs for the service not answered 429 (listValue POSTs count as writes and are left out). Floor = max(0, reads - bucket) / refill. 429s from the same log."
[pscustomobject]@{
    Rows = $rows; Method = $method
    Raw = [ordered]@{ Apis = $generated.apis; Operations = $generated.operations; LatencyMilliseconds = $LatencyMilliseconds; Bucket = $BucketCapacity; Refill = $RefillPerSecond
        Reads = $reads; Writes = $writes; Throttled = $throttled; FloorSeconds = $floor; Seconds = $child.Seconds; Ratio = $ratio; Entities = $child.Entities; VerboseLines = $child.VerboseLines; WithHeader = $child.WithHeader; Samples = $child.Samples; ThrottledAt = $throttledAt }
}
