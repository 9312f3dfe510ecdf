<#
.SYNOPSIS
A diagnostic of target 11's fleet start (not a target; `-BenchTarget FleetTimeline`, not in the default run; method
in docs/benchmarks.md, "The two misses"): in ONE process, several fleet starts of the same services one after the
other (Backup-ApimService -NoWait over Count services with default snapshots, 0-s backups, 100 ms per ARM request),
each with its wall time and this process's CPU per start; then the emulator's request log of one more start:
per service, its first request, its last read and its POST, against the start of the call.
Prints its lines; returns nothing to judge.
#>
param(
    [int] $Count = 30,
    [int] $Rounds = 6,
    [int] $LatencyMilliseconds = 100
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot '../TestHelpers.psm1')
$t = Get-TestEnvironment
$e = Get-EmulatorEnvironment
$r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; Helpers = (Join-Path $PSScriptRoot '../TestHelpers.psm1'); Count = $Count; Rounds = $Rounds; Latency = $LatencyMilliseconds } -ScriptBlock {
    param($Path, $Helpers, $Count, $Rounds, $Latency)
    $ErrorActionPreference = 'Stop'
    Import-Module $Helpers
    Import-Module $Path
    $t = Get-TestEnvironment; $e = Get-EmulatorEnvironment
    Reset-Emulator
    $null = Set-EmulatorSetting @{ putDurationSeconds = 0; throttlingEnabled = $false; backupDurationSeconds = 0; retryAfterSeconds = 1; latencyMilliseconds = $Latency }
    $names = @(1..$Count | ForEach-Object { 'timeline-{0:d3}' -f $_ })
    foreach ($name in $names) {
        $null = Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name $name)?api-version=2024-05-01" -Body @{
            location = 'West Europe'; sku = @{ name = 'Developer'; capacity = 1 }; properties = @{ publisherEmail = 'bench@contoso.example'; publisherName = 'Bench' } }
    }
    $container = 'bench-timeline' + [DateTime]::UtcNow.ToString('HHmmss')
    New-TestContainer -Name $container
    $storage = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    $arm = @{ ResourceManagerUrl = $e.ArmUrl; AccessToken = (ConvertTo-SecureString $e.Token -AsPlainText -Force) }
    $ids = @($names | ForEach-Object { Get-ApimServiceId $_ })
    Start-Sleep -Seconds 1
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $lines = [System.Collections.Generic.List[string]]::new()
    for ($round = 0; $round -le $Rounds; $round++) {
        if ($round -eq $Rounds) { Clear-EmulatorRequestLog }
        $self.Refresh(); $cpu0 = $self.TotalProcessorTime
        $start = [DateTimeOffset]::UtcNow
        $w = [Diagnostics.Stopwatch]::StartNew()
        $ops = @($ids | ForEach-Object { [pscustomobject]@{ ResourceId = $_ } } | Backup-ApimService @storage @arm -NoWait)
        $w.Stop()
        $self.Refresh(); $cpu = ($self.TotalProcessorTime - $cpu0).TotalMilliseconds
        $lines.Add(('start {0}: {1} started in {2:N2} s; this process {3:N0} ms CPU ({4:N1} ms per start)' -f ($round + 1), $ops.Count, $w.Elapsed.TotalSeconds, $cpu, ($cpu / $Count)))
        Start-Sleep -Seconds 2   # the 0-s backups end; the services are idle again
    }
    $log = @(Get-EmulatorRequestLog | Where-Object { $_.url -match '/service/(timeline-\d+)' })
    $rows = foreach ($g in ($log | Group-Object { if ($_.url -match '/service/(timeline-\d+)') { $Matches[1] } })) {
        $requests = @($g.Group | Sort-Object sequence)
        $gets = @($requests | Where-Object method -eq 'GET')
        $post = @($requests | Where-Object method -eq 'POST')[0]
        [pscustomobject]@{ First = (([DateTimeOffset]$requests[0].time) - $start).TotalSeconds; LastRead = (([DateTimeOffset]$gets[-1].time) - $start).TotalSeconds
            Post = (([DateTimeOffset]$post.time) - $start).TotalSeconds; Reads = $gets.Count }
    }
    $stat = { param($values) $m = $values | Measure-Object -Minimum -Maximum; '{0:N2}-{1:N2} s' -f $m.Minimum, $m.Maximum }
    $lines.Add(('request log of start {0} (times after the call began, logged when the emulator answered, after its latency): first request {1}; last read {2}; POST {3}; reads per service {4}' -f
        ($Rounds + 1), (& $stat $rows.First), (& $stat $rows.LastRead), (& $stat $rows.Post), (& $stat $rows.Reads).Replace(' s', '').Replace('.00', '')))
    $lines
}
foreach ($line in $r) { Write-Host "   $line" }
Reset-Emulator
