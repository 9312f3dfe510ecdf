#Requires -Modules Pester
# Never lose a backup (issue 17): names that cannot collide, no silent overwrite, remove only what was
# named, never remove a backup a restore is reading. Each test reproduces what used to lose a backup.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix nl
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
    $script:common = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    $script:key = @{ StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }   # what a wait's follow-ups need
    function script:Get-BlobNames([string] $Container) {
        @(Get-ApimBackup @common -ContainerName $Container -IncludeInProgress).BackupName | Sort-Object
    }
}

AfterAll {
    Reset-Emulator
}

Describe 'Backup names that cannot collide' {
    It 'gives two backups of one service, one right after the other, two names, each with the resource group' {
        # Before: both were prod-<UTC second>.apimbackup; both reported Succeeded and one backup was gone.
        $c = New-TestName 'same'
        $ops = @(
            Backup-ApimService @prod @arm @common -ContainerName $c -SkipSnapshot
            Backup-ApimService @prod @arm @common -ContainerName $c -SkipSnapshot
        )
        $ops.Status | Should -Be @('Succeeded', 'Succeeded')
        $ops[0].BackupName | Should -Not -Be $ops[1].BackupName
        $ops | ForEach-Object { $_.BackupName | Should -Match "^prod-$rg-\d{8}T\d{6}Z-[0-9a-f]{4}\.apimbackup$" }
        (Get-BlobNames $c) | Should -Be ($ops.BackupName | Sort-Object)
    }

    It 'refuses one -BackupName without tokens for two services before any request' {
        Clear-EmulatorRequestLog
        $c = New-TestName 'clash'
        $err = $null
        'prod', 'standby' | ForEach-Object { [pscustomobject]@{ ResourceId = Get-ApimServiceId $_ } } |
            Backup-ApimService @arm @common -ContainerName $c -BackupName 'nightly.apimbackup' -SkipSnapshot -ErrorVariable err -ErrorAction SilentlyContinue
        @($err).Count | Should -Be 2
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'BackupNameCollision,*' }
        "$($err[0])" | Should -Match '\{service\}'
        Get-EmulatorActionPost | Should -BeNullOrEmpty
        @(Get-EmulatorRequestLog | Where-Object url -match '/service/(prod|standby)$').Count | Should -Be 0   # not even the service GETs
    }

    It 'fills in {service} and {timestamp} per service, so one -BackupName serves a fleet' {
        $c = New-TestName 'tokens'
        $ops = @('prod', 'standby' | ForEach-Object { [pscustomobject]@{ ResourceId = Get-ApimServiceId $_ } } |
            Backup-ApimService @arm @common -ContainerName $c -BackupName 'nightly/{service}-{timestamp}.apimbackup' -SkipSnapshot)
        $ops.Status | Should -Be @('Succeeded', 'Succeeded')
        (Get-BlobNames $c) | ForEach-Object { $_ | Should -Match '^nightly/(prod|standby)-\d{8}T\d{6}Z\.apimbackup$' }
        @(Get-BlobNames $c).Count | Should -Be 2
    }
}

Describe 'No silent overwrite' {
    BeforeAll {
        $script:c = New-TestName 'exists'
        $script:existing = New-BackupName
        $script:first = Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $existing -SkipSnapshot
    }

    It 'refuses a -BackupName that is already in the container with BackupExists, before the POST' {
        Clear-EmulatorRequestLog
        $err = $null
        Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $existing -SkipSnapshot -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupExists,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        "$($err[0])" | Should -Match '-Overwrite'
        Get-EmulatorActionPost | Should -BeNullOrEmpty
        (Get-ApimBackup @common -ContainerName $c -BackupName $existing).Created | Should -Be (Get-ApimBackup @common -ContainerName $c -BackupName $existing).Created
    }

    It 'refuses the name of a backup still running (only its manifest is there yet)' {
        $null = Set-EmulatorSetting @{ backupDurationSeconds = 5 }
        try {
            $running = New-BackupName
            $op = Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $running -SkipSnapshot -NoWait
            $err = $null
            Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @common -ContainerName $c -BackupName $running -SkipSnapshot -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupExists,*'
            ($op | Wait-ApimOperation @arm @key).Status | Should -Be 'Succeeded'
        } finally {
            $null = Set-EmulatorSetting @{ backupDurationSeconds = $null }
        }
    }

    It 'replaces it only with -Overwrite' {
        $before = Get-ApimBackup @common -ContainerName $c -BackupName $existing
        Start-Sleep -Seconds 1
        $op = Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $existing -SkipSnapshot -Overwrite
        $op.Status | Should -Be 'Succeeded'
        (Get-ApimBackup @common -ContainerName $c -BackupName $existing).Created | Should -BeGreaterThan $before.Created
    }

    It 'warns that it could not check when ApimDr has no storage access of its own (managed identity only)' {
        $warnings = $null
        $op = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod-msi @arm -StorageAccountName $t.StorageAccountName -ContainerName $c `
            -BackupName (New-BackupName 'msi-') -SkipSnapshot -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -Match 'could not check whether backup'
    }
}
