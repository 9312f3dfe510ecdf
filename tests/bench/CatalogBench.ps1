<#
.SYNOPSIS
Benchmark 7 (tests/Invoke-Benchmarks.ps1 runs it; method in docs/benchmarks.md): Get-ApimBackup over a container
of many backups (issue 20, item 3).

  a. storage requests made by the listing, counted by a loopback relay in front of Azurite
     (tests/StorageRequestCounter.cs) — target: the listing's pages, ceil(blobs / 5000), and nothing per backup;
  b. peak memory growth of that Get-ApimBackup in a fresh pwsh after a warm-up call — target <= 30 MB; the once-per-process
     cost (a first call over 1 backup, and over all of them, without warm-up) measured apart;
  c. Remove-ApimBackup retention over the same container (-KeepLast, -WhatIf): the listing's pages only, growth <= 30 MB.

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

# Each measurement in a fresh pwsh: import, an optional warm-up Get-ApimBackup (engine load, JIT, connection), then the
# measured call between a full collection and the peak mark (VmHWM, reset with /proc/self/clear_refs).
$measure = {
    param($Path, $Account, $Key, $Blob, $Container, $Warm, $Command)
    Import-Module $Path
    $key = ConvertTo-SecureString $Key -AsPlainText -Force
    $at = @{ StorageAccountName = $Account; StorageAccountKey = $key; BlobEndpoint = $Blob }
    if ($Warm) { $null = Get-ApimBackup @at -ContainerName $Warm }
    function Read-Status { $r = @{}; foreach ($l in [IO.File]::ReadAllLines('/proc/self/status')) { if ($l -match '^(VmRSS|VmHWM):\s+(\d+) kB') { $r[$Matches[1]] = [long]$Matches[2] * 1024 } }; $r }
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    $heapBefore = [GC]::GetTotalMemory($true)
    $rssBefore = (Read-Status).VmRSS
    [IO.File]::WriteAllText('/proc/self/clear_refs', '5')
    $allocatedBefore = [GC]::GetTotalAllocatedBytes($true)
    $watch = [Diagnostics.Stopwatch]::StartNew()
    # Retention: -KeepLast over all of them with -WhatIf decides over every backup and sends nothing but the listing.
    $listed = if ($Command -eq 'Remove') { @(Remove-ApimBackup @at -ContainerName $Container -KeepLast 4990 -WhatIf -ErrorAction Stop) }
        else { @(Get-ApimBackup @at -ContainerName $Container -ErrorAction Stop) }
    $watch.Stop()
    $after = Read-Status
    $allocated = [GC]::GetTotalAllocatedBytes($true) - $allocatedBefore
    $heapHeld = [GC]::GetTotalMemory($true) - $heapBefore
    [pscustomobject]@{ Count = $listed.Count; WithManifest = @($listed | Where-Object { $_.PSObject.Properties['HasManifest'] -and $_.HasManifest }).Count; Seconds = $watch.Elapsed.TotalSeconds
        RssBefore = $rssBefore; Hwm = $after.VmHWM; RssAfter = $after.VmRSS; HeapHeld = $heapHeld; Allocated = $allocated }
}
$oneContainer = $container + 'one'
New-TestContainer -Name $oneContainer
$m = [ApimDr.ApimBackupManifest]::new()
$m.BackupName = 'bench-one.apimbackup'; $m.SourceServiceId = Get-ApimServiceId 'bench-001'; $m.SourceServiceName = 'bench-001'; $m.SourceSku = 'Developer'; $m.StartTime = $start; $m.Status = 'Succeeded'
New-TestCatalogEntry -Container $oneContainer -Manifest $m -SizeBytes 16
function Measure-Child([string] $Container, [string] $Warm, [string] $Command = 'Get', [string] $Blob = $t.BlobEndpoint) {
    Invoke-PwshChild -ScriptBlock $measure -Parameters @{ Path = $modulePath; Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $Blob; Container = $Container; Warm = $Warm; Command = $Command }
}
function Get-Growth($c) { [double]$c.Hwm - [double]$c.RssBefore }

