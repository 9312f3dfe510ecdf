<#
.SYNOPSIS
Benchmark 8 (tests/Invoke-Benchmarks.ps1 runs it; method in docs/benchmarks.md): Copy-ApimBackup of a
256 MB backup, in a fresh pwsh each time.

  a. server-side (devstoreaccount1 -> apimdrsecondary, one Azurite instance: Copy Blob From URL): the bytes
     ApimDr SENT to the destination's storage, counted by a loopback TCP relay in front of it (client ->
     storage direction), must stay far below the backup's size (target: < 1 MB); the copy is verified by
     reading the replica back (the relay counts those bytes in the other direction);
  b. streamed (-> apimdrreplica, the other region's Azurite, which Azurite cannot copy from): peak
     resident memory growth over the process's own baseline after import (VmHWM, reset at the baseline
     through /proc/self/clear_refs) — target <= +30 MB.

Returns Rows (target, measured, result), Method (Markdown) and Raw (numbers for results.json).
#>
param(
    [int] $SizeMB = 256,
    [double] $SentTargetBytes = 1000000,
    [double] $MemoryTargetMB = 30
)
$MB = 1000000   # MB = 10^6 bytes, as in the other benchmarks
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
$t = Get-TestEnvironment
$pwsh = Get-PwshCommand

$container = New-TestName 'copybench'
$name = "big-$SizeMB.apimbackup"
New-TestContainer -Name $container
Write-Host "   uploading a $SizeMB MiB backup blob (random bytes) to Azurite..."
New-TestBlob -Container $container -Name $name -SizeBytes ($SizeMB * 1024 * 1024)
[GC]::Collect()

Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
/// <summary>A loopback TCP relay in front of a storage endpoint that counts the bytes each way.</summary>
public sealed class CountingRelay : IDisposable
{
    private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
    private readonly string _host; private readonly int _port;
    private long _sent, _received;
    public CountingRelay(string host, int port) { _host = host; _port = port; _listener.Start(); _ = AcceptAsync(); }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public long Sent => Interlocked.Read(ref _sent);          // client -> storage
    public long Received => Interlocked.Read(ref _received);  // storage -> client
    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); } catch { return; }
            _ = RelayAsync(client);
        }
    }
    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            await upstream.ConnectAsync(_host, _port);
            Task a = PumpAsync(client.GetStream(), upstream.GetStream(), true);
            Task b = PumpAsync(upstream.GetStream(), client.GetStream(), false);
            await Task.WhenAny(a, b);
        }
    }
    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool up)
    {
        var buffer = new byte[81920];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, 0, buffer.Length)) > 0)
            {
                await to.WriteAsync(buffer, 0, n);
                if (up) Interlocked.Add(ref _sent, n); else Interlocked.Add(ref _received, n);
            }
        }
        catch { }
    }
    public void Dispose() { _listener.Stop(); }
}
'@

