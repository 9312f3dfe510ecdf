<#
.SYNOPSIS
Packs the built module folder into <DestinationPath>/<Name>.<version>.nupkg with PSResourceGet's Compress-PSResource
(the packing half of Publish-PSResource: no repository is registered). build.ps1 -Task Package runs it in a fresh
pwsh whose HOME and XDG_DATA_HOME are temporary, because loading PSResourceGet creates its repository store in the
user's profile.
#>
param(
    [Parameter(Mandatory)][string] $ModuleDir,
    [Parameter(Mandatory)][string] $DestinationPath
)
$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.PSResourceGet
Compress-PSResource -Path $ModuleDir -DestinationPath $DestinationPath
