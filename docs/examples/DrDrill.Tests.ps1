<#
A Pester DR drill to adapt: back up the primary (with its configuration snapshot), restore into the
standby with -Verify, assert that the standby equals the snapshot, list what to carry over, report timings.
It uses only ARM and storage through ApimDr's cmdlets, so it runs against Azure as it runs against the
bundled emulator. Run it with your own values:

    $data = @{ Drill = @{ SubscriptionId = '…'; ResourceGroupName = 'prod-rg'; PrimaryName = 'contoso-apim'
                          StandbyName = 'contoso-apim-dr'; StorageAccountName = 'contosodr'; ContainerName = 'apim'
                          MaxRestoreMinutes = 60 } }
    Invoke-Pester -Container (New-PesterContainer -Path ./DrDrill.Tests.ps1 -Data $data) -Output Detailed

Optional keys: StandbyResourceGroupName, StorageAccountKey (SecureString), BlobEndpoint, ResourceManagerUrl,
AccessToken (SecureString). Without AccessToken ApimDr uses your Az context or managed identity.
For a written report (Markdown + JSON: RTO, RPO, differences, carry-over) run Invoke-ApimDrDrill.ps1 -ReportPath.
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
    It 'backs up the primary service with a configuration snapshot' {
        $script:backup = Backup-ApimService -SubscriptionId $Drill.SubscriptionId -ResourceGroupName $Drill.ResourceGroupName `
            -Name $Drill.PrimaryName @storage @arm
        $backup.Status | Should -Be 'Succeeded'
        Write-Host "Backup $($backup.BackupName) took $($backup.Duration)"
    }

    It 'finds the fresh backup and its snapshot in the catalog' {
        $script:entry = Get-ApimBackup @storage -ServiceName $Drill.PrimaryName | Where-Object BackupName -eq $backup.BackupName
        $entry.BackupName | Should -Be $backup.BackupName
        $entry.HasSnapshot | Should -BeTrue
        $entry.IsExpired | Should -BeFalse
        $entry.SizeBytes | Should -BeGreaterThan 0
    }

    It 'restores it into the standby within the allowed time, and the standby equals the snapshot' {
        $err = $null
        $out = @($entry | Restore-ApimService -SubscriptionId $Drill.SubscriptionId -ResourceGroupName $standbyGroup `
                -Name $Drill.StandbyName @storage @arm -Force -Verify -ErrorVariable err -ErrorAction SilentlyContinue)
        $script:restore = $out | Where-Object { $_.PSObject.TypeNames -contains 'ApimDr.ApimOperation' }
        $verification = $out | Where-Object { $_.PSObject.TypeNames -contains 'ApimDr.ApimRestoreVerification' }
        # No object after an unknown POST outcome, InProgress after a stopped wait: both may have started, so say so.
        $unknown = if ($restore) { $restore.Status -notin 'Succeeded', 'Failed', 'Canceled' } else { "$($err.FullyQualifiedErrorId)" -match 'OperationOutcomeUnknown' }
        $restore.Status | Should -Be 'Succeeded' -Because $(if ($unknown) { "its outcome is UNKNOWN, it may have started: $($err | Select-Object -First 1) $(if ($restore) { $restore.ResumeCommand() })" } else { "$($err | Select-Object -First 1)" })
        $restore.Duration | Should -BeLessThan $maxRestore
        Write-Host "Restore into $($Drill.StandbyName) took $($restore.Duration)"
        $verification.Differences | Format-Table | Out-String -Width 200 | Write-Host
        $err | Should -BeNullOrEmpty
        $verification.IsEqual | Should -BeTrue
    }

    It 'lists what the restore did not carry, the primary''s and the standby''s values side by side' {
        $carry = @(Compare-ApimConfiguration -Reference $backup.ResourceId -Difference $restore.ResourceId @arm -IncludeEqual | Where-Object { -not $_.IsRestorable })
        $carry | Format-Table Change, Property, Reference, Difference -AutoSize | Out-String -Width 400 | Write-Host
        $carry.Property | Should -Contain 'sku.name'
    }
}
