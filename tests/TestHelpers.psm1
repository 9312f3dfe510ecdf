# Helpers shared by the Pester suites. They talk to Azurite WITHOUT ApimDr (shared-key REST over
# HttpClient, never Invoke-WebRequest, whose Debug stream would print the key), so the module is
# checked against an independent writer.

Set-StrictMode -Version 3.0

# Get-PwshCommand (how to start a fresh pwsh like this one) is shared with build.ps1 there.
Import-Module (Join-Path $PSScriptRoot 'TestServices.psm1')

function Assert-TestVariable {
    <# The APIMDR_TEST_* variables build.ps1 sets for the suites must all be there. #>
    param([Parameter(Mandatory)][string[]] $Name)
    foreach ($n in $Name) {
        if (-not [Environment]::GetEnvironmentVariable($n)) {
            throw "$n is not set: run the suites through 'dotnet pwsh ./build.ps1 -Task Test'."
        }
    }
}

function Get-TestEnvironment {
    Assert-TestVariable 'APIMDR_TEST_MODULE_PATH', 'APIMDR_TEST_BLOB_ENDPOINT', 'APIMDR_TEST_STORAGE_ACCOUNT', 'APIMDR_TEST_STORAGE_KEY'
    return [pscustomobject]@{
        ModulePath         = $env:APIMDR_TEST_MODULE_PATH
        BlobEndpoint       = $env:APIMDR_TEST_BLOB_ENDPOINT
        StorageAccountName = $env:APIMDR_TEST_STORAGE_ACCOUNT
        StorageKeyText     = $env:APIMDR_TEST_STORAGE_KEY
        StorageKey         = ConvertTo-SecureString -String $env:APIMDR_TEST_STORAGE_KEY -AsPlainText -Force
        # The first region's name (devstoreaccount1's, "West Europe"); $null with an older harness.
        StorageLocation    = $env:APIMDR_TEST_STORAGE_LOCATION
        # The second region's account (apimdrreplica, "North Europe"), in its own Azurite; $null when not set.
        ReplicaAccountName    = $env:APIMDR_TEST_REPLICA_ACCOUNT
        ReplicaKeyText        = $env:APIMDR_TEST_REPLICA_KEY
        ReplicaKey            = if ($env:APIMDR_TEST_REPLICA_KEY) { ConvertTo-SecureString -String $env:APIMDR_TEST_REPLICA_KEY -AsPlainText -Force } else { $null }
        ReplicaBlobEndpoint   = $env:APIMDR_TEST_REPLICA_BLOB_ENDPOINT
        ReplicaBlobServiceUrl = $env:APIMDR_TEST_REPLICA_BLOB_SERVICE_URL
        ReplicaLocation       = $env:APIMDR_TEST_REPLICA_LOCATION
    }
}

function New-TestName {
    param([string] $Prefix = 't')
    return $Prefix + [Guid]::NewGuid().ToString('n').Substring(0, 12)
}

function New-BackupName {
    <# A fresh backup (blob) name, e.g. prod-1a2b3c4d5e6f.apimbackup. #>
    param([string] $Prefix = 'prod-')
    return (New-TestName $Prefix) + '.apimbackup'
}

function New-TrapListener {
    <#
    .SYNOPSIS
    A loopback TCP listener nobody may connect to: point an endpoint at it, run the command, then assert
    $trap.Pending() is $false, which proves nothing was sent there. Stop it in a finally ($trap.Stop()).
    Returns Listener, Authority ('127.0.0.1:<port>') and Url ('https://127.0.0.1:<port>', no trailing slash).
    #>
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $authority = "127.0.0.1:$(([System.Net.IPEndPoint]$listener.LocalEndpoint).Port)"
    $trap = [pscustomobject]@{ Listener = $listener; Authority = $authority; Url = "https://$authority" }
    $trap | Add-Member -MemberType ScriptMethod -Name Pending -Value { $this.Listener.Pending() }
    $trap | Add-Member -MemberType ScriptMethod -Name Stop -Value { $this.Listener.Stop() }
    return $trap
}