$counter = Start-StorageRequestCounter
try {
    $child = Measure-Child -Container $container -Warm $warmContainer -Blob $counter.BlobEndpoint
    $requests = @($counter.Requests | Where-Object { $_ -match "^\w+ /[^/]+/$container(\?|/|$)" })
    $counter.Reset()
    $retention = Measure-Child -Container $container -Warm $warmContainer -Command Remove -Blob $counter.BlobEndpoint
    $retentionRequests = @($counter.Requests | Where-Object { $_ -match "^\w+ /[^/]+/$container(\?|/|$)" })
} finally {
    $counter.Dispose()
}
# The one-time cost of a process's first call (the engine's load context, Azure.* assemblies, JIT): a first call over
# one backup, and a first call over all of them (what a user's fresh shell sees in all).
$coldOne = Measure-Child -Container $oneContainer -Warm ''
$coldAll = Measure-Child -Container $container -Warm ''
$lists = @($requests | Where-Object { $_ -match 'comp=list' }).Count
$others = $requests.Count - $lists
$retentionLists = @($retentionRequests | Where-Object { $_ -match 'comp=list' }).Count
$retentionOthers = $retentionRequests.Count - $retentionLists
$growth = Get-Growth $child
$retentionGrowth = Get-Growth $retention
$requestsOk = $child.Count -eq $Backups -and $child.WithManifest -eq $Backups -and $lists -le $pages -and $others -eq 0
$memoryOk = $growth -le $MemoryTargetMB * $MB
$retentionOk = $retentionLists -le $pages -and $retentionOthers -eq 0 -and $retentionGrowth -le $MemoryTargetMB * $MB
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
function Format-Memory($c) { '{0:N1} -> {1:N1} MB, VmHWM; managed heap held after +{2:N1} MB; {3:N0} MB allocated' -f ([double]$c.RssBefore / $MB), ([double]$c.Hwm / $MB), ([double]$c.HeapHeld / $MB), ([double]$c.Allocated / $MB) }

$rows = @(
    [pscustomobject]@{ Target = "Get-ApimBackup over $Backups backups: storage requests = the listing's pages, none per backup"
        Measured = ('{0} requests ({1} list pages, {2} others) for {3} backups listed ({4} with their manifest; {5} blobs, ceil({5}/5000) = {6}); {7:N1} s' -f $requests.Count, $lists, $others, $child.Count, $child.WithManifest, $blobs, $pages, [double]$child.Seconds)
        Result = Result $requestsOk }
    [pscustomobject]@{ Target = "Get-ApimBackup over $Backups backups grows the process by <= $MemoryTargetMB MB"
        Measured = ('+{0:N1} MB RSS at peak ({1}), after a warm-up call. Once per process, not in this figure: a first call over 1 backup +{2:N1} MB (engine load, JIT); a first call over the {3} +{4:N1} MB in all' -f ($growth / $MB), (Format-Memory $child), ((Get-Growth $coldOne) / $MB), $Backups, ((Get-Growth $coldAll) / $MB))
        Result = Result $memoryOk }
    [pscustomobject]@{ Target = "Remove-ApimBackup retention over the same $Backups backups: only the listing's pages, growth <= $MemoryTargetMB MB"
        Measured = ('-KeepLast 4990 -WhatIf: {0} requests ({1} list pages, {2} others); +{3:N1} MB RSS at peak ({4}); {5:N1} s' -f $retentionRequests.Count, $retentionLists, $retentionOthers, ($retentionGrowth / $MB), (Format-Memory $retention), [double]$retention.Seconds)
        Result = Result $retentionOk }
)
$method = "7. **Catalog.** $Backups backups written straight to Azurite in $('{0:N0}' -f $fill.Elapsed.TotalSeconds) s (a 16-byte backup blob and a manifest whose JSON and metadata come from the engine's BackupManifest.ToJson/ToMetadata, i.e. what this version writes). A fresh pwsh imports the module, warms up with Get-ApimBackup of an empty container, then runs ``Get-ApimBackup`` over the $Backups through a loopback relay in front of Azurite that counts requests (tests/StorageRequestCounter.cs); only requests to that container are counted. A second fresh pwsh does the same with ``Remove-ApimBackup -KeepLast 4990 -WhatIf`` (retention over all of them; -WhatIf sends nothing but the listing). Memory (MB = 10^6 bytes): /proc/self/status VmRSS after a full collection before the call, VmHWM after it (the peak mark reset with /proc/self/clear_refs); PASS when VmHWM - RSS before <= $MemoryTargetMB MB. The once-per-process cost is measured apart, in two more fresh pwsh without the warm-up: the first Get-ApimBackup over a container of 1 backup, and over the $Backups."
[pscustomobject]@{
    Rows = $rows; Method = $method
    Raw = [ordered]@{ Backups = $Backups; Blobs = $blobs; Pages = $pages; Requests = $requests.Count; ListRequests = $lists; OtherRequests = $others; Listed = $child.Count; WithManifest = $child.WithManifest
        Seconds = $child.Seconds; RssBefore = $child.RssBefore; Hwm = $child.Hwm; RssAfter = $child.RssAfter; HeapHeld = $child.HeapHeld; Allocated = $child.Allocated; FillSeconds = $fill.Elapsed.TotalSeconds
        Retention = $retention; RetentionRequests = $retentionRequests.Count; RetentionListRequests = $retentionLists; FirstCallOverOne = $coldOne; FirstCallOverAll = $coldAll }
}
