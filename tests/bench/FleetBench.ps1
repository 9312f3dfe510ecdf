<#
.SYNOPSIS
Benchmark 10 (tests/Invoke-Benchmarks.ps1 -Targets Fleet; method in docs/benchmarks.md): a fleet starts at
once (issue 20, item 1). Services created in the emulator by ARM PUT (nearly empty configurations), each start
with its default configuration snapshot.
  a. The time until the LAST of -StartCount services is started by one Backup-ApimService -NoWait call
     <= 1.3x the slowest single start (one service, one call, same settings), at -LatencyMilliseconds per ARM
     request, ARM's read bucket enforced with room for every read (-ReadBucket), 429s counted.
  b. At -FleetCount services: a one-at-a-time baseline like Microsoft's Python SDK (start one, wait for it,
     then the next: sequential Backup-ApimService -SkipSnapshot calls, each waiting) vs ApimDr (ONE
     Backup-ApimService call, default snapshots, one wait). Ratio >= 0.9 * N*T/(T+RA), T = the emulator's
     backupDurationSeconds, RA = its retryAfterSeconds.
Resets the emulator before and after.
#>
param(
    [int] $StartCount = 30,
    [int] $SingleRuns = 3,
    [int] $LatencyMilliseconds = 100,
    [int] $ReadBucket = 100000,
    [double] $StartTolerance = 1.3,
    [int] $FleetCount = 60,
    [double] $DurationSeconds = 2,
    [int] $RetryAfterSeconds = 1,
    [double] $FloorShare = 0.9
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
$t = Get-TestEnvironment
$e = Get-EmulatorEnvironment
$container = 'bench-fleet'
$count = [Math]::Max($FleetCount, 2 * $StartCount + $SingleRuns) + 1   # the last one warms each child up
$names = @(1..$count | ForEach-Object { 'fleet-{0:d3}' -f $_ })
$ids = @($names | ForEach-Object { Get-ApimServiceId $_ })
$child = @{ Path = $t.ModulePath; Arm = $e.ArmUrl; Token = $e.Token; Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint; Container = $container; Warm = $ids[-1] }
# Each child: import, one warm-up start (engine, Azure.Core, TLS, JIT, not counted), then what it times.
$prelude = @'
param($Path, $Arm, $Token, $Account, $Key, $Blob, $Container, $Warm, $Ids, $Count)
Import-Module $Path
$storage = @{ StorageAccountName = $Account; ContainerName = $Container; StorageAccountKey = (ConvertTo-SecureString $Key -AsPlainText -Force); BlobEndpoint = $Blob }
$arm = @{ ResourceManagerUrl = $Arm; AccessToken = (ConvertTo-SecureString $Token -AsPlainText -Force) }
$null = Backup-ApimService -ResourceId $Warm @storage @arm -NoWait
'@
function Invoke-FleetChild([scriptblock] $Timed, [hashtable] $Parameters) {
    return Invoke-PwshChild -ScriptBlock ([scriptblock]::Create($prelude + $Timed.ToString())) -Parameters ($child + $Parameters)
}
function Wait-FleetIdle {
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    do {
        $busy = @((Invoke-EmulatorControl -Path 'services').services | Where-Object { $_.name -like 'fleet-*' -and ($_.activeOperationId -or $_.provisioningState -ne 'Succeeded') })
        if ($busy.Count -eq 0) { return }
        Start-Sleep -Milliseconds 100
    } while ([DateTime]::UtcNow -lt $deadline)
    throw "$($busy.Count) fleet services are still busy."
}

Reset-Emulator
try {
    $null = Set-EmulatorSetting @{ putDurationSeconds = 0; throttlingEnabled = $false }
    foreach ($name in $names) {
        $r = Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name $name)?api-version=2024-05-01" -Body @{
            location = 'West Europe'; sku = @{ name = 'Developer'; capacity = 1 }; properties = @{ publisherEmail = 'bench@contoso.example'; publisherName = 'Bench' } }
        if ($r.Status -ne 201) { throw "PUT $name answered $($r.Status): $($r.Body)" }
    }
    Wait-FleetIdle
    New-TestContainer -Name $container

    # a. Single starts vs the fleet's start, at ARM-like latency, the read bucket enforced (large enough for every read).
    $null = Set-EmulatorSetting @{ backupDurationSeconds = $DurationSeconds; retryAfterSeconds = $RetryAfterSeconds; latencyMilliseconds = $LatencyMilliseconds; throttlingEnabled = $true; readBucketCapacity = $ReadBucket; readRefillPerSecond = 25 }
    Clear-EmulatorRequestLog
    # In one child: a first fleet start (its connections are new: reported, not judged), the single starts, then the
    # judged fleet start, both now on the connections a fleet keeps open, as the singles are on the warm-up's.
    $a = Invoke-FleetChild -Parameters @{ Ids = $ids[0..(2 * $StartCount + $SingleRuns - 1)]; Count = $StartCount } -Timed {
        function Start-Fleet([string[]] $FleetIds) {
            $w = [Diagnostics.Stopwatch]::StartNew()
            $ops = @($FleetIds | ForEach-Object { [pscustomobject]@{ ResourceId = $_ } } | Backup-ApimService @storage @arm -NoWait)
            $w.Stop()
            [pscustomobject]@{ Seconds = $w.Elapsed.TotalSeconds; Started = $ops.Count; InOrder = (($ops.ResourceId -join '|') -eq ($FleetIds -join '|')) }
        }
        $first = Start-Fleet @($Ids | Select-Object -Skip $Count -First $Count)
        $singles = @(foreach ($id in @($Ids | Select-Object -Skip (2 * $Count))) {
            $w = [Diagnostics.Stopwatch]::StartNew(); $null = Backup-ApimService -ResourceId $id @storage @arm -NoWait; $w.Stop(); $w.Elapsed.TotalSeconds })
        $fleet = Start-Fleet @($Ids | Select-Object -First $Count)
        [pscustomobject]@{ Singles = $singles; FirstSeconds = $first.Seconds; FirstStarted = $first.Started; FleetSeconds = $fleet.Seconds; Started = $fleet.Started; InOrder = $fleet.InOrder -and $first.InOrder }
    }
    $logA = @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' -and $_.url -match '/service/fleet-' })
    $throttledA = @($logA | Where-Object status -eq 429).Count
    $readsA = @($logA | Where-Object { $_.method -eq 'GET' }).Count
    Wait-FleetIdle

    # b. One at a time (start, wait, next) vs one call, at no added latency.
    $null = Set-EmulatorSetting @{ latencyMilliseconds = 0; throttlingEnabled = $false }
    $baseline = Invoke-FleetChild -Parameters @{ Ids = $ids[0..($FleetCount - 1)] } -Timed {
        $w = [Diagnostics.Stopwatch]::StartNew()
        # A bounded wait each: an operation the emulator never ends (e.g. its storage write stalled) is counted, not waited on forever.
        $ends = @(foreach ($id in $Ids) { try { (Backup-ApimService -ResourceId $id @storage @arm -SkipSnapshot -TimeoutSeconds 60 -ErrorAction Stop).Status } catch { 'NotSucceeded' } })
        $w.Stop()
        [pscustomobject]@{ Seconds = $w.Elapsed.TotalSeconds; Succeeded = @($ends | Where-Object { $_ -eq 'Succeeded' }).Count }
    }
    Wait-FleetIdle
    $apimDr = Invoke-FleetChild -Parameters @{ Ids = $ids[0..($FleetCount - 1)] } -Timed {
        $w = [Diagnostics.Stopwatch]::StartNew()
        $ends = @($Ids | ForEach-Object { [pscustomobject]@{ ResourceId = $_ } } | Backup-ApimService @storage @arm -TimeoutSeconds 120 -ErrorAction SilentlyContinue)
        $w.Stop()
        [pscustomobject]@{ Seconds = $w.Elapsed.TotalSeconds; Succeeded = @($ends | Where-Object { $_.Status -eq 'Succeeded' }).Count }
    }
} finally {
    Reset-Emulator
}
$slowest = ($a.Singles | Measure-Object -Maximum).Maximum
$startRatio = $a.FleetSeconds / $slowest
$firstRatio = $a.FirstSeconds / $slowest
$floor = $FleetCount * $DurationSeconds / ($DurationSeconds + $RetryAfterSeconds)
$fleetRatio = $baseline.Seconds / $apimDr.Seconds
Write-Host ('   first fleet start of the process (new connections, not judged): {0} in {1:N2} s ({2:N2}x the slowest single start)' -f $a.FirstStarted, $a.FirstSeconds, $firstRatio)
Write-Host ('   single starts {0} s; {1} started in one call in {2:N2} s ({3:N2}x the slowest); {4} reads in all, {5} answered 429; output in input order: {6}' -f (($a.Singles | ForEach-Object { '{0:N2}' -f $_ }) -join ', '), $a.Started, $a.FleetSeconds, $startRatio, $readsA, $throttledA, $a.InOrder)
Write-Host ('   {0} services: one at a time {1:N1} s ({2} Succeeded), ApimDr {3:N1} s ({4} Succeeded): {5:N1}x; floor N*T/(T+RA) = {6:N1}, target >= {7:N1}' -f $FleetCount, $baseline.Seconds, $baseline.Succeeded, $apimDr.Seconds, $apimDr.Succeeded, $fleetRatio, $floor, ($FloorShare * $floor))
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
$startOk = $startRatio -le $StartTolerance -and $a.Started -eq $StartCount -and $a.FirstStarted -eq $StartCount -and $a.InOrder -and $throttledA -eq 0
$fleetOk = $fleetRatio -ge $FloorShare * $floor -and $baseline.Succeeded -eq $FleetCount -and $apimDr.Succeeded -eq $FleetCount
$rows = @(
    [pscustomobject]@{ Target = "A fleet starts at once: $StartCount services with snapshots started by one call <= $($StartTolerance)x the slowest single start ($LatencyMilliseconds ms per ARM request)"
        Measured = ('{0:N2} s vs slowest single {1:N2} s ({2:N2}x); {3} started, output in input order: {4}; {5} ARM reads in all, {6} answered 429; the process''s first fleet start (new connections, not judged) {7:N2} s ({8:N2}x)' -f $a.FleetSeconds, $slowest, $startRatio, $a.Started, $a.InOrder, $readsA, $throttledA, $a.FirstSeconds, $firstRatio)
        Result = Result $startOk }
    [pscustomobject]@{ Target = "Fleet of $FleetCount`: one at a time (like the Python SDK) / ApimDr >= $FloorShare * N*T/(T+RA) (T $DurationSeconds s, RA $RetryAfterSeconds s)"
        Measured = ('{0:N1}x ({1:N1} s vs {2:N1} s); floor {3:N1}, target {4:N1}' -f $fleetRatio, $baseline.Seconds, $apimDr.Seconds, $floor, ($FloorShare * $floor))
        Result = Result $fleetOk }
)
$method = "11. **A fleet starts at once.** ``Reset-Emulator``; $count services created by ARM PUT (Developer, nearly empty configurations); backupDurationSeconds T = $DurationSeconds, retryAfterSeconds RA = $RetryAfterSeconds. Each measurement runs in a fresh pwsh that first starts one warm-up backup (not counted). (a) latencyMilliseconds $LatencyMilliseconds, the read bucket enforced with capacity $ReadBucket (room for every read: 429s counted, PASS needs none). In one child: first $StartCount services piped into ONE ``Backup-ApimService -NoWait`` call, timed (the process's first fleet start: most of its connections are new TLS connections; reported, not judged); then $SingleRuns single starts (``Backup-ApimService -ResourceId <one> -NoWait``, default snapshot), each timed with a Stopwatch, the slowest kept; then $StartCount other services piped into ONE ``Backup-ApimService -NoWait`` call, timed until it returns (= the last one started): like the single starts, it runs on connections the process already holds. PASS when that is <= $StartTolerance x the slowest single start, all started and emitted in input order. (b) latency 0, throttling off: the baseline is what Microsoft's Python SDK does one service at a time (begin_backup, then .result(), then the next): $FleetCount sequential ``Backup-ApimService -SkipSnapshot`` calls, each waiting for its backup; ApimDr is ONE ``Backup-ApimService`` call over the $FleetCount (default snapshots) with its one wait. Ratio = baseline seconds / ApimDr seconds; PASS when >= $FloorShare x N*T/(T+RA) (one-at-a-time takes at least N*T, one wait at least about T + RA) and every backup Succeeded."
[pscustomobject]@{
    Rows = $rows; Method = $method
    Raw = [ordered]@{ StartCount = $StartCount; LatencyMilliseconds = $LatencyMilliseconds; SingleSeconds = $a.Singles; SlowestSingleSeconds = $slowest; FleetStartSeconds = $a.FleetSeconds; StartRatio = $startRatio; FirstFleetStartSeconds = $a.FirstSeconds; FirstStartRatio = $firstRatio; Reads = $readsA; Throttled = $throttledA; InOrder = $a.InOrder
        FleetCount = $FleetCount; DurationSeconds = $DurationSeconds; RetryAfterSeconds = $RetryAfterSeconds; BaselineSeconds = $baseline.Seconds; ApimDrSeconds = $apimDr.Seconds; FleetRatio = $fleetRatio; Floor = $floor }
}