function Invoke-AzuriteRequest {
    param(
        [Parameter(Mandatory)][string] $Method,
        [Parameter(Mandatory)][string] $Path,        # e.g. '/container' or '/container/blob'
        [string] $Query = '',                         # e.g. 'restype=container'
        [byte[]] $Body = @(),
        [hashtable] $Headers = @{},
        [switch] $AllowNotFound,
        # Which account: the first region's devstoreaccount1 (default) or the second region's replica account.
        [ValidateSet('Primary', 'Replica')][string] $Account = 'Primary'
    )
    $t = Get-TestEnvironment
    if ($Account -eq 'Replica') {
        Assert-TestVariable 'APIMDR_TEST_REPLICA_ACCOUNT', 'APIMDR_TEST_REPLICA_KEY', 'APIMDR_TEST_REPLICA_BLOB_ENDPOINT'
        $t = [pscustomobject]@{ BlobEndpoint = $t.ReplicaBlobEndpoint; StorageAccountName = $t.ReplicaAccountName; StorageKeyText = $t.ReplicaKeyText }
    }
    $uri = [Uri]("$($t.BlobEndpoint)$Path" + $(if ($Query) { "?$Query" } else { '' }))
    $msHeaders = [ordered]@{}
    $msHeaders['x-ms-date'] = [DateTime]::UtcNow.ToString('R')
    $msHeaders['x-ms-version'] = '2021-08-06'
    foreach ($k in $Headers.Keys) { $msHeaders[$k.ToLowerInvariant()] = $Headers[$k] }

    $canonicalHeaders = ($msHeaders.Keys | Sort-Object | ForEach-Object { "${_}:$($msHeaders[$_])" }) -join "`n"
    $canonicalResource = "/$($t.StorageAccountName)$($uri.AbsolutePath)"
    if ($Query) {
        $pairs = $Query -split '&' | ForEach-Object { $kv = $_ -split '=', 2; "$($kv[0].ToLowerInvariant()):$([Uri]::UnescapeDataString($kv[1]))" } | Sort-Object
        $canonicalResource += "`n" + ($pairs -join "`n")
    }
    $length = if ($Body.Length -gt 0) { "$($Body.Length)" } else { '' }
    $contentType = if ($Body.Length -gt 0) { 'application/octet-stream' } else { '' }
    $stringToSign = "$Method`n`n`n$length`n`n$contentType`n`n`n`n`n`n`n$canonicalHeaders`n$canonicalResource"
    $hmac = [System.Security.Cryptography.HMACSHA256]::new([Convert]::FromBase64String($t.StorageKeyText))
    try {
        $signature = [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($stringToSign)))
    } finally { $hmac.Dispose() }

    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), $uri)
    foreach ($k in $msHeaders.Keys) { $null = $request.Headers.TryAddWithoutValidation($k, [string]$msHeaders[$k]) }
    $null = $request.Headers.TryAddWithoutValidation('Authorization', "SharedKey $($t.StorageAccountName):$signature")
    if ($Body.Length -gt 0) {
        $request.Content = [System.Net.Http.ByteArrayContent]::new($Body)
        $request.Content.Headers.ContentType = [System.Net.Http.Headers.MediaTypeHeaderValue]::new($contentType)
    }
    $client = [System.Net.Http.HttpClient]::new()
    try {
        $response = $client.Send($request)
        $text = $response.Content.ReadAsStringAsync().Result
        if (-not $response.IsSuccessStatusCode) {
            if ([int]$response.StatusCode -eq 404 -and $AllowNotFound) { return $null }
            throw "Azurite $Method $Path failed: $([int]$response.StatusCode) $text"
        }
        return $text
    } finally {
        $client.Dispose()
    }
}

function New-TestContainer {
    param([Parameter(Mandatory)][string] $Name, [ValidateSet('Primary', 'Replica')][string] $Account = 'Primary')
    $null = Invoke-AzuriteRequest -Method PUT -Path "/$Name" -Query 'restype=container' -Account $Account
}

