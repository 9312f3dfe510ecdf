<#
.SYNOPSIS
The Import target's PowerShell (tests/Invoke-Benchmarks.ps1; method in docs/benchmarks.md, "Where the import
goes"): a ReadyToRun-compiled copy of the running pwsh, as PowerShell's release packages ship it, and the command
that starts it.

The dotnet tool pwsh this repository runs is IL only (PowerShell builds its framework-dependent tool package
without ReadyToRun, its release packages with it: PowerShell.Common.props in PowerShell's own repository), so
most of its start is the JIT compiling PowerShell's own code. The copy: every managed assembly of $PSHOME
compiled with crossgen2, the ReadyToRun compiler of the .NET SDK (the SDK picks the Crossgen2 pack that matches
its runtime; a scratch project restores it). Built once into -Directory and reused while $PSHOME is the same.
Returns the command (dotnet and the copy's pwsh.dll), or the running pwsh's own when it is already ReadyToRun.
#>
param(
    [Parameter(Mandatory)] [string] $Directory
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Directory = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Directory)

function Test-ReadyToRun([string] $Path) {
    # A ReadyToRun image has a managed native header (the CLI header's ManagedNativeHeader directory).
    $stream = [IO.File]::OpenRead($Path)
    try {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        try { return $pe.HasMetadata -and $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0 } finally { $pe.Dispose() }
    } finally { $stream.Dispose() }
}

$sma = Join-Path $PSHOME 'System.Management.Automation.dll'
$dotnet = [Environment]::ProcessPath
if ([IO.Path]::GetFileNameWithoutExtension($dotnet) -ne 'dotnet' -or (Test-ReadyToRun $sma)) {
    return @(Get-PwshCommand)   # a native or already ReadyToRun pwsh: measure it as it is
}
$stamp = Join-Path $Directory '.source'
$source = "$PSHOME|$((Get-Item $sma).LastWriteTimeUtc.Ticks)"
$command = @($dotnet, (Join-Path $Directory 'pwsh.dll'))
if ((Test-Path $stamp) -and (Get-Content -Raw $stamp) -eq $source) { return $command }

# The SDK's Crossgen2 pack for this runtime, found the way its publish finds it.
$project = Join-Path $Directory '.crossgen2-pack'
$null = New-Item -ItemType Directory -Force -Path $project
$runtime = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$tfm = 'net{0}.{1}' -f [Environment]::Version.Major, [Environment]::Version.Minor
Set-Content -Path (Join-Path $project 'Crossgen2Pack.csproj') -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>$tfm</TargetFramework>
    <RuntimeIdentifier>$runtime</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
    <PublishReadyToRun>true</PublishReadyToRun>
  </PropertyGroup>
</Project>
"@
$csproj = Join-Path $project 'Crossgen2Pack.csproj'
$out = & $dotnet restore $csproj 2>&1
if ($LASTEXITCODE -ne 0) { throw "dotnet restore of the Crossgen2 pack failed: $out" }
$json = & $dotnet msbuild $csproj -t:ResolveFrameworkReferences -getItem:ResolvedCrossgen2Pack 2>&1
if ($LASTEXITCODE -ne 0) { throw "Finding the Crossgen2 pack failed: $json" }
$pack = (($json -join "`n") | ConvertFrom-Json).Items.ResolvedCrossgen2Pack[0].PackageDirectory
$crossgen = Join-Path $pack 'tools/crossgen2'
if (-not (Test-Path $crossgen)) { throw "No crossgen2 in $pack." }

# Copy $PSHOME, then compile each managed assembly of its top folder (the ones a start loads) over its copy.
$frameworkDir = Split-Path ([object].Assembly.Location)
Get-ChildItem -Path $Directory -Exclude '.crossgen2-pack' | Remove-Item -Recurse -Force
Copy-Item -Recurse -Path (Join-Path $PSHOME '*') -Destination $Directory
$os = if ($IsLinux) { 'linux' } elseif ($IsMacOS) { 'osx' } else { 'windows' }
$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
# The references' wildcards go in a response file: pwsh would expand a wildcard argument into file names.
$references = Join-Path $project 'references.rsp'
Set-Content -Path $references -Value @("-r:$(Join-Path $frameworkDir '*.dll')", "-r:$(Join-Path $PSHOME '*.dll')", "--targetos:$os", "--targetarch:$arch", '-O')
$compiled = 0
foreach ($dll in Get-ChildItem -Path $PSHOME -Filter '*.dll' -File) {
    try { $null = [Reflection.AssemblyName]::GetAssemblyName($dll.FullName) } catch { continue }   # not managed
    $target = Join-Path $Directory $dll.Name
    $log = & $crossgen "@$references" $dll.FullName -o $target 2>&1
    if ($LASTEXITCODE -ne 0) {
        Copy-Item -Force $dll.FullName $target   # e.g. a reference-only or already native image: keep it as it is
        Write-Verbose "crossgen2 left $($dll.Name) as it was: $log"
    } else { $compiled++ }
}
if (-not (Test-ReadyToRun (Join-Path $Directory 'System.Management.Automation.dll'))) { throw 'crossgen2 did not compile System.Management.Automation.dll.' }
Write-Host "   a ReadyToRun copy of $PSHOME in $Directory ($compiled assemblies compiled by $crossgen)"
Set-Content -Path $stamp -Value $source -NoNewline
return $command
