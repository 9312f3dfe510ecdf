# Starts and stops the local services ApimDr's tests, drill and benchmark run against:
# Azurite (the real Storage emulator) and the ApimDr ARM/APIM emulator (tests/ApimDr.Emulator).
# Everything listens on 127.0.0.1 only; everything started is stopped by PID. See docs/emulator.md.

Set-StrictMode -Version 3.0

$script:RepoRoot = Split-Path -Parent $PSScriptRoot
$script:AzuriteDir = Join-Path $PSScriptRoot 'azurite'
$script:EmulatorProject = Join-Path $PSScriptRoot 'ApimDr.Emulator'

# Azurite's documented development account (public, well known; not a secret of anyone's).
$script:AzuriteAccount = 'devstoreaccount1'
$script:AzuriteKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

function Get-PwshCommand {
    <# How to start a fresh pwsh like this one: the dotnet local tool (dotnet pwsh.dll) or a native pwsh. #>
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($process)
}

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
    param([string] $FileName, [string[]] $ArgumentList, [string] $WorkingDirectory, [string] $LogPath, [hashtable] $Environment = @{})
    $info = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $ArgumentList) { $info.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $info.Environment[$k] = $Environment[$k] }
    $info.WorkingDirectory = $WorkingDirectory
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::new()
    $process.StartInfo = $info
    $null = $process.Start()
    # Drain stderr to a log so the child never blocks on a full pipe; stdout is drained by the caller.
    $null = $process.StandardError.BaseStream.CopyToAsync([System.IO.File]::Open("$LogPath.err", 'Create', 'Write', 'ReadWrite'))
    return $process
}

function Save-ProcessOutput {
    param([System.Diagnostics.Process] $Process, [string] $LogPath)
    $null = $Process.StandardOutput.BaseStream.CopyToAsync([System.IO.File]::Open($LogPath, 'Create', 'Write', 'ReadWrite'))
}

function Read-StartLine {
    <# Reads the emulator's one JSON start line from its stdout (then drains the rest to a log). #>
    param([System.Diagnostics.Process] $Process, [string] $LogPath, [int] $TimeoutSeconds = 30)
    $task = $Process.StandardOutput.ReadLineAsync()
    if (-not $task.Wait([TimeSpan]::FromSeconds($TimeoutSeconds)) -or $null -eq $task.Result) {
        $err = if (Test-Path "$LogPath.err") { Get-Content -Raw "$LogPath.err" } else { '' }
        throw "The emulator printed no start line within $TimeoutSeconds s (exited: $($Process.HasExited)). $err"
    }
    $line = $task.Result
    Set-Content -Path $LogPath -Value $line
    $null = $Process.StandardOutput.BaseStream.CopyToAsync([System.IO.File]::Open($LogPath, 'Append', 'Write', 'ReadWrite'))
    return $line | ConvertFrom-Json
}

function Get-EmulatorSeed {
    return Get-Content -Raw (Join-Path $script:EmulatorProject 'seed.json') | ConvertFrom-Json
}

function Get-EmulatorDll {
    param([string] $Configuration = 'Release')
    return Join-Path $script:EmulatorProject "bin/$Configuration/net10.0/ApimDr.Emulator.dll"
}