function Get-TestBlobContent {
    <# The blob's content as text (UTF-8), or $null when the container or blob does not exist. -Account Replica: the second region's account. #>
    param([Parameter(Mandatory)][string] $Container, [Parameter(Mandatory)][string] $Name, [ValidateSet('Primary', 'Replica')][string] $Account = 'Primary')
    return Invoke-AzuriteRequest -Method GET -Path "/$Container/$Name" -AllowNotFound -Account $Account
}

function Get-TestBlobName {
    <# The names of the blobs under -Prefix in a container (one listing page), through the test's own REST helper. #>
    param([Parameter(Mandatory)][string] $Container, [string] $Prefix = '', [ValidateSet('Primary', 'Replica')][string] $Account = 'Primary')
    $xml = [xml](Invoke-AzuriteRequest -Method GET -Path "/$Container" -Query "restype=container&comp=list&prefix=$([Uri]::EscapeDataString($Prefix))" -Account $Account)
    return @($xml.EnumerationResults.Blobs.Blob | Where-Object { $_ } | ForEach-Object Name)
}

function New-TestBlob {
    param(
        [Parameter(Mandatory)][string] $Container,
        [Parameter(Mandatory)][string] $Name,
        [int] $SizeBytes = 16,
        [hashtable] $Metadata = @{},
        # The blob's text (UTF-8) instead of -SizeBytes random bytes.
        [string] $Content,
        [ValidateSet('Primary', 'Replica')][string] $Account = 'Primary'
    )
    $headers = @{ 'x-ms-blob-type' = 'BlockBlob' }
    foreach ($k in $Metadata.Keys) { $headers["x-ms-meta-$k"] = $Metadata[$k] }
    if ($PSBoundParameters.ContainsKey('Content')) {
        $body = [Text.Encoding]::UTF8.GetBytes($Content)
    } else {
        $body = [byte[]]::new($SizeBytes)
        [Random]::new(1).NextBytes($body)
    }
    $null = Invoke-AzuriteRequest -Method PUT -Path "/$Container/$Name" -Body $body -Headers $headers -Account $Account
}

function Remove-TestBlob {
    param([Parameter(Mandatory)][string] $Container, [Parameter(Mandatory)][string] $Name)
    $null = Invoke-AzuriteRequest -Method DELETE -Path "/$Container/$Name"
}

function Invoke-PwshChild {
    <#
    .SYNOPSIS
    Runs a script BLOCK in a NEW pwsh -NoProfile process (the same pwsh as this one) with -Parameters
    splatted into it, and returns what it wrote to the output stream, round-tripped through Clixml so
    objects keep their shape. (build.ps1's Invoke-PwshScriptFile runs a script FILE with extra
    environment variables instead.)
    #>
    param([Parameter(Mandatory)][scriptblock] $ScriptBlock, [hashtable] $Parameters = @{})
    $pwsh = Get-PwshCommand
    $outFile = [IO.Path]::GetTempFileName()
    $paramFile = [IO.Path]::GetTempFileName()
    try {
        $Parameters | Export-Clixml -Path $paramFile
        $wrapper = "`$p = Import-Clixml -Path '$paramFile'; & { $ScriptBlock } @p | Export-Clixml -Path '$outFile' -Depth 5"
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($wrapper))
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)
        $stderr = & $pwsh[0] @arguments 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "Child pwsh failed ($LASTEXITCODE): $stderr" }
        return Import-Clixml -Path $outFile
    } finally {
        Remove-Item $outFile, $paramFile -ErrorAction SilentlyContinue
    }
}

# ---------------------------------------------------------------------------------------------
# The ARM/APIM emulator (tests/ApimDr.Emulator): raw HttpClient, never Invoke-WebRequest (its Debug
# stream prints Authorization headers and bodies). See docs/emulator.md for the control surface.

$script:HttpClient = $null

function Get-TestHttpClient {
    # One client per process; no redirects (a 202's Location is ours to follow), loopback only.
    if (-not $script:HttpClient) {
        $handler = [System.Net.Http.SocketsHttpHandler]::new()
        $handler.AllowAutoRedirect = $false
        $handler.UseProxy = $false
        $handler.PooledConnectionLifetime = [TimeSpan]::FromSeconds(30)
        $script:HttpClient = [System.Net.Http.HttpClient]::new($handler)
        $script:HttpClient.Timeout = [TimeSpan]::FromSeconds(30)
    }
    return $script:HttpClient
}

