<#
.SYNOPSIS
Writes what Get-Command says about the BUILT module's cmdlets (parameters, sets, types, positions, pipeline
binding) as JSON for HelpGen. Run by build.ps1 in a fresh pwsh, so the build process never loads the module.
#>
param(
    [Parameter(Mandatory)][string] $ManifestPath,
    [Parameter(Mandatory)][string] $OutFile
)
$ErrorActionPreference = 'Stop'
$module = Import-Module $ManifestPath -PassThru
# -Verbose, -ErrorAction …: documented by PowerShell (about_CommonParameters). -WhatIf/-Confirm are documented per cmdlet.
$common = [System.Management.Automation.Cmdlet]::CommonParameters

function Get-TypeName([type] $Type) {
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return $underlying.FullName }
    return $Type.FullName
}

$commands = foreach ($command in Get-Command -Module $module.Name | Sort-Object Name) {
    [ordered]@{
        Name          = $command.Name
        Verb          = $command.Verb
        Noun          = $command.Noun
        ParameterSets = @(foreach ($set in $command.ParameterSets) {
                [ordered]@{
                    Name       = $set.Name
                    IsDefault  = $set.IsDefault
                    Parameters = @(foreach ($p in $set.Parameters | Where-Object Name -NotIn $common) {
                            [ordered]@{
                                Name                            = $p.Name
                                IsMandatory                     = $p.IsMandatory
                                Position                        = [Math]::Max($p.Position, -1)
                                ValueFromPipeline               = $p.ValueFromPipeline
                                ValueFromPipelineByPropertyName = $p.ValueFromPipelineByPropertyName
                            }
                        })
                }
            })
        Parameters    = @(foreach ($p in $command.Parameters.Values | Where-Object Name -NotIn $common) {
                [ordered]@{
                    Name              = $p.Name
                    Type              = Get-TypeName $p.ParameterType
                    Aliases           = @($p.Aliases)
                    SupportsWildcards = [bool]@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count
                }
            })
    }
}
ConvertTo-Json -InputObject @($commands) -Depth 8 | Set-Content -Path $OutFile -Encoding utf8
