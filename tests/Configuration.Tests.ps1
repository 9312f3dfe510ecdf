#Requires -Modules Pester
# Restore verification (issue 11): configuration snapshots through ARM, Compare-ApimConfiguration,
# the snapshot beside every backup and Restore-ApimService -Verify.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix cfg
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    $script:secretValue = ((Get-EmulatorServiceConfiguration prod).namedValues | Where-Object name -eq 'payments-api-key').value
    $script:catalog = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    function script:Assert-NoSecretText([string] $Text) {
        $Text | Should -Not -Match ([regex]::Escape($secretValue))
        $Text | Should -Not -Match 'standby-secret-differs'
        $Text | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
        $Text | Should -Not -Match ([regex]::Escape($e.Token))
    }
}

AfterAll {
    Reset-Emulator
}

Describe 'Get-ApimConfiguration' {
    It 'reads prod through ARM, page after page, equal to the seeded configuration and without a secret value' {
        Clear-EmulatorRequestLog
        $s = Get-ApimConfiguration @prod @arm
        $seed = Get-EmulatorServiceConfiguration prod
        $s.PSObject.TypeNames[0] | Should -Be 'ApimDr.ApimConfiguration'
        $s.ServiceId | Should -Be (Get-ApimServiceId prod)
        ($s.Of('apis').Name | Sort-Object) | Should -Be ($seed.apis.name | Sort-Object)
        ($s.Of('namedValues').Name | Sort-Object) | Should -Be ($seed.namedValues.name | Sort-Object)
        ($s.Of('products').Name | Sort-Object) | Should -Be ($seed.products.name | Sort-Object)
        $s.Of('groups').Count | Should -Be $seed.groups.Count
        $s.Of('apiOperations').Count | Should -Be (($seed.apis | ForEach-Object { @($_.operations).Count } | Measure-Object -Sum).Sum)
        $s.Of('apiOperations').Count | Should -BeGreaterThan 3   # more than one page (the emulator's page size is 3)
        # nextLink followed: more than one GET of the apis list.
        @(Get-EmulatorRequestLog | Where-Object { $_.method -eq 'GET' -and $_.url -match '/service/prod/apis\?' }).Count | Should -BeGreaterThan 1
        ($s.Of('namedValues') | Where-Object Name -eq 'payments-api-key').Properties['value'] | Should -BeLike 'hmac-sha256:*'
        Assert-NoSecretText ($s | ConvertTo-Json -Depth 10)
        $s.NotRestored.Keys | Where-Object { $_ -like 'hostnameConfigurations*' } | Should -Not -BeNullOrEmpty
    }

    It 'writes JSON with -Path that reads back equal, and takes a Get-AzApiManagement-shaped object from the pipeline' {
        $path = Join-Path $TestDrive 'prod.json'
        $s = [pscustomobject]@{ Id = (Get-ApimServiceId prod); Name = 'prod'; ResourceGroupName = $rg } | Get-ApimConfiguration @arm -Path $path
        Test-Path $path | Should -BeTrue
        Assert-NoSecretText (Get-Content -Raw $path)
        Compare-ApimConfiguration -Reference $path -Difference $s | Should -BeNullOrEmpty
        $summary = Compare-ApimConfiguration -Reference $path -Difference $s -Summary
        $summary.IsEqual | Should -BeTrue
        $summary.SecretsCompared | Should -BeTrue
        @(Compare-ApimConfiguration -Reference $path -Difference $s -IncludeEqual | Where-Object Change -ne 'Equal') | Should -BeNullOrEmpty
    }

    It 'Compare-ApimConfiguration refuses <Case> as InvalidConfigurationSnapshot before reading it' -TestCases @(
        @{ Case = 'a file above the 256 MB cap'; Kind = 'big' }
        @{ Case = 'a directory'; Kind = 'dir' }
        @{ Case = '/dev/zero (was an OutOfMemoryException after reading 4.4 GB)'; Kind = 'device' }
        @{ Case = 'a FIFO (opening it would block)'; Kind = 'fifo' }
    ) {
        param($Kind)
        if ($Kind -in 'device', 'fifo' -and $IsWindows) { Set-ItResult -Skipped -Because 'no /dev/zero or mkfifo on Windows' }
        $path = switch ($Kind) {
            'big' {
                # Sparse: 256 MB + 1 byte on paper, nothing on disk.
                $p = Join-Path $TestDrive 'big.json'
                $f = [IO.File]::Create($p); try { $f.SetLength(256MB + 1) } finally { $f.Dispose() }
                $p
            }
            'dir' { $TestDrive }
            'device' { '/dev/zero' }
            'fifo' { $p = Join-Path $TestDrive 'fifo.json'; & mkfifo $p; $p }
        }
        $err = $null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $out = Compare-ApimConfiguration -Reference $path -Difference $path -ErrorVariable err -ErrorAction SilentlyContinue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidConfigurationSnapshot,*'
        $err[0].Exception.Message | Should -Match ([regex]::Escape($path))
    }

    It 'survives 429 bursts on reads, honouring Retry-After' {
        $null = Set-EmulatorSetting @{ readBucketCapacity = 6; readRefillPerSecond = 20 }
        try {
            Clear-EmulatorRequestLog
            $s = Get-ApimConfiguration @prod @arm -ErrorAction Stop
            $s.Of('apis').Count | Should -Be 4
            $log = Get-EmulatorRequestLog
            $throttled = @($log | Where-Object status -eq 429)
            $throttled.Count | Should -BeGreaterThan 0
            # Each throttled GET is sent again, but never before the Retry-After (1 s) has passed.
            foreach ($r in $throttled) {
                $again = $log | Where-Object { $_.url -eq $r.url -and $_.sequence -gt $r.sequence } | Select-Object -First 1
                $again | Should -Not -BeNullOrEmpty
                ([datetime]$again.time - [datetime]$r.time).TotalSeconds | Should -BeGreaterOrEqual 0.95
            }
        } finally {
            $null = Set-EmulatorSetting @{ readBucketCapacity = 250; readRefillPerSecond = 25 }
        }
    }
}