function Get-EmulatorEnvironment {
    Assert-TestVariable 'APIMDR_TEST_ARM_URL', 'APIMDR_TEST_ARM_TOKEN', 'APIMDR_TEST_CONTROL_URL', 'APIMDR_TEST_SUBSCRIPTION_ID', 'APIMDR_TEST_RESOURCE_GROUP'
    return [pscustomobject]@{
        ArmUrl           = $env:APIMDR_TEST_ARM_URL
        Token            = $env:APIMDR_TEST_ARM_TOKEN
        ControlUrl       = $env:APIMDR_TEST_CONTROL_URL
        SubscriptionId   = $env:APIMDR_TEST_SUBSCRIPTION_ID
        ResourceGroup    = $env:APIMDR_TEST_RESOURCE_GROUP
        IdentityEndpoint = $env:IDENTITY_ENDPOINT
        IdentityHeader   = $env:IDENTITY_HEADER
    }
}

function Get-ApimServiceId {
    <#
    /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<Name>: the one
    place the Pester suites write an APIM service resource id. Subscription and resource group are the
    emulator's unless given.
    #>
    param([Parameter(Mandatory, Position = 0)][string] $Name, [string] $SubscriptionId, [string] $ResourceGroup)
    if (-not $SubscriptionId) { $SubscriptionId = (Get-EmulatorEnvironment).SubscriptionId }
    if (-not $ResourceGroup) { $ResourceGroup = (Get-EmulatorEnvironment).ResourceGroup }
    return "/subscriptions/$SubscriptionId/resourceGroups/$ResourceGroup/providers/Microsoft.ApiManagement/service/$Name"
}

function Get-ArmServiceUrl {
    <# https://127.0.0.1:port/subscriptions/…/providers/Microsoft.ApiManagement/service/<Name>[/<Action>] (no query). #>
    param([Parameter(Mandatory)][string] $Name, [string] $Action, [string] $ResourceGroup)
    $url = "$((Get-EmulatorEnvironment).ArmUrl)$(Get-ApimServiceId -Name $Name -ResourceGroup $ResourceGroup)"
    if ($Action) { $url += "/$Action" }
    return $url
}

function Invoke-ArmRequest {
    <#
    .SYNOPSIS
    One raw HTTP request (HttpClient). Returns Status, Headers (name → string[], response + content
    headers), Body (text) and Json (parsed, when the body is JSON). -Token '' sends no Authorization.
    A dropped connection comes back as Status 0 with Error set.
    #>
    param(
        [string] $Method = 'GET',
        [Parameter(Mandatory)][string] $Url,
        $Body,
        [AllowEmptyString()][string] $Token = (Get-EmulatorEnvironment).Token,
        [hashtable] $Headers = @{}
    )
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), [Uri]$Url)
    if ($Token) { $null = $request.Headers.TryAddWithoutValidation('Authorization', "Bearer $Token") }
    foreach ($k in $Headers.Keys) { $null = $request.Headers.TryAddWithoutValidation($k, [string]$Headers[$k]) }
    if ($null -ne $Body) {
        $text = if ($Body -is [string]) { $Body } else { $Body | ConvertTo-Json -Depth 20 -Compress }
        $request.Content = [System.Net.Http.StringContent]::new($text, [Text.Encoding]::UTF8, 'application/json')
    }
    try {
        $response = (Get-TestHttpClient).Send($request)
    } catch {
        # A dropped connection (injected reset) is a result; anything else (TLS trust, refused) is a test error.
        $ex = $_.Exception
        while ($ex -and $ex -isnot [System.Net.Http.HttpRequestException]) { $ex = $ex.InnerException }
        if ($ex -and "$($ex.HttpRequestError)" -notin 'SecureConnectionError', 'ConnectionError', 'NameResolutionError', 'ProxyTunnelError') {
            return [pscustomobject]@{ Status = 0; Headers = @{}; Body = ''; Json = $null; Error = $ex }
        }
        throw
    }
    $headersOut = [System.Collections.Generic.Dictionary[string, string[]]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($h in $response.Headers) { $headersOut[$h.Key] = @($h.Value) }
    foreach ($h in $response.Content.Headers) { $headersOut[$h.Key] = @($h.Value) }
    $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    $json = $null
    if ($text) { try { $json = $text | ConvertFrom-Json -Depth 50 } catch { $json = $null } }
    return [pscustomobject]@{ Status = [int]$response.StatusCode; Headers = $headersOut; Body = $text; Json = $json; Error = $null }
}

