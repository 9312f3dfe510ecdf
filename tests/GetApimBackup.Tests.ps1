#Requires -Modules Pester
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix cat
    $script:common = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }

    New-TestContainer -Name $container
    $script:uploadedFrom = [DateTime]::UtcNow.AddSeconds(-5)
    New-TestBlob -Container $container -Name 'prod-20261101.apimbackup' -SizeBytes 1000 -Metadata @{
        apimdr_sourceserviceid = Get-ApimServiceId prod -SubscriptionId '00000000-0000-0000-0000-000000000001' -ResourceGroup rg
        apimdr_sourcesku       = 'Premium'
    }
    Start-Sleep -Milliseconds 1100   # Created has one-second resolution: make the order observable.
    New-TestBlob -Container $container -Name 'prod-20261102.apimbackup' -SizeBytes 2000
    Start-Sleep -Milliseconds 1100
    New-TestBlob -Container $container -Name 'other-20261103.apimbackup' -SizeBytes 3000
    $script:uploadedTo = [DateTime]::UtcNow.AddSeconds(5)
}

Describe 'Get-ApimBackup' {
    It 'lists every blob newest first with names, sizes, Created and ExpiresOn' {
        $b = @(Get-ApimBackup @common -ContainerName $container)
        $b.BackupName | Should -Be @('other-20261103.apimbackup', 'prod-20261102.apimbackup', 'prod-20261101.apimbackup')
        $b.SizeBytes | Should -Be @(3000, 2000, 1000)
        foreach ($x in $b) {
            $x.PSObject.TypeNames[0] | Should -Be 'ApimDr.ApimBackup'
            $x.StorageAccountName | Should -Be $t.StorageAccountName
            $x.ContainerName | Should -Be $container
            $x.Created | Should -BeGreaterThan $uploadedFrom
            $x.Created | Should -BeLessThan $uploadedTo
            $x.ExpiresOn | Should -Be $x.Created.AddDays(30)
            $x.IsExpired | Should -BeFalse
            $x.Created.Kind | Should -Be 'Utc'
        }
    }

    It 'reads the source service id and SKU from blob metadata when present' {
        $b = Get-ApimBackup @common -ContainerName $container -BackupName 'prod-20261101.apimbackup'
        $b.SourceSku | Should -Be 'Premium'
        $b.SourceServiceId | Should -BeLike '*/service/prod'
        (Get-ApimBackup @common -ContainerName $container -BackupName 'prod-20261102.apimbackup').SourceSku | Should -BeNullOrEmpty
    }

    It 'filters by wildcard' {
        (Get-ApimBackup @common -ContainerName $container -BackupName 'prod-*').BackupName |
            Should -Be @('prod-20261102.apimbackup', 'prod-20261101.apimbackup')
        Get-ApimBackup @common -ContainerName $container -BackupName 'nomatch*' -ErrorAction Stop | Should -BeNullOrEmpty
    }

    It 'writes BackupNotFound for a literal name that does not exist' {
        $err = $null
        $r = Get-ApimBackup @common -ContainerName $container -BackupName 'missing.apimbackup' -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'binds the storage location from the pipeline by property name; a piped endpoint that is not the account''s host needs -BlobEndpoint typed' {
        $piped = [pscustomobject]@{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; BlobEndpoint = $t.BlobEndpoint }
        $err = $null
        @($piped | Get-ApimBackup -StorageAccountKey $t.StorageKey -ErrorVariable err -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UntrustedEndpoint,*'
        $r = @($piped | Get-ApimBackup -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint)
        $r.Count | Should -Be 3
    }

    It 'sends nothing (no Storage token) to a host a piped object names, for Get- and Remove-ApimBackup' {
        # Before: without a key, 2 requests carrying a Storage bearer token reached the piped host.
        $trap = New-TrapListener
        try {
            $piped = [pscustomobject]@{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; BackupName = 'a.apimbackup'; BlobEndpoint = "$($trap.Url)/" }
            $err = $null
            $piped | Get-ApimBackup -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $piped | Remove-ApimBackup -Force -ErrorVariable +err -ErrorAction SilentlyContinue
            @($err).Count | Should -Be 2
            $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'UntrustedEndpoint,*' }
            $trap.Pending() | Should -BeFalse
        } finally {
            $trap.Stop()
        }
    }

    It 'takes the storage suffix of the signed-in cloud when -Environment is not given' {
        # A user signed in to AzureChinaCloud (Az.Accounts stand-in): the catalog asks blob.core.chinacloudapi.cn, never AzureCloud's host.
        $verbose = Invoke-PwshChild -Parameters @{ Module = $t.ModulePath } -ScriptBlock {
            param($Module)
            # Stand-ins with the shape of Az.Accounts' commands; the token request fails, so nothing is ever sent.
            function global:Get-AzContext { [pscustomobject]@{ Account = [pscustomobject]@{ Id = 'admin@contoso.example' }; Tenant = [pscustomobject]@{ Id = 't' }; Environment = [pscustomobject]@{ Name = 'AzureChinaCloud' } } }
            function global:Get-AzAccessToken { throw 'no token in this test' }
            Remove-Item Env:IDENTITY_ENDPOINT, Env:IDENTITY_HEADER -ErrorAction SilentlyContinue
            Import-Module $Module
            $env:APIMDR_JOURNAL = 'off'
            Get-ApimBackup -StorageAccountName drstore -ContainerName apim -Verbose -ErrorAction SilentlyContinue 4>&1 2>$null |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        }
        ($verbose -join "`n") | Should -Match 'drstore\.blob\.core\.chinacloudapi\.cn/apim'
    }

    It 'shows a table view' {
        $text = Get-ApimBackup @common -ContainerName $container | Out-String -Width 200
        $text | Should -Match 'BackupName\s+Source\s+Status\s+Created \(UTC\)\s+ExpiresOn \(UTC\)'
        $text | Should -Match 'prod-20261101\.apimbackup'
    }

    It 'reports a missing container as ContainerNotFound' {
        $err = $null
        Get-ApimBackup @common -ContainerName 'does-not-exist' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ContainerNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match 'does-not-exist'
    }

    It 'reports a wrong key as StorageAccessDenied without echoing either key' {
        $wrong = [Convert]::ToBase64String([byte[]](1..64))
        $err = $null
        Get-ApimBackup -StorageAccountName $t.StorageAccountName -BlobEndpoint $t.BlobEndpoint -ContainerName $container `
            -StorageAccountKey (ConvertTo-SecureString $wrong -AsPlainText -Force) -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageAccessDenied,*'
        ($err | Out-String) | Should -Not -Match ([regex]::Escape($wrong))
    }

    It 'rejects <Case> with <ErrorId> before any request' -TestCases @(
        @{ Case = 'an uppercase account name'; Account = 'DevStore'; Container = 'backups'; ErrorId = 'InvalidStorageAccountName' }
        @{ Case = 'a too short account name'; Account = 'ab'; Container = 'backups'; ErrorId = 'InvalidStorageAccountName' }
        @{ Case = 'an account URL'; Account = 'https://x.blob.core.windows.net'; Container = 'backups'; ErrorId = 'InvalidStorageAccountName' }
        @{ Case = 'an uppercase container'; Account = 'devstoreaccount1'; Container = 'Backups'; ErrorId = 'InvalidContainerName' }
        @{ Case = 'a double hyphen'; Account = 'devstoreaccount1'; Container = 'back--ups'; ErrorId = 'InvalidContainerName' }
        @{ Case = 'a trailing hyphen'; Account = 'devstoreaccount1'; Container = 'backups-'; ErrorId = 'InvalidContainerName' }
        @{ Case = 'a 64-character container'; Account = 'devstoreaccount1'; Container = ('a' * 64); ErrorId = 'InvalidContainerName' }
    ) {
        param($Account, $Container, $ErrorId)
        $trap = New-TrapListener
        try {
            $endpoint = "http://$($trap.Authority)/devstoreaccount1"
            $err = $null
            Get-ApimBackup -StorageAccountName $Account -ContainerName $Container -StorageAccountKey $t.StorageKey -BlobEndpoint $endpoint -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $trap.Pending() | Should -BeFalse
        } finally {
            $trap.Stop()
        }
    }

    It 'never writes the access key to Verbose or Debug output' {
        $all = & {
            $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'
            Get-ApimBackup @common -ContainerName $container -Verbose -Debug
            Get-ApimBackup @common -ContainerName 'does-not-exist' -Verbose -Debug -ErrorAction Continue
        } *>&1 | Out-String
        $all | Should -Match 'Listing backups in'
        $all | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
        $all | Should -Not -Match ([regex]::Escape($t.StorageKeyText.Substring(0, 20)))
    }
}
