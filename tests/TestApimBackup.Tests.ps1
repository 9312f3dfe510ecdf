#Requires -Modules Pester
# Tested backups and a DR posture (issue 19): Test-ApimBackup restores each source's newest restorable backup
# (a verified replica first) into its standby and verifies it, one result per source as soon as it is done,
# recorded beside the backups; Get-ApimDrStatus reads that history and the catalogs, storage only.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix tb
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
    $script:primary = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    $script:replica = @{ ReplicaStorageAccountName = $t.ReplicaAccountName; ReplicaContainerName = $container; ReplicaStorageAccountKey = $t.ReplicaKey; ReplicaBlobEndpoint = $t.ReplicaBlobEndpoint }
    # prod: a backup with a verified replica in the second region; standby: a backup of its own (a second source).
    $script:prodOps = @(Backup-ApimService @prod @arm @primary @replica)
    $script:standbyOps = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @primary)
    $script:prodBackup = ($prodOps | Where-Object { $_ -is [ApimDr.ApimOperation] }).BackupName
    $script:standbyBackup = ($standbyOps | Where-Object { $_ -is [ApimDr.ApimOperation] }).BackupName

    function Get-HistoryBlob([string] $Source, [ValidateSet('Primary', 'Replica')][string] $Account = 'Primary') {
        Get-TestBlobName -Container $container -Prefix "apimdr-history/$Source/" -Account $Account
    }
}

AfterAll {
    Reset-Emulator
}