function Invoke-EmulatorControl {
    <# Calls /_emulator/<Path> on the emulator's control surface and returns the parsed JSON. #>
    param([string] $Method = 'GET', [Parameter(Mandatory)][AllowEmptyString()][string] $Path, $Body)
    $e = Get-EmulatorEnvironment
    $r = Invoke-ArmRequest -Method $Method -Url "$($e.ControlUrl)/$($Path.TrimStart('/'))" -Body $Body -Token ''
    if ($r.Status -lt 200 -or $r.Status -ge 300) { throw "Emulator control $Method $Path failed: $($r.Status) $($r.Body)" }
    return $r.Json
}

function Get-EmulatorRequestLog {
    <# Requests the emulator received (ARM and managed identity endpoint), oldest first. #>
    param([long] $Since = 0)
    return @((Invoke-EmulatorControl -Path "requests?since=$Since").requests)
}

function Get-EmulatorActionPost {
    <# The …/backup and …/restore POSTs the emulator received (-Action narrows to one), oldest first. #>
    param([ValidateSet('backup', 'restore', 'any')][string] $Action = 'any')
    $pattern = if ($Action -eq 'any') { '/(backup|restore)\?' } else { "/$Action\?" }
    return @(Get-EmulatorRequestLog | Where-Object { $_.method -eq 'POST' -and $_.url -match $pattern })
}

function Clear-EmulatorRequestLog { $null = Invoke-EmulatorControl -Method DELETE -Path 'requests' }

function Get-EmulatorSetting { return Invoke-EmulatorControl -Path 'settings' }

function Set-EmulatorSetting {
    <# e.g. Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1; tokenLifetimeSeconds = 30; locationChangesOnFirstPoll = $true } #>
    param([Parameter(Mandatory, Position = 0)][hashtable] $Settings)
    return Invoke-EmulatorControl -Method PUT -Path 'settings' -Body $Settings
}

function Add-EmulatorFault {
    <#
    The next -Count responses on -Route become -Kind (429/503 carry Retry-After; 403 is ARM's AuthorizationFailed;
    404 is "operation not found"; hold delays the answer by -Seconds). See docs/emulator.md.
    #>
    param(
        [Parameter(Mandatory)][ValidateSet('backup', 'restore', 'operationresults', 'operationstatus', 'service', 'services', 'identity', 'arm')][string] $Route,
        [Parameter(Mandatory)][ValidateSet('429', '503', '409', '500', '403', '404', 'reset', 'hold')][string] $Kind,
        [int] $Count = 1,
        [int] $RetryAfterSeconds = 1,
        [ValidateSet('before', 'after')][string] $When = 'before',
        [string] $Method,
        # hold only: how long the answer is held (default 5).
        [double] $Seconds = 5
    )
    $body = @{ route = $Route; kind = $Kind; count = $Count; retryAfterSeconds = $RetryAfterSeconds; when = $When }
    if ($Method) { $body.method = $Method }
    if ($Kind -eq 'hold') { $body.seconds = $Seconds }
    return Invoke-EmulatorControl -Method POST -Path 'faults' -Body $body
}

function Clear-EmulatorFault { $null = Invoke-EmulatorControl -Method DELETE -Path 'faults' }

function Move-EmulatorClock {
    <# Advances the emulator's clock (ages backups); -Reset puts it back to real time. #>
    param([double] $Days = 0, [double] $Hours = 0, [double] $Seconds = 0, [switch] $Reset)
    if ($Reset) { return Invoke-EmulatorControl -Method POST -Path 'clock/reset' }
    return Invoke-EmulatorControl -Method POST -Path 'clock/advance' -Body @{ days = $Days; hours = $Hours; seconds = $Seconds }
}

