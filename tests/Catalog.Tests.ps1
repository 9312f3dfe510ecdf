#Requires -Modules Pester
# The backup catalog (issue 10): the manifest beside every backup, a service-aware Get-ApimBackup,
# per-service retention, and a restore pre-flight that reads the manifest.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix cg
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    $script:common = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    $script:fleet = New-TestName 'fleet'   # not created here: the first manifest creates it, as the backup itself would
    $script:fleetStorage = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $fleet; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    function script:Get-Manifest([string] $Container, [string] $BackupName) {
        Get-TestBlobContent -Container $Container -Name "$BackupName.apimdr.json" | ConvertFrom-Json
    }
}

AfterAll {
    Reset-Emulator
}

Describe 'Backup manifest and catalog' {
    Context 'a -NoWait fleet backup resumed from the container alone' {
        BeforeAll {
            # Long enough that both are still running when the new process (slow to start on a busy machine) lists the container.
            $null = Set-EmulatorSetting @{ backupDurationSeconds = 30; retryAfterSeconds = 1 }
            $script:prodBackup = New-BackupName 'prod-'
            $script:standbyBackup = New-BackupName 'standby-'
            $script:started = @(
                Backup-ApimService @prod -BackupName $prodBackup @fleetStorage @arm -NoWait
                Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $standbyBackup @fleetStorage @arm -NoWait
            )
        }
        AfterAll {
            $null = Set-EmulatorSetting @{ backupDurationSeconds = $null }
        }

        It 'writes a manifest beside each backup at once, with the source, SKU and operation and no secret' {
            $m = Get-Manifest $fleet $prodBackup
            $m.schema | Should -Be 'apimdr-backup-manifest/1'
            $m.backupName | Should -Be $prodBackup
            $m.sourceServiceId | Should -Be (Get-ApimServiceId prod)
            $m.sourceServiceName | Should -Be 'prod'
            $m.sourceSku | Should -Be 'Premium'
            $m.sourceCapacity | Should -Be 1
            $m.location | Should -Be 'West Europe'
            $m.platformVersion | Should -Be 'stv2'
            $m.pollUrl | Should -Be $started[0].PollUrl.OriginalString
            $m.status | Should -Be 'InProgress'
            $m.apimDrVersion | Should -Match '^\d+\.\d+\.\d+'
            foreach ($name in $prodBackup, $standbyBackup) {
                $raw = Get-TestBlobContent -Container $fleet -Name "$name.apimdr.json"
                $raw | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
                $raw | Should -Not -Match ([regex]::Escape($e.Token))
                $raw | Should -Not -Match '(?i)sig=|accountkey|bearer'
            }
        }

        It 'lists running backups only with -IncludeInProgress, and a new process resumes both from the container' {
            Get-ApimBackup @common -ContainerName $fleet | Should -BeNullOrEmpty   # nothing finished yet
            $running = @(Get-ApimBackup @common -ContainerName $fleet -IncludeInProgress)
            $running.BackupName | Sort-Object | Should -Be (@($prodBackup, $standbyBackup) | Sort-Object)
            $running.Status | Should -Be @('InProgress', 'InProgress')

            # A later runbook job: no Clixml, no journal — only the storage and ARM credentials.
            $ended = Invoke-PwshChild -Parameters @{ Helpers = (Join-Path $PSScriptRoot 'TestHelpers.psm1'); Container = $fleet } -ScriptBlock {
                param($Helpers, $Container)
                Import-Module $Helpers
                $t = Get-TestEnvironment
                $e = Get-EmulatorEnvironment
                Import-Module $t.ModulePath
                $env:APIMDR_JOURNAL = 'off'
                Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $Container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -IncludeInProgress |
                    Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken (ConvertTo-SecureString $e.Token -AsPlainText -Force) |
                    Select-Object Name, Status, PollCount
            }
            @($ended).Count | Should -Be 2
            ($ended.Name | Sort-Object) | Should -Be @('prod', 'standby')
            $ended.Status | Should -Be @('Succeeded', 'Succeeded')
            $ended | ForEach-Object { $_.PollCount | Should -BeGreaterThan 0 }   # they were really waited for
        }

        It 'then filters by SOURCE service, with SourceSku and Status Succeeded' {
            $b = @(Get-ApimBackup @common -ContainerName $fleet -ServiceName prod)
            $b.BackupName | Should -Be @($prodBackup)
            $b[0].SourceServiceName | Should -Be 'prod'
            $b[0].SourceServiceId | Should -Be (Get-ApimServiceId prod)
            $b[0].SourceSku | Should -Be 'Premium'
            $b[0].SourceCapacity | Should -Be 1
            $b[0].Status | Should -Be 'Succeeded'
            $b[0].HasManifest | Should -BeTrue
            (Get-ApimBackup @common -ContainerName $fleet -ServiceName 'stand*').BackupName | Should -Be @($standbyBackup)
            (Get-ApimBackup @common -ContainerName $fleet -SourceServiceId (Get-ApimServiceId standby)).BackupName | Should -Be @($standbyBackup)
            Get-ApimBackup @common -ContainerName $fleet -ServiceName 'prod-msi' | Should -BeNullOrEmpty
        }

        It 'never lists a manifest as a backup of its own' {
            (Get-ApimBackup @common -ContainerName $fleet -IncludeInProgress).BackupName | Should -Not -Match '\.apimdr\.json$'
        }

        It 'refuses to restore that -NoWait Premium backup into a Standard service BEFORE any POST (SkuMismatch from the manifest)' {
            Clear-EmulatorRequestLog
            $err = $null
            Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby-standard -BackupName $prodBackup @fleetStorage @arm -Force `
                -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'
            "$($err[0])" | Should -Match "'Premium'"
            Get-EmulatorActionPost -Action restore | Should -BeNullOrEmpty
            @(Get-EmulatorRequestLog | Where-Object url -like '*/service/standby-standard?*').Count | Should -BeGreaterThan 0   # the log is read at all
        }

        It 'says in the confirmation what the backup is: source, SKU, age, size, and when it comes from the target itself' {
            $text = Invoke-PwshChild -Parameters @{ Helpers = (Join-Path $PSScriptRoot 'TestHelpers.psm1'); Container = $fleet; Backup = $prodBackup } -ScriptBlock {
                param($Helpers, $Container, $Backup)
                Import-Module $Helpers
                $t = Get-TestEnvironment
                $e = Get-EmulatorEnvironment
                Import-Module $t.ModulePath
                $env:APIMDR_JOURNAL = 'off'
                # A non-interactive host cannot show the prompt: ConfirmationRequired carries its text.
                Restore-ApimService -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name prod -BackupName $Backup `
                    -StorageAccountName $t.StorageAccountName -ContainerName $Container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint `
                    -ResourceManagerUrl $e.ArmUrl -AccessToken (ConvertTo-SecureString $e.Token -AsPlainText -Force) -ErrorVariable err -ErrorAction SilentlyContinue
                "$($err[0].FullyQualifiedErrorId)|$($err[0])"
            }
            $text | Should -BeLike 'ConfirmationRequired,*'
            $text | Should -Match "backup of 'prod' \(Premium, 1 unit\), \d+ min old, \d+(\.\d)? (bytes|KB)"
            $text | Should -Match 'taken from this same service'
        }
    }

    Context 'retention per source service' {
        BeforeAll {
            $script:mixed = New-TestName 'keep'
            New-TestContainer -Name $mixed
            $script:mixedStorage = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $mixed; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
            # Three of prod, two of standby; the services run side by side, each one backup at a time.
            foreach ($round in 1..3) {
                $inputs = @([pscustomobject]@{ Id = (Get-ApimServiceId prod) })
                if ($round -le 2) { $inputs += [pscustomobject]@{ Id = (Get-ApimServiceId standby) } }
                $null = $inputs | Backup-ApimService @mixedStorage @arm -ErrorAction Stop
                Start-Sleep -Milliseconds 1100   # Created has one-second resolution
            }
            function script:Get-Left { @(Get-ApimBackup @common -ContainerName $mixed) }
        }

        It 'removes nothing with -WhatIf' {
            Remove-ApimBackup @common -ContainerName $mixed -KeepLast 1 -Force -WhatIf
            (Get-Left).Count | Should -Be 5
        }

        It 'keeps the newest one of EACH service with -KeepLast 1 and removes the manifests of what it removed' {
            $before = Get-Left
            $removed = @(Remove-ApimBackup @common -ContainerName $mixed -KeepLast 1 -Force -PassThru)
            $removed.Count | Should -Be 3
            $left = Get-Left
            ($left.SourceServiceName | Sort-Object) | Should -Be @('prod', 'standby')
            foreach ($service in 'prod', 'standby') {
                $newest = $before | Where-Object SourceServiceName -eq $service | Sort-Object Created -Descending | Select-Object -First 1
                ($left | Where-Object SourceServiceName -eq $service).BackupName | Should -Be $newest.BackupName
            }
            foreach ($r in $removed) {
                Get-TestBlobContent -Container $mixed -Name "$($r.BackupName).apimdr.json" | Should -BeNullOrEmpty
                Get-TestBlobContent -Container $mixed -Name $r.BackupName | Should -BeNullOrEmpty
            }
            foreach ($l in $left) {
                (Get-Manifest $mixed $l.BackupName).backupName | Should -Be $l.BackupName
            }
        }

        It 'narrows retention to one service with -ServiceName' {
            $null = Backup-ApimService @prod @mixedStorage @arm -ErrorAction Stop
            Remove-ApimBackup @common -ContainerName $mixed -ServiceName prod -KeepLast 1 -Force
            $left = Get-Left
            @($left | Where-Object SourceServiceName -eq 'prod').Count | Should -Be 1
            @($left | Where-Object SourceServiceName -eq 'standby').Count | Should -Be 1
        }
    }

    Context 'a storage credential that cannot write' {
        It 'backs up anyway with exactly one warning, and the catalog lists the backup without source fields' {
            $c = New-TestName 'ro'
            New-TestContainer -Name $c
            $name = New-BackupName 'prod-msi-'
            $warnings = $null
            # Managed identity: APIM writes the blob; ApimDr has no key and cannot get a Storage token for plain-http Azurite.
            $op = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod-msi -BackupName $name -StorageAccountName $t.StorageAccountName `
                -ContainerName $c -BlobEndpoint $t.BlobEndpoint @arm -WarningVariable warnings -WarningAction SilentlyContinue
            $op.Status | Should -Be 'Succeeded'
            $warnings.Count | Should -Be 1
            "$($warnings[0])" | Should -Match 'could not write its manifest'
            "$($warnings[0])" | Should -Match 'SKU'
            "$($warnings[0])" | Should -Match 'Storage Blob Data Contributor'
            $b = Get-ApimBackup @common -ContainerName $c
            $b.BackupName | Should -Be $name
            $b.HasManifest | Should -BeFalse
            $b.SourceServiceId | Should -BeNullOrEmpty
            $b.SourceSku | Should -BeNullOrEmpty
            $b.Status | Should -BeNullOrEmpty
        }
    }

    Context 'an inline wait' {
        It 'records the end in the manifest' {
            $name = New-BackupName
            $op = Backup-ApimService @prod -BackupName $name @fleetStorage @arm
            $op.Status | Should -Be 'Succeeded'
            $m = Get-Manifest $fleet $name
            $m.status | Should -Be 'Succeeded'
            [datetime]$m.endTime | Should -BeGreaterThan ([datetime]$m.startTime)
        }

        It 'refuses a backup name ApimDr reserves for manifests, before any request' {
            Clear-EmulatorRequestLog
            $err = $null
            Backup-ApimService @prod -BackupName 'x.apimdr.json' @fleetStorage @arm -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidBackupName,*'
            Get-EmulatorRequestLog | Should -BeNullOrEmpty
        }
    }
}
