<#
A Pester DR drill to adapt: back up the primary, restore into the standby, assert, report timings.
Run it with your own values:

    $data = @{ Drill = @{ SubscriptionId = '…'; ResourceGroupName = 'prod-rg'; PrimaryName = 'contoso-apim'
                          StandbyName = 'contoso-apim-dr'; StorageAccountName = 'contosodr'; ContainerName = 'apim'
                          MaxRestoreMinutes = 60 } }
    Invoke-Pester -Container (New-PesterContainer -Path ./DrDrill.Tests.ps1 -Data $data) -Output Detailed

Optional keys: StandbyResourceGroupName, StorageAccountKey (SecureString), BlobEndpoint, ResourceManagerUrl,
AccessToken (SecureString). Without AccessToken ApimDr uses your Az context or managed identity.
#>
param([Parameter(Mandatory)][hashtable] $Drill)

BeforeAll {
    Import-Module ApimDr -ErrorAction SilentlyContinue
    $script:arm = @{}
    foreach ($k in 'ResourceManagerUrl', 'AccessToken') { if ($Drill[$k]) { $arm[$k] = $Drill[$k] } }
    $script:storage = @{ StorageAccountName = $Drill.StorageAccountName; ContainerName = $Drill.ContainerName }
    foreach ($k in 'StorageAccountKey', 'BlobEndpoint') { if ($Drill[$k]) { $storage[$k] = $Drill[$k] } }
    $script:standbyGroup = if ($Drill.StandbyResourceGroupName) { $Drill.StandbyResourceGroupName } else { $Drill.ResourceGroupName }
    $script:maxRestore = if ($Drill.MaxRestoreMinutes) { [TimeSpan]::FromMinutes($Drill.MaxRestoreMinutes) } else { [TimeSpan]::FromHours(1) }
}

Describe 'APIM disaster-recovery drill' {
    It 'backs up the primary service' {
        $script:backup = Backup-ApimService -SubscriptionId $Drill.SubscriptionId -ResourceGroupName $Drill.ResourceGroupName `
            -Name $Drill.PrimaryName @storage @arm
        $backup.Status | Should -Be 'Succeeded'
        Write-Host "Backup $($backup.BackupName) took $($backup.Duration)"
    }

    It 'finds the fresh backup in the catalog' {
        $script:entry = Get-ApimBackup @storage -BackupName $backup.BackupName
        $entry.BackupName | Should -Be $backup.BackupName
        $entry.IsExpired | Should -BeFalse
        $entry.SizeBytes | Should -BeGreaterThan 0
    }

    It 'restores it into the standby within the allowed time' {
        $script:restore = Restore-ApimService -SubscriptionId $Drill.SubscriptionId -ResourceGroupName $standbyGroup `
            -Name $Drill.StandbyName -BackupName $backup.BackupName @storage @arm -Force
        $restore.Status | Should -Be 'Succeeded'
        $restore.Duration | Should -BeLessThan $maxRestore
        Write-Host "Restore into $($Drill.StandbyName) took $($restore.Duration)"
    }
}