function Get-EmulatorServiceConfiguration {
    param([Parameter(Mandatory)][string] $Name, [string] $ResourceGroup)
    $q = if ($ResourceGroup) { "?resourceGroup=$ResourceGroup" } else { '' }
    return Invoke-EmulatorControl -Path "services/$Name/configuration$q"
}

function Set-EmulatorServiceConfiguration {
    param([Parameter(Mandatory)][string] $Name, [Parameter(Mandatory)] $Configuration, [string] $ResourceGroup)
    $q = if ($ResourceGroup) { "?resourceGroup=$ResourceGroup" } else { '' }
    return Invoke-EmulatorControl -Method PUT -Path "services/$Name/configuration$q" -Body $Configuration
}

function New-EmulatorToken {
    <# A token the emulator issued (as its managed identity endpoint would); negative lifetime = already expired. #>
    param([int] $LifetimeSeconds = 3600, [string] $Audience)
    $body = @{ lifetimeSeconds = $LifetimeSeconds }
    if ($Audience) { $body.audience = $Audience }
    return (Invoke-EmulatorControl -Method POST -Path 'tokens' -Body $body).access_token
}

function Reset-Emulator {
    <# Back to the seed: services, role table, settings, clock, faults, request log, operations, regional outages (storage reachable again), soft-deleted services. #>
    $null = Invoke-EmulatorControl -Method POST -Path 'reset'
}

function Get-EmulatorRegion {
    <# The emulator's regions: name, key, down, outage {location, since, mode, sequence}, services, storageAccounts {name, blobServiceUrl, reachable, …}. #>
    param([string] $Location)
    if ($Location) { return Invoke-EmulatorControl -Path "regions/$([Uri]::EscapeDataString($Location))" }
    return @((Invoke-EmulatorControl -Path 'regions').regions)
}

function Start-EmulatorRegionOutage {
    <#
    .SYNOPSIS
    Takes a region down: ARM calls about that region's services answer 503 ServiceUnavailable (-Mode 503, the
    default) or lose their connection (-Mode reset), and the region's storage REFUSES connections (the emulator
    closes its storage gate; the blobs stay in that region's Azurite). Returns the region; its outage.sequence is
    the request log's last sequence before the outage: Get-EmulatorRequestLog -Since <it> is what came after.
    #>
    param([Parameter(Mandatory)][string] $Location, [ValidateSet('503', 'reset')][string] $Mode = '503')
    return Invoke-EmulatorControl -Method POST -Path "regions/$([Uri]::EscapeDataString($Location))/outage" -Body @{ mode = $Mode }
}

function Stop-EmulatorRegionOutage {
    <# Brings a region back: its services answer again and its storage gate reopens on the same port, blobs intact. #>
    param([Parameter(Mandatory)][string] $Location)
    return Invoke-EmulatorControl -Method DELETE -Path "regions/$([Uri]::EscapeDataString($Location))/outage"
}

function Test-LoopbackConnection {
    <#
    Opens (and closes) a TCP connection to the URL's host and port: 'Connected', or 'Refused' when the port
    answers with a reset (nothing listening, e.g. a region's storage during its outage). Other errors throw.
    #>
    param([Parameter(Mandatory)][string] $Url)
    $uri = [Uri]$Url
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $client.Connect($uri.Host, $uri.Port)
        return 'Connected'
    } catch [System.Net.Sockets.SocketException] {
        if ($_.Exception.SocketErrorCode -eq [System.Net.Sockets.SocketError]::ConnectionRefused) { return 'Refused' }
        throw
    } catch {
        $inner = $_.Exception.InnerException
        if ($inner -is [System.Net.Sockets.SocketException] -and $inner.SocketErrorCode -eq [System.Net.Sockets.SocketError]::ConnectionRefused) { return 'Refused' }
        throw
    } finally {
        $client.Dispose()
    }
}

