<#
.SYNOPSIS
Benchmark 7 (tests/Invoke-Benchmarks.ps1 runs it; method in docs/benchmarks.md): Get-ApimBackup over a container
of many backups (issue 20, item 3).

  a. storage requests made by the listing, counted by a loopback relay in front of Azurite
     (tests/StorageRequestCounter.cs) — target: the listing's pages, ceil(blobs / 5000), and nothing per backup;
  b. peak memory growth of that Get-ApimBackup in a fresh pwsh — target <= 30 MB.

The backups are written straight to Azurite: each a small backup blob and a manifest whose JSON and metadata come
from the engine's own BackupManifest.ToJson/ToMetadata (New-TestCatalogEntry). Returns Rows, Method, Raw.
#>
param(
    [int] $Backups = 5000,
    [double] $MemoryTargetMB = 30
)
$MB = 1000000   # MB = 10^6 bytes, as in the other benchmarks
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
$t = Get-TestEnvironment
$modulePath = $t.ModulePath
$direct = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }

# The fixture, written with the engine's serializer (this process imports the module for that only).
Import-Module $modulePath
$container = 'benchcatalog' + [DateTime]::UtcNow.ToString('HHmmss')
$warmContainer = $container + 'warm'
New-TestContainer -Name $container
New-TestContainer -Name $warmContainer
$null = Get-ApimBackup @direct -ContainerName $warmContainer   # loads the engine here
$fill = [Diagnostics.Stopwatch]::StartNew()
$start = [DateTime]::UtcNow.AddDays(-1)
for ($i = 1; $i -le $Backups; $i++) {
    $m = [ApimDr.ApimBackupManifest]::new()
    $m.BackupName = 'bench-{0:d5}.apimbackup' -f $i
    $m.SourceServiceId = Get-ApimServiceId ('bench-{0:d3}' -f (1 + $i % 100))
    $m.SourceServiceName = 'bench-{0:d3}' -f (1 + $i % 100)
    $m.SourceSku = 'Developer'
    $m.SourceCapacity = 1
    $m.Location = 'West Europe'
    $m.PollUrl = [Uri]"https://management.azure.com$($m.SourceServiceId)/operationresults/$([guid]::NewGuid())?api-version=2024-05-01"
    $m.StartTime = $start.AddSeconds($i)
    $m.Status = 'Succeeded'
    $m.EndTime = $m.StartTime.AddMinutes(3)
    $m.CorrelationId = [guid]::NewGuid().ToString()
    $m.ContentMd5 = 'q1Lq7m0i8bGmA9Vq1xM1Ug=='
    New-TestCatalogEntry -Container $container -Manifest $m -SizeBytes 16
}
$fill.Stop()
$blobs = 2 * $Backups
$pages = [Math]::Ceiling($blobs / 5000)