function Invoke-CopyProbe([string] $DestinationAccount, [string] $DestinationKey, [string] $DestinationEndpoint, [switch] $SameService) {
    <# One Copy-ApimBackup in a fresh pwsh, measuring its own I/O and peak memory around the copy alone. #>
    $child = @'
param($Module, $Account, $Key, $Endpoint, $Container, $Name, $DestAccount, $DestKey, $DestEndpoint)
$ErrorActionPreference = 'Stop'
Import-Module $Module
$env:APIMDR_JOURNAL = 'off'
function Read-Io { $h = @{}; foreach ($l in [IO.File]::ReadAllLines('/proc/self/io')) { $k, $v = $l -split ':\s*'; $h[$k] = [long]$v }; $h }
function Read-Status { $h = @{}; foreach ($l in [IO.File]::ReadAllLines('/proc/self/status')) { if ($l -match '^(VmRSS|VmHWM):\s+(\d+) kB') { $h[$Matches[1]] = [long]$Matches[2] * 1024 } }; $h }
$key = ConvertTo-SecureString $Key -AsPlainText -Force
$destKey = ConvertTo-SecureString $DestKey -AsPlainText -Force
# Warm the engine (load context, pipelines) on a listing, so the measurement is the copy itself.
$null = Get-ApimBackup -StorageAccountName $Account -ContainerName $Container -StorageAccountKey $key -BlobEndpoint $Endpoint
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
$hwmReset = $true
try { [IO.File]::WriteAllText('/proc/self/clear_refs', '5') } catch { $hwmReset = $false }
$base = Read-Status
$io0 = Read-Io
$watch = [Diagnostics.Stopwatch]::StartNew()
$verbose = Copy-ApimBackup -StorageAccountName $Account -ContainerName $Container -BackupName $Name -StorageAccountKey $key -BlobEndpoint $Endpoint `
    -DestinationStorageAccountName $DestAccount -DestinationContainerName $Container -DestinationStorageAccountKey $destKey -DestinationBlobEndpoint $DestEndpoint -Verbose 4>&1 |
    Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
$watch.Stop()
$io1 = Read-Io
$peak = Read-Status
[pscustomobject]@{
    Seconds = $watch.Elapsed.TotalSeconds; Written = $io1.wchar - $io0.wchar; Read = $io1.rchar - $io0.rchar
    BaseRss = $base.VmRSS; PeakRss = [Math]::Max($peak.VmHWM, $peak.VmRSS); HwmReset = $hwmReset
    Method = if ("$verbose" -match '\((ServerSide|Streamed)\)') { $Matches[1] } else { 'unknown' }
} | ConvertTo-Json -Compress
'@
    $script = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'copyprobe').ps1"
    Set-Content -Path $script -Value $child
    # Every byte between ApimDr and the destination's storage goes through the relay, which counts it.
    $target = [Uri]$DestinationEndpoint
    $relay = [CountingRelay]::new($target.Host, $target.Port)
    $DestinationEndpoint = "http://127.0.0.1:$($relay.Port)$($target.AbsolutePath)"
    # One storage service for both accounts: the source goes through the same relay too, so the service sees
    # one host for both (a copy source on another host:port is "external" to Azurite) and every byte ApimDr
    # sends to storage is counted.
    $sourceEndpoint = if ($SameService) { "http://127.0.0.1:$($relay.Port)$(([Uri]$t.BlobEndpoint).AbsolutePath)" } else { $t.BlobEndpoint }
    try {
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script,
            '-Module', $t.ModulePath, '-Account', $t.StorageAccountName, '-Key', $t.StorageKeyText, '-Endpoint', $sourceEndpoint, '-Container', $container, '-Name', $name,
            '-DestAccount', $DestinationAccount, '-DestKey', $DestinationKey, '-DestEndpoint', $DestinationEndpoint)
        $out = & $pwsh[0] @arguments
        if ($LASTEXITCODE -ne 0) { throw "The copy probe failed ($LASTEXITCODE): $out" }
        $probe = @($out)[-1] | ConvertFrom-Json
        $probe | Add-Member -NotePropertyName SentToDestination -NotePropertyValue $relay.Sent
        $probe | Add-Member -NotePropertyName ReceivedFromDestination -NotePropertyValue $relay.Received
        return $probe
    } finally {
        $relay.Dispose()
        Remove-Item $script -ErrorAction SilentlyContinue
    }
}

Write-Host "   server-side: $($t.StorageAccountName) -> $env:APIMDR_TEST_STORAGE_ACCOUNT2 (one Azurite)"
$server = Invoke-CopyProbe -DestinationAccount $env:APIMDR_TEST_STORAGE_ACCOUNT2 -DestinationKey $env:APIMDR_TEST_STORAGE_KEY2 -DestinationEndpoint "$($env:APIMDR_TEST_BLOB_SERVICE_URL)/$($env:APIMDR_TEST_STORAGE_ACCOUNT2)" -SameService
Write-Host "   streamed: $($t.StorageAccountName) -> $($t.ReplicaAccountName) (the other region's Azurite)"
$streamed = Invoke-CopyProbe -DestinationAccount $t.ReplicaAccountName -DestinationKey $t.ReplicaKeyText -DestinationEndpoint $t.ReplicaBlobEndpoint

$size = [double]$SizeMB * 1024 * 1024
$growth = [double]$streamed.PeakRss - [double]$streamed.BaseRss
$serverOk = $server.Method -eq 'ServerSide' -and [double]$server.SentToDestination -lt $SentTargetBytes
$streamOk = $streamed.Method -eq 'Streamed' -and $growth -le $MemoryTargetMB * $MB
function Result([bool] $ok) { if ($ok) { 'PASS' } else { 'FAIL' } }
[pscustomobject]@{
    Rows = @(
        [pscustomobject]@{ Target = "Copy-ApimBackup of a $SizeMB MiB backup server-side sends no backup bytes through ApimDr (< $('{0:N0}' -f ($SentTargetBytes / 1000)) KB sent)"
            Measured = ('{0}: {1:N1} KB sent by ApimDr to the destination''s storage ({2:N1} s; the verification read {3:N1} MB back)' -f $server.Method, ([double]$server.SentToDestination / 1000), [double]$server.Seconds, ([double]$server.ReceivedFromDestination / $MB))
            Result = Result $serverOk }
        [pscustomobject]@{ Target = "The streamed copy of a $SizeMB MiB backup stays within +$MemoryTargetMB MB of process memory"
            Measured = ('{0}: +{1:N1} MB peak RSS ({2:N1} -> {3:N1} MB; {4:N1} MB sent to the destination, {5:N1} s){6}' -f $streamed.Method, ($growth / $MB), ([double]$streamed.BaseRss / $MB), ([double]$streamed.PeakRss / $MB), ([double]$streamed.SentToDestination / $MB), [double]$streamed.Seconds, $(if ($streamed.HwmReset) { '' } else { '; VmHWM could not be reset: peak since start' }))
            Result = Result $streamOk }
    )
    Method = "8. **Copy-ApimBackup** (tests/bench/CopyBench.ps1). A $SizeMB MiB blob of random bytes in Azurite; each copy in a fresh pwsh that imports the module, warms the engine with one listing, then reads /proc/self/io and /proc/self/status around the Copy-ApimBackup call alone. Bytes sent and received are counted by a loopback TCP relay in front of the storage service (-DestinationBlobEndpoint, and for the server-side copy -BlobEndpoint too, point at it): sent = every byte ApimDr sent to storage during the copy, the backup's own upload included when there is one. Peak = VmHWM after resetting it at the baseline (/proc/self/clear_refs 5). Server-side goes to apimdrsecondary (the same Azurite instance, which serves Copy Blob From URL); streamed goes to apimdrreplica (the other region's Azurite, which Azurite cannot copy from: docs/emulator.md). Both copies are verified by reading the replica back (MD5)."
    Raw = @{ SizeMiB = $SizeMB; ServerSide = $server; Streamed = $streamed; GrowthBytes = $growth }
}
