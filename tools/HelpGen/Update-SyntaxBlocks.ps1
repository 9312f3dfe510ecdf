<#
.SYNOPSIS
Rewrites the SYNTAX block of every docs/en-US/<Cmdlet>.md from Get-Command -Syntax of the BUILT module.
Run after changing a cmdlet's parameters (tests/Help.Tests.ps1 fails until the blocks match):
    dotnet pwsh -NoProfile -File tools/HelpGen/Update-SyntaxBlocks.ps1
#>
param([string] $ManifestPath = (Join-Path $PSScriptRoot '../../out/ApimDr/ApimDr.psd1'))
$ErrorActionPreference = 'Stop'
$module = Import-Module $ManifestPath -PassThru
foreach ($command in Get-Command -Module $module.Name) {
    $path = Join-Path $PSScriptRoot "../../docs/en-US/$($command.Name).md"
    $syntax = ((Get-Command $command.Name -Syntax) -split '\r?\n' | Where-Object { $_.Trim() }) -join "`n`n"
    $text = Get-Content -Raw $path
    $updated = [regex]::Replace($text, '(?s)(## SYNTAX\s*\n\s*```\n).*?(\n```)', { param($m) $m.Groups[1].Value + $syntax + $m.Groups[2].Value })
    if ($updated -ne $text) { Set-Content -Path $path -Value $updated -NoNewline; "updated $path" }
}
