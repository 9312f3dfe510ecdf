#Requires -Modules Pester
# Replicas (issue 18): Copy-ApimBackup copies a backup — blob, snapshot, manifest — verified against the MD5 of
# the source's bytes; the catalog knows replicas; retention can spare what has no replica; a restore refuses
# a replica whose bytes changed.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix rp
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
    $script:common = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    $script:account2 = $env:APIMDR_TEST_STORAGE_ACCOUNT2
    $script:key2 = ConvertTo-SecureString $env:APIMDR_TEST_STORAGE_KEY2 -AsPlainText -Force
    $script:endpoint2 = "$($env:APIMDR_TEST_BLOB_SERVICE_URL)/$account2"
    $script:second = @{ StorageAccountName = $account2; StorageAccountKey = $key2; BlobEndpoint = $endpoint2 }

    $script:source = New-TestName 'src'
    $script:backupName = New-BackupName
    $null = Backup-ApimService @prod @arm @common -ContainerName $source -BackupName $backupName
    $script:unreplicated = New-BackupName 'lonely-'
    $null = Backup-ApimService @prod @arm @common -ContainerName $source -BackupName $unreplicated -SkipSnapshot
    $script:other = New-BackupName 'other-'
    $null = Backup-ApimService @prod @arm @common -ContainerName $source -BackupName $other -SkipSnapshot
}

AfterAll {
    Reset-Emulator
}

