<#
.SYNOPSIS
The Import target's pieces (tests/Invoke-Benchmarks.ps1 and tests/bench/ImportInstructions.ps1; method and
findings in docs/benchmarks.md, "Where the import goes"): an ordered table name -> @{ Edit; Import }. Edit
changes a scratch copy of the built module folder (its argument); Import is the file to import from it.
Dot-source it: the Edit blocks call Edit-PieceManifest, defined here; Get-ThreadJobManifest gives the reference module.
#>
# Each variant edits the copied manifest's text: one key removed or rewritten (docs/benchmarks.md, "Where the import goes").
function Edit-PieceManifest([string] $Directory, [scriptblock] $Change) {
    $m = Join-Path $Directory 'ApimDr.psd1'
    Set-Content -Path $m -Value (& $Change (Get-Content -Raw $m)) -NoNewline
}
# The reference both scripts measure beside the pieces: Microsoft.PowerShell.ThreadJob of the pwsh that $Pwsh starts.
function Get-ThreadJobManifest([string[]] $Pwsh) {
    $pwshHome = if ($Pwsh[-1] -like '*.dll') { Split-Path $Pwsh[-1] } else { $PSHOME }
    $path = Join-Path $pwshHome 'Modules/Microsoft.PowerShell.ThreadJob/Microsoft.PowerShell.ThreadJob.psd1'
    if (Test-Path $path) { $path }
}
$withoutKey = { param([string] $Text, [string] $Key) $Text -replace "(?m)^\s*$Key\s*=.*$", '' }
# The export list spans lines: everything from its key to the next key.
$exportList = '(?ms)^\s*CmdletsToExport\s*=.*?(?=^\s*FunctionsToExport)'
[ordered]@{
    'as built'                                   = @{ Edit = { }; Import = 'ApimDr.psd1' }
    'without FormatsToProcess'                   = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) & $withoutKey $t 'FormatsToProcess' } }; Import = 'ApimDr.psd1' }
    'without RequiredAssemblies (ApimDr.Model)'  = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) & $withoutKey $t 'RequiredAssemblies' } }; Import = 'ApimDr.psd1' }
    'no edition if (RootModule, PowerShellVersion constant)' = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) $t -replace '(?m)^\s*RootModule\s*=.*$', "    RootModule = 'ApimDr.dll'" -replace '(?m)^\s*PowerShellVersion\s*=.*$', "    PowerShellVersion = '7.4'" } }; Import = 'ApimDr.psd1' }
    'without CmdletsToExport'                    = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) $t -replace $exportList, '' } }; Import = 'ApimDr.psd1' }
    'minimal manifest (RootModule, ModuleVersion)' = @{ Edit = { param($d) Set-Content (Join-Path $d 'ApimDr.psd1') "@{`n    RootModule = 'ApimDr.dll'`n    ModuleVersion = '0.1.0'`n}" }; Import = 'ApimDr.psd1' }
    # The shape of Microsoft.PowerShell.ThreadJob's manifest: a minimal one that lists its cmdlets by name.
    'minimal manifest + CmdletsToExport'         = @{ Edit = { param($d) Edit-PieceManifest $d { param($t)
                $exports = [regex]::Match($t, $exportList).Value
                "@{`n    RootModule = 'ApimDr.dll'`n    ModuleVersion = '0.1.0'`n$exports}" } }; Import = 'ApimDr.psd1' }
    'a manifest with only ModuleVersion (no dll)' = @{ Edit = { param($d) Set-Content (Join-Path $d 'ApimDr.psd1') "@{`n    ModuleVersion = '0.1.0'`n}" }; Import = 'ApimDr.psd1' }
    'ApimDr.dll alone (no manifest)'             = @{ Edit = { }; Import = 'ApimDr.dll' }
}