function Start-StorageRequestCounter {
    <#
    A loopback relay in front of the first region's storage that counts requests (tests/StorageRequestCounter.cs,
    compiled once per process). Point a client at .BlobEndpoint instead of the test environment's; .Count,
    .Requests ("METHOD /path?query"), .Reset(), .Dispose().
    #>
    param([string] $Upstream = $env:APIMDR_TEST_BLOB_SERVICE_URL)
    Assert-TestVariable 'APIMDR_TEST_BLOB_SERVICE_URL'
    if (-not ('ApimDr.Tests.StorageRequestCounter' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'StorageRequestCounter.cs') -ReferencedAssemblies System.Net.HttpListener, System.Net.Http, System.Net.Primitives, System.Net.Sockets, System.Collections.Concurrent, System.Linq, System.Collections.Specialized, System.Net.WebHeaderCollection, System.Threading, System.Threading.Thread
    }
    $counter = [ApimDr.Tests.StorageRequestCounter]::new($Upstream)
    $counter | Add-Member -NotePropertyName BlobEndpoint -NotePropertyValue "$($counter.Url)/$((Get-TestEnvironment).StorageAccountName)"
    return $counter
}

function Get-ApimDrEngineType {
    <# A type of ApimDr.Engine as the imported module loaded it (its private load context): run one ApimDr cmdlet first. #>
    param([Parameter(Mandatory)][string] $Name)
    $engine = [Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'ApimDr' | ForEach-Object Assemblies | Where-Object { $_.GetName().Name -eq 'ApimDr.Engine' } | Select-Object -First 1
    if (-not $engine) { throw 'ApimDr.Engine is not loaded yet: call an ApimDr cmdlet first.' }
    return $engine.GetType($Name, $true)
}

function New-TestCatalogEntry {
    <#
    One backup blob and its manifest blob, written straight to Azurite. The manifest's JSON and (unless -WithoutMetadata,
    the shape an earlier ApimDr wrote) its blob metadata come from the engine's own BackupManifest.ToJson/ToMetadata —
    what BackupCatalog.WriteManifestAsync writes — so the test has no copy of the encoding.
    #>
    param(
        [Parameter(Mandatory)][string] $Container,
        [Parameter(Mandatory)][object] $Manifest,   # an ApimDr.ApimBackupManifest
        [switch] $WithoutMetadata,
        [switch] $WithoutBlob,
        [int] $SizeBytes = 64
    )
    $codec = Get-ApimDrEngineType 'ApimDr.Engine.Storage.BackupManifest'
    if (-not $WithoutBlob) { New-TestBlob -Container $Container -Name $Manifest.BackupName -SizeBytes $SizeBytes }
    $metadata = @{}
    if (-not $WithoutMetadata) {
        $fromEngine = $codec.GetMethod('ToMetadata').Invoke($null, @($Manifest))
        foreach ($k in $fromEngine.Keys) { $metadata[$k] = $fromEngine[$k] }
    }
    New-TestBlob -Container $Container -Name "$($Manifest.BackupName).apimdr.json" -Content ($codec.GetMethod('ToJson').Invoke($null, @($Manifest))) -Metadata $metadata
}

Export-ModuleMember -Function Assert-TestVariable, Get-TestEnvironment, New-TestName, New-BackupName, New-TrapListener, New-TestContainer, New-TestBlob, Get-TestBlobContent, Get-TestBlobName,
    Invoke-PwshChild, Remove-TestBlob, Get-PwshCommand, Get-FreeLoopbackPort, Get-EmulatorEnvironment, Get-ApimServiceId, Get-ArmServiceUrl, Invoke-ArmRequest, Invoke-EmulatorControl, Get-EmulatorRequestLog, Get-EmulatorActionPost, Clear-EmulatorRequestLog,
    Get-EmulatorSetting, Set-EmulatorSetting, Add-EmulatorFault, Clear-EmulatorFault, Move-EmulatorClock, Get-EmulatorServiceConfiguration,
    Set-EmulatorServiceConfiguration, New-EmulatorToken, Reset-Emulator, Get-EmulatorRegion, Start-EmulatorRegionOutage, Stop-EmulatorRegionOutage,
    Test-LoopbackConnection, Invoke-AzuriteRequest, Start-StorageRequestCounter, Get-ApimDrEngineType, New-TestCatalogEntry