Describe 'Copy-ApimBackup' {
    Context 'to a second storage account' {
        BeforeAll {
            $script:replicaContainer = New-TestName 'dst'
            $script:replica = Get-ApimBackup @common -ContainerName $source -BackupName $backupName |
                Copy-ApimBackup -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -DestinationStorageAccountName $account2 -DestinationContainerName $replicaContainer `
                    -DestinationStorageAccountKey $key2 -DestinationBlobEndpoint $endpoint2 -Verbose 4>&1
        }

        It 'emits the verified replica, with where it came from and the source''s facts' {
            $r = @($replica | Where-Object { $_ -is [ApimDr.ApimBackup] })
            $r.Count | Should -Be 1
            $r[0].StorageAccountName | Should -Be $account2
            $r[0].ReplicaOf | Should -Be "$($t.StorageAccountName)/$source/$backupName"
            $r[0].ContentMd5 | Should -Not -BeNullOrEmpty
            $r[0].SourceServiceName | Should -Be 'prod'
            $r[0].SourceSku | Should -Be 'Premium'
            $r[0].HasSnapshot | Should -BeTrue
            ($replica | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'its bytes match the source'
        }

        It 'copies server-side within one storage service (Azurite copies between accounts of one instance)' {
            ($replica | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '\(ServerSide\)'
        }

        It 'keeps the original creation time, so the replica expires when the source does' {
            $src = Get-ApimBackup @common -ContainerName $source -BackupName $backupName
            $rep = Get-ApimBackup @second -ContainerName $replicaContainer -BackupName $backupName
            $rep.ExpiresOn | Should -Be $src.ExpiresOn
            $rep.Created | Should -Be $src.Created
        }

        It 'records the verified replica in the source''s manifest' {
            $src = Get-ApimBackup @common -ContainerName $source -BackupName $backupName
            $src.Replicas | Should -Be @("$account2/$replicaContainer")
            $src.ContentMd5 | Should -Be (Get-ApimBackup @second -ContainerName $replicaContainer -BackupName $backupName).ContentMd5
        }

        It 'copies again without harm (the same backup), but refuses to copy onto a different backup of that name' {
            $again = Copy-ApimBackup @common -ContainerName $source -BackupName $backupName -DestinationStorageAccountName $account2 -DestinationContainerName $replicaContainer `
                -DestinationStorageAccountKey $key2 -DestinationBlobEndpoint $endpoint2
            $again.ReplicaOf | Should -Be "$($t.StorageAccountName)/$source/$backupName"
            # A different backup that happens to have the name already in the destination container.
            $clash = New-TestName 'clash'
            New-TestContainer -Name $clash
            New-TestBlob -Container $clash -Name $other -Content 'another backup'
            $err = $null
            Copy-ApimBackup @common -ContainerName $source -BackupName $other -DestinationStorageAccountName $t.StorageAccountName -DestinationContainerName $clash `
                -DestinationStorageAccountKey $t.StorageKey -DestinationBlobEndpoint $t.BlobEndpoint -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupExists,*'
            Get-TestBlobContent -Container $clash -Name $other | Should -Be 'another backup'
        }
    }

    Context 'in the same account, where the test can change the replica''s bytes' {
        BeforeAll {
            $script:local = New-TestName 'loc'
            $null = Copy-ApimBackup @common -ContainerName $source -BackupName $backupName -DestinationStorageAccountName $t.StorageAccountName -DestinationContainerName $local `
                -DestinationStorageAccountKey $t.StorageKey -DestinationBlobEndpoint $t.BlobEndpoint
        }

        It 'has the same bytes as the source' {
            Get-TestBlobContent -Container $local -Name $backupName | Should -Be (Get-TestBlobContent -Container $source -Name $backupName)
        }

        It 'refuses to restore a replica whose bytes changed afterwards (BackupIntegrityFailed), before any restore request' {
            $tampered = New-TestName 'tam'
            $null = Copy-ApimBackup @common -ContainerName $source -BackupName $backupName -DestinationStorageAccountName $t.StorageAccountName -DestinationContainerName $tampered `
                -DestinationStorageAccountKey $t.StorageKey -DestinationBlobEndpoint $t.BlobEndpoint
            New-TestBlob -Container $tampered -Name $backupName -Content 'not the backup any more'
            Clear-EmulatorRequestLog
            $err = $null
            Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @common -ContainerName $tampered -BackupName $backupName -Force -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupIntegrityFailed,*'
            Get-EmulatorActionPost | Should -BeNullOrEmpty
        }

        It 'does not list a copy without its manifest as a verified replica' {
            $bare = New-TestName 'bare'
            $null = Copy-ApimBackup @common -ContainerName $source -BackupName $backupName -DestinationStorageAccountName $t.StorageAccountName -DestinationContainerName $bare `
                -DestinationStorageAccountKey $t.StorageKey -DestinationBlobEndpoint $t.BlobEndpoint
            Remove-TestBlob -Container $bare -Name "$backupName.apimdr.json"
            $entry = Get-ApimBackup @common -ContainerName $bare -BackupName $backupName
            $entry.ReplicaOf | Should -BeNullOrEmpty
            $entry.HasManifest | Should -BeFalse
        }

        It 'restores from a verified replica' {
            $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @common -ContainerName $local -BackupName $backupName -Force -Verify
            ($op | Where-Object { $_ -is [ApimDr.ApimOperation] }).Status | Should -Be 'Succeeded'
            ($op | Where-Object { $_ -is [ApimDr.ApimRestoreVerification] }).IsEqual | Should -BeTrue
        }
    }

    It 'sends nothing with -WhatIf' {
        $c = New-TestName 'whatif'
        Copy-ApimBackup @common -ContainerName $source -BackupName $backupName -DestinationStorageAccountName $account2 -DestinationContainerName $c `
            -DestinationStorageAccountKey $key2 -DestinationBlobEndpoint $endpoint2 -WhatIf | Should -BeNullOrEmpty
        Get-ApimBackup @second -ContainerName $c -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Copy-ApimBackup across storage services' {
    It 'streams the copy when the destination''s service cannot read the source (another Azurite instance), and verifies it' {
        $c = New-TestName 'far'
        $out = @(Copy-ApimBackup @common -ContainerName $source -BackupName $backupName -DestinationStorageAccountName $t.ReplicaAccountName -DestinationContainerName $c `
            -DestinationStorageAccountKey $t.ReplicaKey -DestinationBlobEndpoint $t.ReplicaBlobEndpoint -Verbose 4>&1)
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '\(Streamed\); its bytes match'
        $r = $out | Where-Object { $_ -is [ApimDr.ApimBackup] }
        $r.ReplicaOf | Should -Be "$($t.StorageAccountName)/$source/$backupName"
        $r.ContentMd5 | Should -Be (Get-ApimBackup @common -ContainerName $source -BackupName $backupName).ContentMd5
        Get-TestBlobContent -Account Replica -Container $c -Name $backupName | Should -Be (Get-TestBlobContent -Container $source -Name $backupName)
    }
}

