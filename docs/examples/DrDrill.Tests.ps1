<#
A Pester DR drill to adapt: back up the primary (with its configuration snapshot), then Test-ApimBackup:
restore it into the standby, verify it against the snapshot, judge the RTO against MaxRestoreMinutes, and
write the report (Markdown + JSON: where, who, RTO/RPO, history, carry-over actions; docs/drill-report.md).
It uses only ARM and storage through ApimDr's cmdlets, so it runs against Azure as it runs against the
bundled emulator. Run it with your own values:

    $data = @{ Drill = @{ SubscriptionId = '…'; ResourceGroupName = 'prod-rg'; PrimaryName = 'contoso-apim'
                          StandbyName = 'contoso-apim-dr'; StorageAccountName = 'contosodr'; ContainerName = 'apim'
                          MaxRestoreMinutes = 60; ReportPath = './drill' } }
    Invoke-Pester -Container (New-PesterContainer -Path ./DrDrill.Tests.ps1 -Data $data) -Output Detailed

Optional keys: StandbyResourceGroupName, StorageAccountKey (SecureString), BlobEndpoint, ResourceManagerUrl,
AccessToken (SecureString). Without AccessToken ApimDr uses your Az context or managed identity.
ReportPath (default: drill-report in the Pester run's TestDrive) is where the report is written.
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
    $script:reportPath = if ($Drill.ReportPath) { $Drill.ReportPath } else { Join-Path $TestDrive 'drill-report' }
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
        $target = @{ TargetSubscriptionId = $Drill.SubscriptionId; TargetResourceGroupName = $standbyGroup; TargetName = $Drill.StandbyName }
        $script:result = @(Test-ApimBackup @storage @arm @target -SourceServiceId $backup.ResourceId -BackupName $backup.BackupName `
                -MaxRto $maxRestore -ReportPath $reportPath -Force -ErrorVariable err -ErrorAction SilentlyContinue)[0]
        # A Failed result says why (its ErrorId); an unknown restore outcome is OperationOutcomeUnknown: it may have started.
        $result.Result | Should -Be 'Succeeded' -Because "$($result.ErrorId): $($result.Message) $($err | Select-Object -First 1)"
        $result.Rto | Should -BeLessThan $maxRestore
        Write-Host "Restore into $($Drill.StandbyName) took $($result.Rto) (RTO); the backup was $($result.Rpo) old (RPO)"
        $result.IsVerified | Should -BeTrue
        $err | Should -BeNullOrEmpty
    }

    It 'writes the report, with the carry-over actions to do by hand on the standby' {
        $report = Get-Content -Raw "$reportPath.json" | ConvertFrom-Json
        $report.result | Should -Be 'Succeeded'
        foreach ($a in $report.tests[0].actions) { Write-Host "TO DO on $($Drill.StandbyName): [$($a.area)] $($a.action)" }
        Write-Host "Report: $reportPath.md"
        $report.tests[0].informational.setting | Should -Contain 'sku.name'   # the SKUs match (a restore needs the same tier)
    }
}
