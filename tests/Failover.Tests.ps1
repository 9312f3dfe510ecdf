#Requires -Modules Pester
# Survive the region (issue 18): with the primary region down in the emulator (its ARM calls answer 503,
# its storage refuses connections), a backup's verified replica in the second region restores into the
# standby there, with -Verify, and nothing is sent to the lost region. A soft-deleted target says so.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix fo
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
    $script:primary = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    $script:replica = @{ StorageAccountName = $t.ReplicaAccountName; StorageAccountKey = $t.ReplicaKey; BlobEndpoint = $t.ReplicaBlobEndpoint }
    $script:lost = $t.StorageLocation      # West Europe: prod and the primary account
    $script:name = New-BackupName
    $script:ops = @(Backup-ApimService @prod @arm @primary -ContainerName $container -BackupName $name `
        -ReplicaStorageAccountName $t.ReplicaAccountName -ReplicaContainerName $container -ReplicaStorageAccountKey $t.ReplicaKey -ReplicaBlobEndpoint $t.ReplicaBlobEndpoint)
}

AfterAll {
    Reset-Emulator
}

Describe 'Failover to the second region' {
    It 'has a verified replica in the second region before the disaster' {
        ($ops | Where-Object { $_ -is [ApimDr.ApimOperation] }).Status | Should -Be 'Succeeded'
        $r = Get-ApimBackup @replica -ContainerName $container -BackupName $name
        $r.ReplicaOf | Should -Be "$($t.StorageAccountName)/$container/$name"
        $r.HasSnapshot | Should -BeTrue
    }

    Context 'the primary region is down' {
        BeforeAll {
            $script:outage = Start-EmulatorRegionOutage -Location $lost
        }
        AfterAll {
            $null = Stop-EmulatorRegionOutage -Location $lost
        }

        It 'really is down: prod cannot be read and the primary storage refuses connections' {
            $err = $null
            Get-ApimBackup @primary -ContainerName $container -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageUnreachable,*'
            Test-LoopbackConnection -Url $t.BlobEndpoint | Should -Be 'Refused'
        }

        It 'restores the replica into the standby of the other region with -Verify, sending nothing to the lost region' {
            $warnings = $null
            $out = @(Get-ApimBackup @replica -ContainerName $container -ServiceName prod | Select-Object -First 1 |
                Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby-ne @arm -StorageAccountKey $t.ReplicaKey -BlobEndpoint $t.ReplicaBlobEndpoint -Verify -Force -WarningVariable warnings)
            ($out | Where-Object { $_ -is [ApimDr.ApimOperation] }).Status | Should -Be 'Succeeded'
            $v = $out | Where-Object { $_ -is [ApimDr.ApimRestoreVerification] }
            $v.IsEqual | Should -BeTrue
            $v.SourceServiceName | Should -Be 'prod'
            $warnings | Should -BeNullOrEmpty
            (Get-ApimBackup @replica -ContainerName $container -BackupName $name).ActiveRestores | Should -Be 0   # its in-use mark cleared, in the replica's account
            $after = @(Get-EmulatorRequestLog | Where-Object { $_.sequence -gt $outage.outage.sequence -and $_.listener -eq 'arm' })
            $after | Should -Not -BeNullOrEmpty
            @($after | Where-Object region -eq $lost) | Should -BeNullOrEmpty
        }
    }
}

Describe 'The drill in failover mode' {
    It 'restores the newest verified replica with the primary region down, reports RPO as its age, and lists what it could not check' {
        $outage = Start-EmulatorRegionOutage -Location $lost
        try {
            $examples = Join-Path (Split-Path $PSScriptRoot) 'docs/examples'
            $base = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'failover')
            $report = & "$examples/Invoke-ApimDrDrill.ps1" -SubscriptionId $sub -ResourceGroupName $rg -PrimaryName prod -StandbyName standby-ne -PrimaryUnavailable `
                -ReplicaStorageAccountName $t.ReplicaAccountName -ReplicaContainerName $container -ReplicaStorageAccountKey $t.ReplicaKey -ReplicaBlobEndpoint $t.ReplicaBlobEndpoint `
                -ResourceManagerUrl $e.ArmUrl -AccessToken $token -ReportPath $base
            $report.result | Should -Be 'Succeeded'
            $test = $report.tests[0]
            $test.backup.isReplica | Should -BeTrue
            $test.backup.name | Should -Be $name
            $test.backup.location | Should -Be "$($t.ReplicaAccountName)/$container"
            $test.rpo.seconds | Should -BeGreaterThan 0
            $test.changesSinceSnapshot.checked | Should -BeFalse
            @($test.notChecked | Where-Object { $_ -match 'changes on prod since the snapshot: not checked: the source was declared unavailable' }).Count | Should -Be 1
            @($test.actions) + @($test.informational) | Should -Not -BeNullOrEmpty   # the backup's snapshot values stand in for prod's
            @(Get-EmulatorRequestLog | Where-Object { $_.sequence -gt $outage.outage.sequence -and $_.region -eq $lost }) | Should -BeNullOrEmpty

            $doc = Get-Content -Raw (Join-Path (Split-Path $PSScriptRoot) 'docs/drill-report.md')
            $schema = [regex]::Match($doc, '(?s)```json\r?\n(.*?)```').Groups[1].Value
            Test-Json -Json (Get-Content -Raw "$base.json") -Schema $schema -ErrorAction SilentlyContinue | Should -BeTrue
            Get-Content -Raw "$base.md" | Should -Match '### Not checked'
        } finally {
            $null = Stop-EmulatorRegionOutage -Location $lost
            Remove-Item "$base.md", "$base.json" -ErrorAction SilentlyContinue
        }
    }
}

Describe 'A soft-deleted restore target' {
    It 'is named in the pre-flight with its purge date; nothing is purged or undeleted' {
        $id = Get-ApimServiceId standby-ne
        $deleted = Invoke-ArmRequest -Method DELETE -Url "$(Get-ArmServiceUrl standby-ne)?api-version=2024-05-01"
        $deleted.Status | Should -BeIn @(200, 202)
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ((Invoke-ArmRequest -Url "$(Get-ArmServiceUrl standby-ne)?api-version=2024-05-01").Status -ne 404 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 500 }
        Clear-EmulatorRequestLog
        $err = $null
        Restore-ApimService -ResourceId $id -BackupName $name @arm @replica -ContainerName $container -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceSoftDeleted,*'
        "$($err[0])" | Should -Match 'North Europe'
        "$($err[0])" | Should -Match 'deletedservice purge'
        @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' -and $_.method -ne 'GET' }) | Should -BeNullOrEmpty
    }
}
