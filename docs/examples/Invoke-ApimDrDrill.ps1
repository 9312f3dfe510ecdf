<#
.SYNOPSIS
A disaster-recovery drill: back up the primary APIM service, find the backup in the catalog, restore
it into the standby, and report how long each step took (the measured RTO).

.DESCRIPTION
Adapt the parameters to your services. Authentication is whatever ApimDr would use anyway: -AccessToken,
a signed-in Az context (Connect-AzAccount), or managed identity (Azure Automation).
Returns a report object; -Verify gets the report and may throw to fail the drill (e.g. compare APIs).

.EXAMPLE
./Invoke-ApimDrDrill.ps1 -SubscriptionId $sub -ResourceGroupName prod-rg -PrimaryName contoso-apim `
    -StandbyResourceGroupName dr-rg -StandbyName contoso-apim-dr -StorageAccountName contosodr -ContainerName apim
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $SubscriptionId,
    [Parameter(Mandatory)][string] $ResourceGroupName,
    [Parameter(Mandatory)][string] $PrimaryName,
    [string] $StandbyResourceGroupName = $ResourceGroupName,
    [Parameter(Mandatory)][string] $StandbyName,
    [Parameter(Mandatory)][string] $StorageAccountName,
    [Parameter(Mandatory)][string] $ContainerName,
    [securestring] $StorageAccountKey,
    [uri] $BlobEndpoint,
    [uri] $ResourceManagerUrl,
    [securestring] $AccessToken,
    [scriptblock] $Verify
)
$ErrorActionPreference = 'Stop'
Import-Module ApimDr -ErrorAction SilentlyContinue

$arm = @{}
if ($ResourceManagerUrl) { $arm.ResourceManagerUrl = $ResourceManagerUrl }
if ($AccessToken) { $arm.AccessToken = $AccessToken }
$storage = @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName }
if ($StorageAccountKey) { $storage.StorageAccountKey = $StorageAccountKey }
if ($BlobEndpoint) { $storage.BlobEndpoint = $BlobEndpoint }

$drillStart = [DateTime]::UtcNow
$backup = Backup-ApimService -SubscriptionId $SubscriptionId -ResourceGroupName $ResourceGroupName -Name $PrimaryName @storage @arm
if ($backup.Status -ne 'Succeeded') { throw "Backup of $PrimaryName ended $($backup.Status): $($backup.ErrorCode) $($backup.ErrorMessage)" }

$catalogArgs = @{ StorageAccountName = $StorageAccountName; ContainerName = $ContainerName; BackupName = $backup.BackupName }
if ($StorageAccountKey) { $catalogArgs.StorageAccountKey = $StorageAccountKey }
if ($BlobEndpoint) { $catalogArgs.BlobEndpoint = $BlobEndpoint }
$entry = Get-ApimBackup @catalogArgs

$restoreStart = [DateTime]::UtcNow
# A non-standard blob endpoint (Azurite, private storage) is sent only when named on the command line:
# ApimDr never sends storage credentials to an endpoint read from a piped object.
$restoreStorage = @{}
if ($StorageAccountKey) { $restoreStorage.StorageAccountKey = $StorageAccountKey }
if ($BlobEndpoint) { $restoreStorage.BlobEndpoint = $BlobEndpoint }
$restore = $entry | Restore-ApimService -SubscriptionId $SubscriptionId -ResourceGroupName $StandbyResourceGroupName -Name $StandbyName -Force @arm @restoreStorage
if ($restore.Status -ne 'Succeeded') { throw "Restore into $StandbyName ended $($restore.Status): $($restore.ErrorCode) $($restore.ErrorMessage)" }

$report = [pscustomobject]@{
    PSTypeName      = 'ApimDr.DrillReport'
    Primary         = $PrimaryName
    Standby         = $StandbyName
    BackupName      = $backup.BackupName
    BackupSizeBytes = $entry.SizeBytes
    BackupDuration  = $backup.Duration
    RestoreDuration = $restore.Duration
    RTO             = [DateTime]::UtcNow - $restoreStart
    Total           = [DateTime]::UtcNow - $drillStart
    Result          = 'Succeeded'
}
if ($Verify) { & $Verify $report }
$report
