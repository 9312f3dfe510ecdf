<#
.SYNOPSIS
Runbook, part 1: start a backup of every APIM service given, without waiting, and save the
operations so a later job can wait for them (Azure Automation stops jobs after 3 hours).

.DESCRIPTION
In Azure Automation (managed identity; no Connect-AzAccount needed by ApimDr):
    $services = Get-AzApiManagement -ResourceGroupName prod-rg
    ./Start-FleetBackup.ps1 -Service $services -StorageAccountName drstore -ContainerName apim -OperationsPath $env:TEMP/ops.xml
then persist the file (e.g. to a blob or an Automation variable with Set-AutomationVariable).
Any object with Id (or Name + ResourceGroupName) binds; Get-AzApiManagement output does.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][object[]] $Service,
    [Parameter(Mandatory)][string] $StorageAccountName,
    [Parameter(Mandatory)][string] $ContainerName,
    [Parameter(Mandatory)][string] $OperationsPath,
    [ValidateSet('AccessKey', 'SystemAssignedManagedIdentity', 'UserAssignedManagedIdentity')]
    [string] $AccessType = 'SystemAssignedManagedIdentity',
    [guid] $IdentityClientId,
    [securestring] $StorageAccountKey,
    # The storage account's blob endpoint when it is not the standard host (a private endpoint, an emulator).
    [uri] $BlobEndpoint,
    [uri] $ResourceManagerUrl
)
$ErrorActionPreference = 'Stop'
Import-Module ApimDr -ErrorAction SilentlyContinue

$options = @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName; AccessType = $AccessType; NoWait = $true }
if ($IdentityClientId) { $options.IdentityClientId = $IdentityClientId }
if ($StorageAccountKey) { $options.StorageAccountKey = $StorageAccountKey }
if ($BlobEndpoint) { $options.BlobEndpoint = $BlobEndpoint }
if ($ResourceManagerUrl) { $options.ResourceManagerUrl = $ResourceManagerUrl }

# Errors for single services are reported and the others still start; every started one is saved.
$operations = @($Service | Backup-ApimService @options -ErrorAction Continue)
$operations | Export-Clixml -Path $OperationsPath
Write-Output ("Started {0} backup(s); operations saved to {1}" -f $operations.Count, $OperationsPath)