$counter = Start-StorageRequestCounter
try {
    $child = Invoke-PwshChild -Parameters @{ Path = $modulePath; Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $counter.BlobEndpoint; Container = $container; Warm = $warmContainer } -ScriptBlock {
        param($Path, $Account, $Key, $Blob, $Container, $Warm)
        Import-Module $Path
        $key = ConvertTo-SecureString $Key -AsPlainText -Force
        $null = Get-ApimBackup -StorageAccountName $Account -StorageAccountKey $key -BlobEndpoint $Blob -ContainerName $Warm   # engine, JIT, connection
        function Read-Status { $r = @{}; foreach ($l in [IO.File]::ReadAllLines('/proc/self/status')) { if ($l -match '^(VmRSS|VmHWM):\s+(\d+) kB') { $r[$Matches[1]] = [long]$Matches[2] * 1024 } }; $r }
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $heapBefore = [GC]::GetTotalMemory($true)
        $rssBefore = (Read-Status).VmRSS
        [IO.File]::WriteAllText('/proc/self/clear_refs', '5')
        $allocatedBefore = [GC]::GetTotalAllocatedBytes($true)
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $listed = @(Get-ApimBackup -StorageAccountName $Account -StorageAccountKey $key -BlobEndpoint $Blob -ContainerName $Container -ErrorAction Stop)
        $watch.Stop()
        $after = Read-Status
        $allocated = [GC]::GetTotalAllocatedBytes($true) - $allocatedBefore
        $heapHeld = [GC]::GetTotalMemory($true) - $heapBefore
        [pscustomobject]@{ Count = $listed.Count; WithManifest = @($listed | Where-Object HasManifest).Count; Seconds = $watch.Elapsed.TotalSeconds
            RssBefore = $rssBefore; Hwm = $after.VmHWM; RssAfter = $after.VmRSS; HeapHeld = $heapHeld; Allocated = $allocated }
    }
    $requests = @($counter.Requests | Where-Object { $_ -match "^\w+ /[^/]+/$container(\?|/|$)" })
} finally {
    $counter.Dispose()
}
$lists = @($requests | Where-Object { $_ -match 'comp=list' }).Count
$others = $requests.Count - $lists
$growth = [double]$child.Hwm - [double]$child.RssBefore
$requestsOk = $child.Count -eq $Backups -and $child.WithManifest -eq $Backups -and $lists -le $pages -and $others -eq 0
$memoryOk = $growth -le $MemoryTargetMB * $MB
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }

$rows = @(
    [pscustomobject]@{ Target = "Get-ApimBackup over $Backups backups: storage requests = the listing's pages, none per backup"
        Measured = ('{0} requests ({1} list pages, {2} others) for {3} backups listed ({4} with their manifest; {5} blobs, ceil({5}/5000) = {6}); {7:N1} s' -f $requests.Count, $lists, $others, $child.Count, $child.WithManifest, $blobs, $pages, [double]$child.Seconds)
        Result = Result $requestsOk }
    [pscustomobject]@{ Target = "Get-ApimBackup over $Backups backups grows the process by <= $MemoryTargetMB MB"
        Measured = ('+{0:N1} MB RSS at peak ({1:N1} -> {2:N1} MB, VmHWM); managed heap held after with the {3} objects +{4:N1} MB; {5:N0} MB allocated' -f ($growth / $MB), ([double]$child.RssBefore / $MB), ([double]$child.Hwm / $MB), $child.Count, ([double]$child.HeapHeld / $MB), ([double]$child.Allocated / $MB))
        Result = Result $memoryOk }
)
$method = "7. **Catalog.** $Backups backups written straight to Azurite in $('{0:N0}' -f $fill.Elapsed.TotalSeconds) s (a 16-byte backup blob and a manifest whose JSON and metadata come from the engine's BackupManifest.ToJson/ToMetadata, i.e. what this version writes). A fresh pwsh imports the module, warms up with Get-ApimBackup of an empty container, then runs ``Get-ApimBackup`` over the $Backups through a loopback relay in front of Azurite that counts requests (tests/StorageRequestCounter.cs); only requests to that container are counted. Memory (MB = 10^6 bytes): /proc/self/status VmRSS after a full collection before the call, VmHWM after it (the peak mark reset with /proc/self/clear_refs); PASS when VmHWM - RSS before <= $MemoryTargetMB MB."
[pscustomobject]@{
    Rows = $rows; Method = $method
    Raw = [ordered]@{ Backups = $Backups; Blobs = $blobs; Pages = $pages; Requests = $requests.Count; ListRequests = $lists; OtherRequests = $others; Listed = $child.Count; WithManifest = $child.WithManifest
        Seconds = $child.Seconds; RssBefore = $child.RssBefore; Hwm = $child.Hwm; RssAfter = $child.RssAfter; HeapHeld = $child.HeapHeld; Allocated = $child.Allocated; FillSeconds = $fill.Elapsed.TotalSeconds }
}