Describe 'Test-ApimBackup' {
    It 'has what it tests: two sources with restorable backups, prod''s with a verified replica' {
        ($prodOps + $standbyOps | Where-Object { $_ -is [ApimDr.ApimOperation] }).Status | Should -Be @('Succeeded', 'Succeeded')
        (Get-ApimBackup @primary -BackupName $prodBackup).Replicas | Should -Be @("$($t.ReplicaAccountName)/$container")
    }

    It 'refuses a SKU-mismatched target with a Failed result before any restore request (prod → standby-standard)' {
        Clear-EmulatorRequestLog
        $err = $null
        $r = @(Test-ApimBackup @primary @arm -ServiceName prod -TargetName standby-standard -Force -ErrorVariable err -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 1
        $r[0] | Should -BeOfType ApimDr.ApimBackupTestResult
        $r[0].Result | Should -Be 'Failed'
        $r[0].ErrorId | Should -Be 'SkuMismatch'
        $r[0].RestoreStatus | Should -BeNullOrEmpty
        $r[0].BackupName | Should -Be $prodBackup
        $r[0].TargetServiceName | Should -Be 'standby-standard'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'
        Get-EmulatorActionPost -Action restore | Should -BeNullOrEmpty
    }

    It 'checks -AccessType and -IdentityClientId against the keys before any request: a key with a managed-identity access type is ConflictingAccessType' {
        foreach ($case in @{ AccessType = 'UserAssignedManagedIdentity'; IdentityClientId = [guid]::NewGuid() }, @{ IdentityClientId = [guid]::NewGuid() }, @{ AccessType = 'SystemAssignedManagedIdentity' }) {
            Clear-EmulatorRequestLog
            $counter = Start-StorageRequestCounter
            $err = $null
            try {
                Test-ApimBackup @primary @arm -BlobEndpoint $counter.BlobEndpoint -ServiceName prod -TargetName standby -Force @case -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
                $requests = $counter.Count
            } finally {
                $counter.Dispose()
            }
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ConflictingAccessType,*'
            $requests | Should -Be 0
            Get-EmulatorRequestLog | Should -BeNullOrEmpty
        }
    }

    It 'refuses two sources mapped to one target before any request' {
        Clear-EmulatorRequestLog
        $err = $null
        Test-ApimBackup @primary @arm -TargetMap @{ prod = 'standby-ne'; standby = 'standby-ne' } -Force -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupTestTargetConflict,*'
        "$($err[0])" | Should -Match 'standby-ne'
        Get-EmulatorRequestLog | Should -BeNullOrEmpty
    }

    It '-WhatIf restores nothing and records nothing' {
        Clear-EmulatorRequestLog
        $before = (Get-HistoryBlob prod).Count
        Test-ApimBackup @primary @arm -ServiceName prod -TargetName standby -WhatIf | Should -BeNullOrEmpty
        # what would fail is said (the read-only pre-flight runs), and still nothing is written
        $err = $null
        Test-ApimBackup @primary @arm -ServiceName prod -TargetName standby-standard -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'
        @(Get-EmulatorRequestLog | Where-Object { $_.method -ne 'GET' }) | Should -BeNullOrEmpty
        (Get-HistoryBlob prod).Count | Should -Be $before
    }

    Context 'two sources in one wait' {
        BeforeAll {
            # The restore into standby-ne runs 8 s, the one into standby 1 s.
            $null = Set-EmulatorSetting @{ serviceDurationSeconds = @{ 'standby-ne' = 8 } }
            Clear-EmulatorRequestLog
            $script:arrivals = [System.Collections.Generic.List[object]]::new()
            $script:reportBase = Join-Path $TestDrive 'two-sources'
            Test-ApimBackup @primary @arm -TargetMap @{ prod = 'standby'; standby = 'standby-ne' } -Force -WarningVariable script:warnings -ReportPath "$reportBase.md" -MaxRto '00:00:06' |
                ForEach-Object { $arrivals.Add([pscustomobject]@{ At = [DateTime]::UtcNow; Result = $_ }) }
            $null = Set-EmulatorSetting @{ serviceDurationSeconds = $null }
        }

        It 'returns one verified result per source' {
            $arrivals.Count | Should -Be 2
            foreach ($a in $arrivals) {
                $a.Result.Result | Should -Be 'Succeeded'
                $a.Result.RestoreStatus | Should -Be 'Succeeded'
                $a.Result.IsVerified | Should -BeTrue
                $a.Result.Differences | Should -Be 0
                $a.Result.CarryOver | Should -Not -BeNullOrEmpty
                $a.Result.Rto | Should -BeGreaterThan ([TimeSpan]::Zero)
                $a.Result.Rpo | Should -BeGreaterThan $a.Result.Rto
                $a.Result.IsReplica | Should -BeFalse
                $a.Result.ErrorId | Should -BeNullOrEmpty
            }
            ($arrivals.Result | Sort-Object SourceServiceName).TargetServiceName | Should -Be @('standby', 'standby-ne')
            ($arrivals.Result | Where-Object SourceServiceName -eq 'standby').BackupName | Should -Be $standbyBackup
            $warnings | Should -BeNullOrEmpty
            $table = $arrivals.Result | Out-String -Width 200
            $table | Should -Match 'prod\s+standby\s+Succeeded'    # the default table: source, target, result
        }

        It 'writes the fast source''s result while the slow restore still runs' {
            $arrivals[0].Result.SourceServiceName | Should -Be 'prod'
            $arrivals[1].Result.SourceServiceName | Should -Be 'standby'
            $arrivals[0].At | Should -BeLessThan $arrivals[1].Result.EndTime.AddSeconds(-3)
            $arrivals[0].At | Should -BeLessThan ([DateTime]::Parse((Get-EmulatorRequestLog | Where-Object { $_.method -eq 'GET' -and $_.url -match '/standby-ne/operationresults/' } | Select-Object -Last 1).time).ToUniversalTime())
        }

        It 'writes ONE report for both sources (-ReportPath), judging each RTO against -MaxRto' {
            Test-Path "$reportBase.md" | Should -BeTrue
            $report = Get-Content -Raw "$reportBase.json" | ConvertFrom-Json -DateKind String
            $report.tests.source.name | Should -Be @('prod', 'standby')          # in the order they ended
            ($report.tests | Where-Object { $_.source.name -eq 'prod' }).rto.verdict | Should -Be 'met'
            ($report.tests | Where-Object { $_.source.name -eq 'standby' }).rto.verdict | Should -Be 'missed'   # its restore ran 8 s
            $report.targets.maxRtoSeconds | Should -Be 6
            $report.targets.maxRpoSeconds | Should -BeNullOrEmpty
            ($report.tests | Where-Object { $_.source.name -eq 'prod' }).rpo.verdict | Should -Be 'no target'
            $report.result | Should -Be 'Failed'                                  # every test passed, but a target was missed
            $report.summary | Should -Match '2 restored and verified, 0 failed; 1 missed an RTO/RPO target'
            ($report.history.source | Sort-Object -Unique) | Should -Be @('prod', 'standby')
            Get-Content -Raw "$reportBase.md" | Should -Match '\| standby \| standby-ne \| .* \| Succeeded \| [\d.]+ s \| missed \|'
        }

        It 'started both restores before either ended (one wait, not one after the other)' {
            $posts = @(Get-EmulatorActionPost -Action restore)
            $posts.Count | Should -Be 2
            $lastPost = ($posts | ForEach-Object { [DateTime]::Parse($_.time).ToUniversalTime() } | Sort-Object)[-1]
            $lastPost | Should -BeLessThan ($arrivals.Result.EndTime | Sort-Object)[0]
        }
    }

    It 'tests the verified replica when the replica container is given' {
        $r = @(Test-ApimBackup @primary @arm @replica -ServiceName prod -TargetName standby-ne -Force)
        $r.Count | Should -Be 1
        $r[0].IsReplica | Should -BeTrue
        $r[0].BackupLocation | Should -Be "$($t.ReplicaAccountName)/$container"
        $r[0].BackupName | Should -Be $prodBackup
        $r[0].Result | Should -Be 'Succeeded'
        $r[0].IsVerified | Should -BeTrue
    }

    It 'tests the newest restorable of the backups piped from Get-ApimBackup' {
        $r = @(Get-ApimBackup @primary -ServiceName standby | Test-ApimBackup -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint @arm -TargetName standby-ne -Force)
        $r.Count | Should -Be 1
        $r[0].SourceServiceName | Should -Be 'standby'
        $r[0].BackupName | Should -Be $standbyBackup
        $r[0].Result | Should -Be 'Succeeded'
    }

    It 'records every test beside the tested backup, passed and failed, without a secret' {
        $names = Get-HistoryBlob prod
        $names.Count | Should -Be 2      # the SKU mismatch and the two-source test (the replica test is in the replica account)
        $texts = $names | ForEach-Object { Get-TestBlobContent -Container $container -Name $_ }
        $records = $texts | ForEach-Object { $_ | ConvertFrom-Json }
        ($records.result | Sort-Object) | Should -Be @('Failed', 'Succeeded')
        ($records | Where-Object result -eq 'Failed').errorId | Should -Be 'SkuMismatch'
        (Get-HistoryBlob standby).Count | Should -Be 2      # the two-source test and the piped one
        (Get-HistoryBlob prod -Account Replica).Count | Should -Be 1
        foreach ($text in $texts) {
            $text | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
            $text | Should -Not -Match ([regex]::Escape($e.Token))
            $text | Should -Not -Match 'sig='
        }
    }

    It 'makes a restore the service fails a Failed result with its ErrorId, and the other source still passes' {
        # In a container of its own: prod's backup there has a manifest that does not say its SKU, so the
        # pre-flight cannot refuse it; the service fails the restore into a Standard target at its last poll.
        $other = New-TestName 'tbf'
        $at = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $other; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
        $prodName = (Backup-ApimService @prod @arm @at | Where-Object { $_ -is [ApimDr.ApimOperation] }).BackupName
        $null = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @at
        $manifest = Get-TestBlobContent -Container $other -Name "$prodName.apimdr.json" | ConvertFrom-Json
        $manifest.PSObject.Properties.Remove('sourceSku')
        New-TestBlob -Container $other -Name "$prodName.apimdr.json" -Content ($manifest | ConvertTo-Json -Depth 5)
        Clear-EmulatorRequestLog
        $err = $null
        $r = @(Test-ApimBackup @at @arm -TargetMap @{ prod = 'standby-standard'; standby = 'standby-ne' } -Force -ErrorVariable err -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 2
        $failed = $r | Where-Object SourceServiceName -eq 'prod'
        $failed.Result | Should -Be 'Failed'
        $failed.RestoreStatus | Should -Be 'Failed'
        $failed.ErrorId | Should -Be 'SkuMismatch'
        $failed.IsVerified | Should -BeFalse
        $failed.Rto | Should -BeNullOrEmpty
        ($r | Where-Object SourceServiceName -eq 'standby').Result | Should -Be 'Succeeded'
        @($err | Where-Object { $_.FullyQualifiedErrorId -like 'SkuMismatch,*' }).Count | Should -Be 1
        @(Get-EmulatorActionPost -Action restore).Count | Should -Be 2
        @(Get-TestBlobName -Container $other -Prefix 'apimdr-history/prod/').Count | Should -Be 1
    }

    It 'refuses a -ReportPath that is not a file-system path, and an RTO target under a second, before any request' -TestCases @(
        @{ Parameters = @{ ReportPath = 'Env:\apimdr-report' }; ErrorId = 'InvalidReportPath' }
        @{ Parameters = @{ ReportPath = ' ' }; ErrorId = 'InvalidReportPath' }
        @{ Parameters = @{ MaxRto = 30 }; ErrorId = 'InvalidRetentionRule' }
    ) {
        param($Parameters, $ErrorId)
        Clear-EmulatorRequestLog
        $err = $null
        Test-ApimBackup @primary @arm @Parameters -ServiceName prod -TargetName standby -Force -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        Get-EmulatorRequestLog | Should -BeNullOrEmpty
    }

    It 'keeps the results when the report cannot be written (ReportWriteFailed after them), and reports a refused source' {
        # In a container of its own, so the status tests below see none of this.
        $at = @{ StorageAccountName = $t.StorageAccountName; ContainerName = (New-TestName 'tbr'); StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
        $null = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @at
        $file = Join-Path $TestDrive 'a-file'
        Set-Content -Path $file -Value 'in the way'
        $err = $null
        $r = @(Test-ApimBackup @at @arm -ServiceName standby -TargetName standby-standard -Force -ReportPath (Join-Path $file 'sub/report') -ErrorVariable err -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 1
        $r[0].ErrorId | Should -Be 'SkuMismatch'
        @($err | ForEach-Object { "$($_.FullyQualifiedErrorId)".Split(',')[0] }) | Should -Be @('SkuMismatch', 'ReportWriteFailed')

        $base = Join-Path $TestDrive 'refused'
        $null = Test-ApimBackup @at @arm -ServiceName standby -TargetName standby-standard -Force -ReportPath $base -ErrorAction SilentlyContinue
        $report = Get-Content -Raw "$base.json" | ConvertFrom-Json
        $report.result | Should -Be 'Failed'
        $report.tests[0].errorId | Should -Be 'SkuMismatch'
        $report.tests[0].restoreStatus | Should -BeNullOrEmpty
        $report.tests[0].notChecked | Should -Match 'not verified \(SkuMismatch\)'
        @($report.history).Count | Should -Be 2     # both refusals are recorded beside the backup
    }

    It 'keeps the history out of the backup catalog' {
        (Get-ApimBackup @primary).BackupName | Should -Not -Match 'apimdr-history'
    }
}

Describe 'Get-ApimDrStatus' {
    BeforeAll {
        $script:within = @{ MaxBackupAge = (New-TimeSpan -Hours 1); MaxTestAge = (New-TimeSpan -Hours 1); MinRestorableDays = 29 }
    }

    It 'is healthy within the targets, from storage alone' {
        Clear-EmulatorRequestLog
        $s = @(Get-ApimDrStatus @primary @replica @within -RequireReplica -ServiceName prod)
        $s.Count | Should -Be 1
        $s[0].IsHealthy | Should -BeTrue
        $s[0].Issues | Should -BeNullOrEmpty
        $s[0].LatestBackupName | Should -Be $prodBackup
        $s[0].LatestReplicaName | Should -Be $prodBackup
        $s[0].RestorableDaysLeft | Should -BeGreaterThan 29
        $s[0].LastTestResult | Should -Be 'Succeeded'
        $s[0].LastTest.IsReplica | Should -BeTrue       # the newest test, from the replica account's history
        $s[0].LastTestRto | Should -BeGreaterThan ([TimeSpan]::Zero)
        Get-EmulatorRequestLog | Should -BeNullOrEmpty
    }

    It 'lists one row per source service' {
        $rows = @(Get-ApimDrStatus @primary)
        $rows.SourceServiceName | Should -Be @('prod', 'standby')
        ($rows | Out-String -Width 200) | Should -Match 'prod\s+True'    # the default table: source, healthy
    }

    It 'is unhealthy past -MaxBackupAge' {
        Start-Sleep -Milliseconds 1100
        $s = Get-ApimDrStatus @primary -ServiceName prod -MaxBackupAge (New-TimeSpan -Seconds 1)
        $s.IsHealthy | Should -BeFalse
        $s.Issues | Should -HaveCount 1
        $s.Issues[0] | Should -Match 'MaxBackupAge'
    }

    It 'is unhealthy without a replica when -RequireReplica' {
        $s = Get-ApimDrStatus @primary @replica -ServiceName standby -RequireReplica
        $s.LatestReplicaName | Should -BeNullOrEmpty
        $s.IsHealthy | Should -BeFalse
        $s.Issues | Should -Be @('no restorable verified replica (-RequireReplica)')
        # prod has one, also known from its manifest without the replica container
        (Get-ApimDrStatus @primary -ServiceName prod -RequireReplica).IsHealthy | Should -BeTrue
    }

    It 'is unhealthy with no recent test when -MaxTestAge' {
        $s = Get-ApimDrStatus @primary -ServiceName standby -MaxTestAge (New-TimeSpan -Seconds 1)
        $s.IsHealthy | Should -BeFalse
        $s.Issues[0] | Should -Match 'last test was .* ago, over -MaxTestAge'
    }

    It 'is unhealthy when the last test failed' {
        $null = Test-ApimBackup @primary @arm -ServiceName standby -TargetName standby-standard -Force -ErrorAction SilentlyContinue
        $s = Get-ApimDrStatus @primary -ServiceName standby
        $s.IsHealthy | Should -BeFalse
        $s.Issues[0] | Should -Match 'last test failed \(SkuMismatch\)'
    }

    It 'reports from the replica while the primary region is down: the unreadable primary is an Issue and a StorageUnreachable error' {
        $lost = $t.StorageLocation      # West Europe: the primary account
        $null = Start-EmulatorRegionOutage -Location $lost
        try {
            $err = $null
            $s = @(Get-ApimDrStatus @primary @replica -ServiceName prod -ErrorVariable err -ErrorAction SilentlyContinue)
        } finally {
            $null = Stop-EmulatorRegionOutage -Location $lost
        }
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageUnreachable,*'
        $s.Count | Should -Be 1
        $s[0].LatestBackupName | Should -BeNullOrEmpty           # the primary's own backups could not be read
        $s[0].LatestReplicaName | Should -Be $prodBackup          # the replica region still answers
        $s[0].RestorableDaysLeft | Should -BeGreaterThan 29
        $s[0].IsHealthy | Should -BeFalse
        $s[0].Issues[0] | Should -Be "primary container $($t.StorageAccountName)/$container could not be read (StorageUnreachable)"
        # Without a replica container there is nothing else to read: the error alone, no row.
        $null = Start-EmulatorRegionOutage -Location $lost
        try {
            $err = $null
            Get-ApimDrStatus @primary -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        } finally {
            $null = Stop-EmulatorRegionOutage -Location $lost
        }
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageUnreachable,*'
    }

    It 'refuses an age under one second before any request' {
        $err = $null
        Get-ApimDrStatus @primary -MaxBackupAge 30 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRetentionRule,*'
    }

    Context 'the examples' {
        BeforeAll {
            $script:examples = Join-Path (Split-Path $PSScriptRoot) 'docs/examples'
        }

        It 'the runbook step passes when healthy and fails the job when not' {
            $ok = & "$examples/Assert-ApimDrPosture.ps1" @primary -ServiceName prod -MaxBackupAge (New-TimeSpan -Hours 1) -MaxTestAge (New-TimeSpan -Hours 1)
            "$ok" | Should -Match 'prod: healthy'
            { & "$examples/Assert-ApimDrPosture.ps1" @primary -ServiceName standby } | Should -Throw '*standby: last test failed (SkuMismatch)*'
        }

        It 'the Pester check passes when healthy and fails when not' {
            $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; Pester = $env:APIMDR_TEST_PESTER_PATH; Examples = $examples
                Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint; Container = $container
                ReplicaAccount = $t.ReplicaAccountName; ReplicaKey = $t.ReplicaKeyText; ReplicaBlob = $t.ReplicaBlobEndpoint } -ScriptBlock {
                param($Path, $Pester, $Examples, $Account, $Key, $Blob, $Container, $ReplicaAccount, $ReplicaKey, $ReplicaBlob)
                Import-Module $Pester
                Import-Module $Path
                foreach ($service in 'prod', 'standby') {
                    $posture = @{ StorageAccountName = $Account; ContainerName = $Container; StorageAccountKey = (ConvertTo-SecureString $Key -AsPlainText -Force); BlobEndpoint = $Blob
                        ReplicaStorageAccountName = $ReplicaAccount; ReplicaContainerName = $Container; ReplicaStorageAccountKey = (ConvertTo-SecureString $ReplicaKey -AsPlainText -Force); ReplicaBlobEndpoint = $ReplicaBlob
                        ServiceName = $service; MaxBackupAge = '01:00:00'; MaxTestAge = '01:00:00'; MinRestorableDays = 7 }
                    $result = Invoke-Pester -Container (New-PesterContainer -Path "$Examples/DrPosture.Tests.ps1" -Data @{ Posture = $posture }) -PassThru -Output None
                    [pscustomobject]@{ Service = $service; Passed = $result.PassedCount; Failed = $result.FailedCount }
                }
            }
            ($r | Where-Object Service -eq prod).Failed | Should -Be 0
            ($r | Where-Object Service -eq prod).Passed | Should -Be 2
            ($r | Where-Object Service -eq standby).Failed | Should -Be 1
        }
    }
}