function Install-Emulator {
    <#
    .SYNOPSIS
    Builds tests/ApimDr.Emulator when its dll is missing (build.ps1 -Task Test builds it up front).
    #>
    param([string] $Configuration = 'Release')
    $dll = Get-EmulatorDll -Configuration $Configuration
    if (Test-Path $dll) { return $dll }
    Write-Host 'Building the ApimDr emulator...'
    & dotnet build $script:EmulatorProject -c $Configuration --nologo -v quiet -clp:ErrorsOnly | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "Building the emulator failed with exit code $LASTEXITCODE." }
    return $dll
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
    Starts Azurite (one per region of the seed's storage accounts) and the ApimDr emulator on free
    loopback ports and returns the endpoints, the environment variables a test process needs
    (Environment) and the processes to stop (Processes).

    .DESCRIPTION
    Environment holds APIMDR_TEST_* (storage + emulator endpoints, the static ARM token, the seed's
    subscription and resource group; APIMDR_TEST_REPLICA_* for the second region's account), IDENTITY_ENDPOINT/IDENTITY_HEADER (so Azure.Identity's managed
    identity path reaches the emulator, never the network) and SSL_CERT_DIR (so a NEW .NET process
    trusts the emulator's per-run certificate; the machine's trust store is never touched).
    #>
    [CmdletBinding()]
    param(
        [string] $LogDirectory = (Join-Path $script:RepoRoot 'out/logs'),
        [string] $Configuration = 'Release',
        [switch] $NoEmulator
    )

    $null = New-Item -ItemType Directory -Force -Path $LogDirectory
    $main = Install-Azurite
    $dll = if ($NoEmulator) { $null } else { Install-Emulator -Configuration $Configuration }
    $seed = Get-EmulatorSeed
    $processes = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    $emulator = $null
    try {
        # One Azurite per region of the seed's storage accounts, each holding only its region's accounts, so a
        # region's storage can be made unreachable alone. The first region is devstoreaccount1's.
        $accountRegion = { param($a) if ($a.PSObject.Properties['location'] -and $a.location) { $a.location } else { 'West Europe' } }
        $primaryRegion = & $accountRegion @($seed.storageAccounts | Where-Object name -eq $script:AzuriteAccount)[0]
        $regionNames = [System.Collections.Generic.List[string]]::new()
        $regionNames.Add($primaryRegion)
        foreach ($a in $seed.storageAccounts) { $r = & $accountRegion $a; if (-not $regionNames.Contains($r)) { $regionNames.Add($r) } }
        $azurites = [ordered]@{}
        $index = 0
        foreach ($region in $regionNames) {
            $port = Get-FreeLoopbackPort
            $accounts = ($seed.storageAccounts | Where-Object { (& $accountRegion $_) -eq $region } | ForEach-Object { "$($_.name):$($_.key)" }) -join ';'
            # The first Azurite keeps the old log name (azurite.log); the others are azurite-2.log, …
            $azuriteLog = Join-Path $LogDirectory $(if ($index -eq 0) { 'azurite.log' } else { "azurite-$($index + 1).log" })
            $azurite = Start-BackgroundProcess -FileName 'node' -WorkingDirectory $script:AzuriteDir -LogPath $azuriteLog -Environment @{ AZURITE_ACCOUNTS = $accounts } -ArgumentList @(
                $main, '--silent', '--inMemoryPersistence', '--blobHost', '127.0.0.1', '--blobPort', "$port",
                '--disableTelemetry', '--skipApiVersionCheck')
            $processes.Add($azurite)
            Save-ProcessOutput -Process $azurite -LogPath $azuriteLog
            $azurites[$region] = [pscustomobject]@{ Region = $region; Port = $port; Url = "http://127.0.0.1:$port"; Process = $azurite }
            $index++
        }
        $blobServiceUrl = $azurites[$primaryRegion].Url

        if ($dll) {
            # Started while Azurite boots: the emulator needs storage only when a backup runs. Accounts outside the
            # first region live in their region's Azurite (--blob-service); --storage-gates puts a relay the emulator
            # closes during a regional outage in front of each region's Azurite: clients use the relays' URLs.
            $emulatorArgs = @($dll, '--blob-service-url', $blobServiceUrl, '--parent-pid', "$PID", '--storage-gates')
            foreach ($a in $seed.storageAccounts) {
                $r = & $accountRegion $a
                if ($r -ne $primaryRegion) { $emulatorArgs += @('--blob-service', "$($a.name)=$($azurites[$r].Url)") }
            }
            $emulatorLog = Join-Path $LogDirectory 'emulator.log'
            $emulatorProcess = Start-BackgroundProcess -FileName 'dotnet' -WorkingDirectory (Split-Path $dll) -LogPath $emulatorLog -ArgumentList $emulatorArgs
            $processes.Add($emulatorProcess)
            $emulator = Read-StartLine -Process $emulatorProcess -LogPath $emulatorLog
        }
        foreach ($a in $azurites.Values) { Wait-LoopbackPort -Port $a.Port -Process $a.Process -Name "Azurite ($($a.Region))" }

        # The URL clients use for an account: the emulator's storage gate for it, or its Azurite without the emulator.
        $serviceUrlOf = {
            param($name)
            if ($emulator -and $emulator.PSObject.Properties['storageAccounts']) {
                $entry = @($emulator.storageAccounts | Where-Object name -eq $name)[0]
                if ($entry) { return $entry.blobServiceUrl }
            }
            $a = @($seed.storageAccounts | Where-Object name -eq $name)[0]
            return $azurites[(& $accountRegion $a)].Url
        }
        $blobServiceUrl = & $serviceUrlOf $script:AzuriteAccount
        $blobEndpoint = "$blobServiceUrl/$($script:AzuriteAccount)"
        $secondary = @($seed.storageAccounts | Where-Object { $_.name -ne $script:AzuriteAccount -and (& $accountRegion $_) -eq $primaryRegion })[0]
        $replica = @($seed.storageAccounts | Where-Object { (& $accountRegion $_) -ne $primaryRegion })[0]
        $environment = [ordered]@{
            APIMDR_TEST_BLOB_ENDPOINT   = $blobEndpoint
            APIMDR_TEST_STORAGE_ACCOUNT = $script:AzuriteAccount
            APIMDR_TEST_STORAGE_KEY     = $script:AzuriteKey
            APIMDR_TEST_BLOB_SERVICE_URL = $blobServiceUrl
            APIMDR_TEST_STORAGE_ACCOUNT2 = $secondary.name
            APIMDR_TEST_STORAGE_KEY2     = $secondary.key
            APIMDR_TEST_STORAGE_LOCATION = $primaryRegion
        }
        if ($replica) {
            $replicaServiceUrl = & $serviceUrlOf $replica.name
            $environment['APIMDR_TEST_REPLICA_ACCOUNT'] = $replica.name
            $environment['APIMDR_TEST_REPLICA_KEY'] = $replica.key
            $environment['APIMDR_TEST_REPLICA_BLOB_SERVICE_URL'] = $replicaServiceUrl
            $environment['APIMDR_TEST_REPLICA_BLOB_ENDPOINT'] = "$replicaServiceUrl/$($replica.name)"
            $environment['APIMDR_TEST_REPLICA_LOCATION'] = & $accountRegion $replica
        }
        if ($emulator) {
            $certDirs = @($emulator.certDir) + $(if ($env:SSL_CERT_DIR) { $env:SSL_CERT_DIR } else { '/etc/ssl/certs' })
            $environment['APIMDR_TEST_ARM_URL'] = $emulator.armUrl
            $environment['APIMDR_TEST_ARM_TOKEN'] = $emulator.staticToken
            $environment['APIMDR_TEST_CONTROL_URL'] = $emulator.controlUrl
            $environment['APIMDR_TEST_SUBSCRIPTION_ID'] = $emulator.subscriptionId
            $environment['APIMDR_TEST_RESOURCE_GROUP'] = $emulator.resourceGroup
            $environment['APIMDR_TEST_CERT_DIR'] = $emulator.certDir
            $environment['IDENTITY_ENDPOINT'] = $emulator.identityEndpoint
            $environment['IDENTITY_HEADER'] = $emulator.identityHeader
            $environment['SSL_CERT_DIR'] = $certDirs -join [IO.Path]::PathSeparator
        }
        return [pscustomobject]@{
            BlobEndpoint       = $blobEndpoint
            BlobServiceUrl     = $blobServiceUrl
            StorageAccountName = $script:AzuriteAccount
            # Per region: Region, Port, Url (the Azurite itself, behind the emulator's gate), Process.
            Azurites           = @($azurites.Values)
            Emulator           = $emulator
            Environment        = $environment
            Processes          = $processes.ToArray()
        }
    } catch {
        Stop-ApimDrTestServices -Services ([pscustomobject]@{ Processes = $processes.ToArray(); Emulator = $emulator })
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
    <#
    .SYNOPSIS
    Stops every process Start-ApimDrTestServices started, by PID. The emulator is first asked to
    stop (it then removes its certificate directory); whatever remains is killed and cleaned up.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Services)
    $emulator = if ($Services.PSObject.Properties['Emulator']) { $Services.Emulator } else { $null }
    if ($emulator) {
        $client = [System.Net.Http.HttpClient]::new()
        $client.Timeout = [TimeSpan]::FromSeconds(2)
        try {
            $null = $client.PostAsync("$($emulator.controlUrl)/shutdown", [System.Net.Http.StringContent]::new('')).GetAwaiter().GetResult()
            $own = @($Services.Processes | Where-Object { $_.Id -eq $emulator.pid })
            foreach ($p in $own) { $null = $p.WaitForExit(3000) }
        } catch {
            Write-Verbose "Emulator shutdown request failed: $_"
        } finally {
            $client.Dispose()
        }
    }
    foreach ($p in $Services.Processes) { Stop-ProcessById -Process $p }
    if ($emulator -and $emulator.certDir -and (Test-Path $emulator.certDir)) {
        Remove-Item -Recurse -Force $emulator.certDir -ErrorAction SilentlyContinue
    }
}

Export-ModuleMember -Function Start-ApimDrTestServices, Stop-ApimDrTestServices, Install-Azurite, Install-Emulator, Get-FreeLoopbackPort, Get-PwshCommand
