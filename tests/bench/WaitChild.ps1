<#
.SYNOPSIS
The measured process of the wait benchmark (started by tests/Invoke-Benchmarks.ps1, which samples this
process's memory from outside). Imports the module, loads and warms the engine, reports a baseline,
waits for the parent's go, starts the backups in batches with Backup-ApimService -NoWait (one batch
per operation duration), then times ONE Wait-ApimOperation over all of them.

Talks to the parent with one-line "BENCH {json}" records on stdout; the parent answers by creating
-GoFile. Inherits the services' APIMDR_TEST_* environment (and SSL_CERT_DIR) from the parent.
#>
param(
    [Parameter(Mandatory)][string] $ServicesFile,   # JSON: [{Id, Name, ResourceGroupName}, …]
    [Parameter(Mandatory)][string] $ContainerName,
    [Parameter(Mandatory)][string] $DurationsCsv,   # one backup duration (s) per batch, e.g. '3,4,5,6,7'
    [Parameter(Mandatory)][string] $GoFile,
    [string] $WaitGoFile   # when given: after 'started', wait for it (the parent switches throttling on in between)
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

function Send-BenchRecord([hashtable] $Record) {
    [Console]::Out.WriteLine('BENCH ' + ($Record | ConvertTo-Json -Compress -Depth 5))
    [Console]::Out.Flush()
}

function Get-ManagedHeap {
    # Full blocking collection first, so the number is live objects, not garbage.
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    return [GC]::GetTotalMemory($true)
}

Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
Import-Module $env:APIMDR_TEST_MODULE_PATH
$t = Get-TestEnvironment
$e = Get-EmulatorEnvironment
$token = ConvertTo-SecureString $e.Token -AsPlainText -Force
$storage = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $ContainerName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
$arm = @{ ResourceManagerUrl = $e.ArmUrl; AccessToken = $token }
$services = @(Get-Content -Raw $ServicesFile | ConvertFrom-Json)
$durations = @($DurationsCsv -split ',' | ForEach-Object { [double]$_ })

# Warm-up, so the baseline has the engine, Azure.Core, TLS and the poller loaded and JIT-compiled:
# one Get-ApimBackup (storage) and one backup of 'prod' waited inline (0 s operation, one poll).
$null = @(Get-ApimBackup @storage)
$null = Set-EmulatorSetting @{ backupDurationSeconds = 0 }
$warm = Backup-ApimService -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name prod -BackupName 'bench-warmup.apimbackup' @storage @arm
if ($warm.Status -ne 'Succeeded') { throw "Warm-up backup of prod ended $($warm.Status)." }

Send-BenchRecord @{ phase = 'baseline'; pid = $PID; gcHeapBytes = (Get-ManagedHeap) }
$deadline = [DateTime]::UtcNow.AddSeconds(60)
while (-not (Test-Path $GoFile)) {
    if ([DateTime]::UtcNow -gt $deadline) { throw 'The parent never said go.' }
    Start-Sleep -Milliseconds 20
}

# Start: one batch per duration, each batch piped as Get-AzApiManagement-shaped objects.
$ops = [System.Collections.Generic.List[object]]::new()
$batchSize = [Math]::Ceiling($services.Count / $durations.Count)
$startWatch = [Diagnostics.Stopwatch]::StartNew()
for ($b = 0; $b -lt $durations.Count; $b++) {
    $batch = @($services | Select-Object -Skip ($b * $batchSize) -First $batchSize)
    if ($batch.Count -eq 0) { break }
    $null = Set-EmulatorSetting @{ backupDurationSeconds = $durations[$b] }
    foreach ($op in @($batch | Backup-ApimService @storage @arm -NoWait)) { $ops.Add($op) }
}
$startWatch.Stop()
if ($ops.Count -ne $services.Count) { throw "Started $($ops.Count) backups, expected $($services.Count)." }
Send-BenchRecord @{ phase = 'started'; count = $ops.Count; startSeconds = $startWatch.Elapsed.TotalSeconds; gcHeapBytes = (Get-ManagedHeap) }

if ($WaitGoFile) {
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path $WaitGoFile)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw 'The parent never said go for the wait.' }
        Start-Sleep -Milliseconds 20
    }
}

# THE measurement: one Wait-ApimOperation over all of them (progress left at its default).
$waitStart = [DateTimeOffset]::UtcNow
$watch = [Diagnostics.Stopwatch]::StartNew()
# With the storage the backups were started with, as a user's wait in the same session: each end is recorded in its
# manifest (the RecordEnd follow-up; a blob endpoint is used only when named on the command line).
$done = @($ops | Wait-ApimOperation @arm -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint)
$watch.Stop()
$waitEnd = [DateTimeOffset]::UtcNow

$statuses = @{}
foreach ($d in $done) { $statuses[$d.Status] = 1 + $(if ($statuses.ContainsKey($d.Status)) { $statuses[$d.Status] } else { 0 }) }
Send-BenchRecord @{
    phase = 'waited'; count = $done.Count; statuses = $statuses
    waitSeconds = $watch.Elapsed.TotalSeconds; waitStart = $waitStart.ToString('o'); waitEnd = $waitEnd.ToString('o')
    gcHeapBytes = (Get-ManagedHeap)
}
# Keep $done alive until after the last heap measurement.
$null = $done.Count