Describe 'A backup that copies itself when it ends' {
    BeforeAll {
        $script:replicaOf = @{ ReplicaStorageAccountName = $account2; ReplicaStorageAccountKey = $key2; ReplicaBlobEndpoint = $endpoint2 }
    }

    It 'copies and verifies the replica when the inline wait sees the backup succeed' {
        $c = New-TestName 'self'
        $name = New-BackupName
        $out = @(Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $name @replicaOf -ReplicaContainerName $c -SkipSnapshot)
        ($out | Where-Object { $_ -is [ApimDr.ApimOperation] }).Status | Should -Be 'Succeeded'
        ($out | Where-Object { $_ -is [ApimDr.ApimOperation] }).FollowUps | Should -BeNullOrEmpty
        $replica = $out | Where-Object { $_ -is [ApimDr.ApimBackup] }
        $replica.StorageAccountName | Should -Be $account2
        $replica.ReplicaOf | Should -Be "$($t.StorageAccountName)/$c/$name"
        (Get-ApimBackup @common -ContainerName $c -BackupName $name).Replicas | Should -Be @("$account2/$c")
        (Get-ApimBackup @common -ContainerName $c -BackupName $name).Status | Should -Be 'Succeeded'
    }

    It 'a -NoWait backup with a replica, resumed in a new process from the container alone, ends with its replica copied and verified' {
        $c = New-TestName 'later'
        $name = New-BackupName
        $null = Set-EmulatorSetting @{ backupDurationSeconds = 4 }
        try {
            $op = Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $name @replicaOf -ReplicaContainerName $c -SkipSnapshot -NoWait
            $op.FollowUps | Should -Contain "CopyTo:$account2/$c"
            $ended = Invoke-PwshChild -Parameters @{ Helpers = (Join-Path $PSScriptRoot 'TestHelpers.psm1'); Container = $c; Name = $name } -ScriptBlock {
                param($Helpers, $Container, $Name)
                Import-Module $Helpers
                $t = Get-TestEnvironment
                $e = Get-EmulatorEnvironment
                Import-Module $t.ModulePath
                $env:APIMDR_JOURNAL = 'off'   # nothing local: a fresh Automation job
                $key2 = ConvertTo-SecureString $env:APIMDR_TEST_STORAGE_KEY2 -AsPlainText -Force
                Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $Container -BackupName $Name -IncludeInProgress -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint |
                    Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken (ConvertTo-SecureString $e.Token -AsPlainText -Force) -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint `
                        -ReplicaStorageAccountKey $key2 -ReplicaBlobEndpoint "$($env:APIMDR_TEST_BLOB_SERVICE_URL)/$($env:APIMDR_TEST_STORAGE_ACCOUNT2)" |
                    ForEach-Object { [pscustomobject]@{ Type = $_.GetType().Name; Status = $_.Status; ReplicaOf = $_.ReplicaOf; PollCount = $_.PollCount } }
            }
        } finally {
            $null = Set-EmulatorSetting @{ backupDurationSeconds = $null }
        }
        ($ended | Where-Object Type -eq 'ApimOperation').Status | Should -Be 'Succeeded'
        ($ended | Where-Object Type -eq 'ApimOperation').PollCount | Should -BeGreaterThan 0
        ($ended | Where-Object Type -eq 'ApimBackup').ReplicaOf | Should -Be "$($t.StorageAccountName)/$c/$name"
        $rep = Get-ApimBackup @second -ContainerName $c -BackupName $name
        $rep.ReplicaOf | Should -Be "$($t.StorageAccountName)/$c/$name"
        $rep.ExpiresOn | Should -Be (Get-ApimBackup @common -ContainerName $c -BackupName $name).ExpiresOn
    }

    It 'refuses a replica without its container before any request (ReplicaRequiresLocation)' {
        Clear-EmulatorRequestLog
        { Backup-ApimService @prod @arm @common -ContainerName (New-TestName 'half') -ReplicaStorageAccountName $account2 -SkipSnapshot -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReplicaRequiresLocation*'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }
}

Describe 'Remove-ApimBackup -OnlyIfReplicated' {
    It 'leaves every backup without a verified replica' {
        Remove-ApimBackup @common -ContainerName $source -BackupNamePattern '*' -OnlyIfReplicated -Force
        $left = @(Get-ApimBackup @common -ContainerName $source).BackupName
        $left | Should -Contain $unreplicated
        $left | Should -Not -Contain $backupName   # it has one
    }
}
