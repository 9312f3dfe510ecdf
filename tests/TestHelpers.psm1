# Helpers shared by the Pester suites. They talk to Azurite WITHOUT ApimDr (shared-key REST over
# HttpClient, never Invoke-WebRequest, whose Debug stream would print the key), so the module is
# checked against an independent writer.

Set-StrictMode -Version 3.0

function Get-TestEnvironment {
    foreach ($name in 'APIMDR_TEST_MODULE_PATH', 'APIMDR_TEST_BLOB_ENDPOINT', 'APIMDR_TEST_STORAGE_ACCOUNT', 'APIMDR_TEST_STORAGE_KEY') {
        if (-not [Environment]::GetEnvironmentVariable($name)) {
            throw "$name is not set: run the suites through 'dotnet pwsh ./build.ps1 -Task Test'."
        }
    }
    return [pscustomobject]@{
        ModulePath         = $env:APIMDR_TEST_MODULE_PATH
        BlobEndpoint       = $env:APIMDR_TEST_BLOB_ENDPOINT
        StorageAccountName = $env:APIMDR_TEST_STORAGE_ACCOUNT
        StorageKeyText     = $env:APIMDR_TEST_STORAGE_KEY
        StorageKey         = ConvertTo-SecureString -String $env:APIMDR_TEST_STORAGE_KEY -AsPlainText -Force
    }
}

function New-TestName {
    param([string] $Prefix = 't')
    return $Prefix + [Guid]::NewGuid().ToString('n').Substring(0, 12)
}

function Invoke-AzuriteRequest {
    param(
        [Parameter(Mandatory)][string] $Method,
        [Parameter(Mandatory)][string] $Path,        # e.g. '/container' or '/container/blob'
        [string] $Query = '',                         # e.g. 'restype=container'
        [byte[]] $Body = @(),
        [hashtable] $Headers = @{}
    )
    $t = Get-TestEnvironment
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
        if (-not $response.IsSuccessStatusCode) {
            throw "Azurite $Method $Path failed: $([int]$response.StatusCode) $($response.Content.ReadAsStringAsync().Result)"
        }
    } finally {
        $client.Dispose()
    }
}

function New-TestContainer {
    param([Parameter(Mandatory)][string] $Name)
    Invoke-AzuriteRequest -Method PUT -Path "/$Name" -Query 'restype=container'
}

function New-TestBlob {
    param(
        [Parameter(Mandatory)][string] $Container,
        [Parameter(Mandatory)][string] $Name,
        [int] $SizeBytes = 16,
        [hashtable] $Metadata = @{}
    )
    $headers = @{ 'x-ms-blob-type' = 'BlockBlob' }
    foreach ($k in $Metadata.Keys) { $headers["x-ms-meta-$k"] = $Metadata[$k] }
    $body = [byte[]]::new($SizeBytes)
    [Random]::new(1).NextBytes($body)
    Invoke-AzuriteRequest -Method PUT -Path "/$Container/$Name" -Body $body -Headers $headers
}

function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($process)
}

function Invoke-FreshPwsh {
    <#
    .SYNOPSIS
    Runs a script block in a NEW pwsh -NoProfile process (the same pwsh as this one) and returns what
    it wrote to the output stream, round-tripped through Clixml so objects keep their shape.
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

Export-ModuleMember -Function Get-TestEnvironment, New-TestName, New-TestContainer, New-TestBlob, Invoke-FreshPwsh, Get-PwshCommand
