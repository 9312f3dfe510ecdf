# Starts and stops the local services ApimDr's tests, drill and benchmark run against:
# Azurite (the real Storage emulator) and, once built, the ApimDr ARM/APIM emulator.
# Everything listens on 127.0.0.1 only; everything started is stopped by PID.

Set-StrictMode -Version 3.0

$script:RepoRoot = Split-Path -Parent $PSScriptRoot
$script:AzuriteDir = Join-Path $PSScriptRoot 'azurite'

# Azurite's documented development account (public, well known; not a secret of anyone's).
$script:AzuriteAccount = 'devstoreaccount1'
$script:AzuriteKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

function Get-FreeLoopbackPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    try {
        $listener.Start()
        return ([System.Net.IPEndPoint]$listener.LocalEndpoint).Port
    } finally {
        $listener.Stop()
    }
}

function Wait-LoopbackPort {
    param([int] $Port, [System.Diagnostics.Process] $Process, [string] $Name, [int] $TimeoutSeconds = 30)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($Process.HasExited) { throw "$Name exited with code $($Process.ExitCode) before listening on port $Port." }
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.Connect([System.Net.IPAddress]::Loopback, $Port)
            return
        } catch {
            Start-Sleep -Milliseconds 100
        } finally {
            $client.Dispose()
        }
    }
    throw "$Name did not listen on 127.0.0.1:$Port within $TimeoutSeconds s."
}

function Start-BackgroundProcess {
    param([string] $FileName, [string[]] $ArgumentList, [string] $WorkingDirectory, [string] $LogPath)
    $info = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $ArgumentList) { $info.ArgumentList.Add($a) }
    $info.WorkingDirectory = $WorkingDirectory
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::new()
    $process.StartInfo = $info
    $null = $process.Start()
    # Drain output to a log so the child never blocks on a full pipe.
    $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.File]::Open($LogPath, 'Create', 'Write', 'ReadWrite'))
    $null = $process.StandardError.BaseStream.CopyToAsync([System.IO.File]::Open("$LogPath.err", 'Create', 'Write', 'ReadWrite'))
    return $process
}

function Install-Azurite {
    <# Installs the pinned Azurite from tests/azurite/package-lock.json when it is missing. #>
    $main = Join-Path $script:AzuriteDir 'node_modules/azurite/dist/src/blob/main.js'
    if (Test-Path $main) { return $main }
    Write-Host 'Installing Azurite (npm ci, pinned by tests/azurite/package-lock.json)...'
    & npm ci --prefix $script:AzuriteDir --no-audit --no-fund --loglevel=error | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "npm ci for Azurite failed with exit code $LASTEXITCODE." }
    return $main
}

function Start-ApimDrTestServices {
    <#
    .SYNOPSIS
    Starts Azurite on a free loopback port and returns the endpoints, the environment variables a
    test process needs (Environment) and the PIDs to stop (Processes).
    #>
    [CmdletBinding()]
    param([string] $LogDirectory = (Join-Path $script:RepoRoot 'out/logs'))

    $null = New-Item -ItemType Directory -Force -Path $LogDirectory
    $main = Install-Azurite
    $processes = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    try {
        $blobPort = Get-FreeLoopbackPort
        $azurite = Start-BackgroundProcess -FileName 'node' -WorkingDirectory $script:AzuriteDir -LogPath (Join-Path $LogDirectory 'azurite.log') -ArgumentList @(
            $main, '--silent', '--inMemoryPersistence', '--blobHost', '127.0.0.1', '--blobPort', "$blobPort",
            '--disableTelemetry', '--skipApiVersionCheck')
        $processes.Add($azurite)
        Wait-LoopbackPort -Port $blobPort -Process $azurite -Name 'Azurite'

        $blobEndpoint = "http://127.0.0.1:$blobPort/$($script:AzuriteAccount)"
        $environment = [ordered]@{
            APIMDR_TEST_BLOB_ENDPOINT   = $blobEndpoint
            APIMDR_TEST_STORAGE_ACCOUNT = $script:AzuriteAccount
            APIMDR_TEST_STORAGE_KEY     = $script:AzuriteKey
        }
        return [pscustomobject]@{
            BlobEndpoint       = $blobEndpoint
            StorageAccountName = $script:AzuriteAccount
            Environment        = $environment
            Processes          = $processes.ToArray()
        }
    } catch {
        foreach ($p in $processes) { Stop-ProcessById -Process $p }
        throw
    }
}

function Stop-ProcessById {
    param([System.Diagnostics.Process] $Process)
    try {
        if (-not $Process.HasExited) {
            $Process.Kill($true)
            $null = $Process.WaitForExit(10000)
        }
    } catch [System.InvalidOperationException] {
        # already gone
    }
}

function Stop-ApimDrTestServices {
    <# Stops every process Start-ApimDrTestServices started, by PID. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Services)
    foreach ($p in $Services.Processes) { Stop-ProcessById -Process $p }
}

Export-ModuleMember -Function Start-ApimDrTestServices, Stop-ApimDrTestServices, Install-Azurite, Get-FreeLoopbackPort