Describe 'Snapshots with backups, and Restore-ApimService -Verify' {
    BeforeAll {
        $script:backupName = New-BackupName
        $script:backup = Backup-ApimService @prod -BackupName $backupName @catalog @arm -ErrorAction Stop
    }

    It 'stores a snapshot beside every backup (Get-ApimBackup shows HasSnapshot) and none with -SkipSnapshot' {
        $backup.Status | Should -Be 'Succeeded'
        (Get-ApimBackup @catalog -BackupName $backupName).HasSnapshot | Should -BeTrue
        Assert-NoSecretText (Get-TestBlobContent -Container $container -Name "$backupName.apimdr-config.json")
        $bare = New-BackupName
        $null = Backup-ApimService @prod -BackupName $bare @catalog @arm -SkipSnapshot -ErrorAction Stop
        (Get-ApimBackup @catalog -BackupName $bare).HasSnapshot | Should -BeFalse
        $err = $null
        Clear-EmulatorRequestLog
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $bare @catalog @arm -Force -Verify -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SnapshotNotFound,*'
        Get-EmulatorActionPost | Should -BeNullOrEmpty
    }

    It 'restores into the standby and -Verify finds no restorable difference, listing what to carry over' {
        $err = $null
        $out = @(Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $backupName @catalog @arm -Force -Verify -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $out[0].Status | Should -Be 'Succeeded'
        $v = $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'ApimDr.ApimRestoreVerification' }
        $v | Should -Not -BeNullOrEmpty
        $v.IsEqual | Should -BeTrue
        $v.Differences | Should -BeNullOrEmpty
        $v.SourceServiceName | Should -Be 'prod'
        $carry = @($v.CarryOver.Property)
        $carry | Where-Object { $_ -like 'hostnameConfigurations*' } | Should -Not -BeNullOrEmpty
        $carry | Where-Object { $_ -like 'virtualNetwork*' } | Should -Not -BeNullOrEmpty
        $carry | Where-Object { $_ -like 'customProperties*' } | Should -Not -BeNullOrEmpty
        $carry | Should -Contain 'identity.type'   # listed even when neither service has an identity
        @($v.CarryOver | Where-Object Change -ne 'Equal').Count | Should -BeGreaterThan 0   # prod and standby really differ there
    }

    It 'says RestoreVerificationFailed (non-terminating) when the restored service does not match the snapshot' {
        # A snapshot that claims another serviceUrl for 'orders' than the backup carries.
        $name = New-BackupName
        $null = Backup-ApimService @prod -BackupName $name @catalog @arm -ErrorAction Stop
        $snapshotBlob = "$name.apimdr-config.json"
        $json = Get-TestBlobContent -Container $container -Name $snapshotBlob
        $json | Should -Match 'https://orders\.contoso\.example'
        New-TestBlob -Container $container -Name $snapshotBlob -Content ($json -replace '"https://orders\.contoso\.example"', '"https://orders.elsewhere.example"')   # the api's serviceUrl, not the backend's url
        $err = $null
        $out = @(Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $name @catalog @arm -Force -Verify -ErrorVariable err -ErrorAction SilentlyContinue)
        $out[0].Status | Should -Be 'Succeeded'
        $v = $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'ApimDr.ApimRestoreVerification' }
        $v.IsEqual | Should -BeFalse
        $v.Differences.Count | Should -Be 1
        $v.Differences[0].Name | Should -Be 'orders'
        $v.Differences[0].Reference | Should -Be 'https://orders.elsewhere.example'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RestoreVerificationFailed,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidResult'
    }

    It 'compares the backup''s snapshot with the standby: nothing restorable differs' {
        $snapshot = Get-ApimBackup @catalog -BackupName $backupName | Get-ApimConfiguration -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint
        $snapshot.Name | Should -Be 'prod'
        @(Compare-ApimConfiguration -Reference $snapshot -Difference (Get-ApimServiceId standby) @arm | Where-Object IsRestorable) | Should -BeNullOrEmpty
    }

    It 'shows one policy changed on prod after the backup exactly once in prod-vs-snapshot' {
        $snapshot = Get-ApimBackup @catalog -BackupName $backupName | Get-ApimConfiguration -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint
        $config = Get-EmulatorServiceConfiguration prod
        $api = $config.apis | Where-Object name -eq 'orders'
        $api.policy = '<policies><inbound><base /><set-header name="x-changed" exists-action="override"><value>1</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>'
        $null = Set-EmulatorServiceConfiguration prod $config
        $d = @(Compare-ApimConfiguration -Reference $snapshot -Difference (Get-ApimServiceId prod) @arm | Where-Object IsRestorable)
        $d.Count | Should -Be 1
        $d[0].Change | Should -Be 'Changed'
        $d[0].Name | Should -Be 'orders'
        $d[0].Difference | Should -Match 'x-changed'
        $text = $d | Format-Table | Out-String -Width 300
        $text | Should -Match 'Change\s+Entity\s+Name\s+Property'
    }

    It 'shows a secret named value that differs as "(secret differs)", in no stream, file or transcript' {
        $snapshot = Get-ApimBackup @catalog -BackupName $backupName | Get-ApimConfiguration -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint
        $config = Get-EmulatorServiceConfiguration standby
        ($config.namedValues | Where-Object name -eq 'payments-api-key').value = 'standby-secret-differs'
        $null = Set-EmulatorServiceConfiguration standby $config
        $transcript = Join-Path $TestDrive 'transcript.txt'
        $path = Join-Path $TestDrive 'standby.json'
        Start-Transcript -Path $transcript | Out-Null
        try {
            $all = & {
                $d = Compare-ApimConfiguration -Reference $snapshot -Difference (Get-ApimServiceId standby) @arm -Verbose
                $d
                $d | Format-Table | Out-String
                Get-ApimConfiguration -ResourceId (Get-ApimServiceId standby) @arm -Path $path -Verbose | Out-Null
            } *>&1 | Out-String -Width 500
        } finally {
            Stop-Transcript | Out-Null
        }
        $d = @(Compare-ApimConfiguration -Reference $snapshot -Difference (Get-ApimServiceId standby) @arm | Where-Object IsRestorable)
        $d.Count | Should -Be 1
        $d[0].Entity | Should -Be 'namedValues'
        $d[0].Name | Should -Be 'payments-api-key'
        $d[0].Difference | Should -Be '(secret differs)'
        foreach ($text in $all, (Get-Content -Raw $transcript), (Get-Content -Raw $path), ($d | ConvertTo-Json -Depth 5)) { Assert-NoSecretText $text }
    }
}
