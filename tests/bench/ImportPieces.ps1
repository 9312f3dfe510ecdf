<#
.SYNOPSIS
The Import target's pieces (tests/Invoke-Benchmarks.ps1 and tests/bench/ImportInstructions.ps1; method and
findings in docs/benchmarks.md, "Where the import goes"): an ordered table name -> @{ Edit; Import }. Edit
changes a scratch copy of the built module folder (its argument); Import is the file to import from it.
Dot-source it: the Edit blocks call Edit-PieceManifest, defined here.
#>
# Each variant edits the copied manifest's text: one key removed or rewritten (docs/benchmarks.md, "Where the import goes").
function Edit-PieceManifest([string] $Directory, [scriptblock] $Change) {
    $m = Join-Path $Directory 'ApimDr.psd1'
    Set-Content -Path $m -Value (& $Change (Get-Content -Raw $m)) -NoNewline
}
$withoutKey = { param([string] $Text, [string] $Key) $Text -replace "(?m)^\s*$Key\s*=.*$", '' }
[ordered]@{
    'as built'                                   = @{ Edit = { }; Import = 'ApimDr.psd1' }
    'without FormatsToProcess'                   = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) & $withoutKey $t 'FormatsToProcess' } }; Import = 'ApimDr.psd1' }
    'without RequiredAssemblies (ApimDr.Model)'  = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) & $withoutKey $t 'RequiredAssemblies' } }; Import = 'ApimDr.psd1' }
    'constant RootModule (no edition if)'        = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) $t -replace '(?m)^\s*RootModule\s*=.*$', "    RootModule = 'ApimDr.dll'" } }; Import = 'ApimDr.psd1' }
    'CmdletsToExport as @() one per line (before)' = @{ Edit = { param($d) Edit-PieceManifest $d { param($t) [regex]::Replace($t, "(?m)^(\s*CmdletsToExport\s*=\s*)((?:'[^']+',\s*)*'[^']+')", { param($m) $m.Groups[1].Value + "@(`n" + (($m.Groups[2].Value -split ',\s*' | ForEach-Object { "        $_" }) -join "`n") + "`n    )" }) } }; Import = 'ApimDr.psd1' }
    'minimal manifest (RootModule, ModuleVersion)' = @{ Edit = { param($d) Set-Content (Join-Path $d 'ApimDr.psd1') "@{`n    RootModule = 'ApimDr.dll'`n    ModuleVersion = '0.1.0'`n}" }; Import = 'ApimDr.psd1' }
    'ApimDr.dll alone (no manifest)'             = @{ Edit = { }; Import = 'ApimDr.dll' }
}
