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
        $before = Get-ApimBackup @common -ContainerName $c -BackupName $existing
        Clear-EmulatorRequestLog
        $err = $null
        Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $existing -SkipSnapshot -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupExists,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        "$($err[0])" | Should -Match '-Overwrite'
        Get-EmulatorActionPost | Should -BeNullOrEmpty
        $after = Get-ApimBackup @common -ContainerName $c -BackupName $existing   # the existing backup is untouched
        $after.Created | Should -Be $before.Created
        $after.CorrelationId | Should -Be $first.CorrelationId
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
        @($warnings).Count | Should -Be 1   # one missing access, one warning: it names the check and the manifest
        "$($warnings[0])" | Should -Match 'Nor could it check beforehand whether a backup'
    }
}

Describe 'Remove only what was named' {
    BeforeAll {
        function script:New-Named([string] $Container, [string[]] $Names) {
            New-TestContainer -Name $Container
            foreach ($n in $Names) { New-TestBlob -Container $Container -Name $n -Content 'backup' }
        }
    }

    It 'matches -BackupName literally: prod[1] never removes prod1' {
        # Before: the name was a wildcard pattern, so 'prod[1].apimbackup' removed prod1.apimbackup.
        $c = New-TestName 'literal'
        New-Named $c 'prod1.apimbackup', 'prod[1].apimbackup'
        Remove-ApimBackup @common -ContainerName $c -BackupName 'prod[1].apimbackup' -Force
        (Get-BlobNames $c) | Should -Be @('prod1.apimbackup')
    }

    It 'says BackupNotFound for a literal name that is not there, and removes nothing' {
        $c = New-TestName 'missing'
        New-Named $c 'prod1.apimbackup'
        $err = $null
        Remove-ApimBackup @common -ContainerName $c -BackupName 'prod[1].apimbackup' -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        (Get-BlobNames $c) | Should -Be @('prod1.apimbackup')
    }

    It 'takes a pattern only through -BackupNamePattern' {
        $c = New-TestName 'pattern'
        New-Named $c 'prod1.apimbackup', 'prod2.apimbackup', 'standby1.apimbackup'
        Remove-ApimBackup @common -ContainerName $c -BackupNamePattern 'prod*' -Force
        (Get-BlobNames $c) | Should -Be @('standby1.apimbackup')
    }

    It 'refuses a malformed pattern with InvalidNamePattern on every cmdlet that takes one, before any request' -TestCases @(
        @{ Command = 'Get-ApimBackup'; Arguments = @{ BackupName = 'prod[' } }
        @{ Command = 'Get-ApimBackup'; Arguments = @{ ServiceName = 'prod[' } }
        @{ Command = 'Remove-ApimBackup'; Arguments = @{ BackupNamePattern = 'prod['; Force = $true } }
        @{ Command = 'Remove-ApimBackup'; Arguments = @{ ServiceName = 'prod['; Expired = $true; Force = $true } }
    ) {
        param($Command, $Arguments)
        $trap = New-TrapListener
        try {
            $err = $null
            & $Command -StorageAccountName $t.StorageAccountName -ContainerName 'anything' -StorageAccountKey $t.StorageKey -BlobEndpoint "http://$($trap.Authority)/$($t.StorageAccountName)" @Arguments -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidNamePattern,*'
            $trap.Pending() | Should -BeFalse
        } finally {
            $trap.Stop()
        }
    }

    It 'refuses a malformed -Name or -ResourceGroupName of Get-ApimOperation with InvalidNamePattern' {
        foreach ($arguments in @{ Name = 'prod[' }, @{ ResourceGroupName = 'rg[' }) {
            $err = $null
            Get-ApimOperation @arguments -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidNamePattern,*'
        }
    }
}

Describe 'Never remove a backup in use' {
    It 'spares a backup a running restore reads, even with -Force, and the restore still succeeds' {
        $c = New-TestName 'inuse'
        $name = New-BackupName
        $null = Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $name -SkipSnapshot
        $null = Set-EmulatorSetting @{ restoreDurationSeconds = 4 }
        try {
            $restore = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @common -ContainerName $c -BackupName $name -NoWait -Force
            $restore.FollowUps | Should -Contain 'ReleaseBackup'
            (Get-ApimBackup @common -ContainerName $c -BackupName $name).ActiveRestores | Should -Be 1

            # Another machine (no journal of its own) applying retention: the mark beside the backup is what it sees.
            $err = Invoke-PwshChild -Parameters @{ Container = $c; Name = $name; Helpers = (Join-Path $PSScriptRoot 'TestHelpers.psm1') } -ScriptBlock {
                param($Container, $Name, $Helpers)
                Import-Module $Helpers
                $t = Get-TestEnvironment
                Import-Module $t.ModulePath
                $env:APIMDR_JOURNAL = 'off'
                $err = $null
                Remove-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $Container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -BackupName $Name -Force -ErrorVariable err -ErrorAction SilentlyContinue
                $err | ForEach-Object { [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Text = "$_" } }
            }
            $err[0].Id | Should -BeLike 'BackupInUse,*'
            $err[0].Text | Should -Match "a restore into 'standby'"
            $err[0].Text | Should -Match '-IgnoreInUse'
            (Get-BlobNames $c) | Should -Contain $name

            ($restore | Wait-ApimOperation @arm @key).Status | Should -Be 'Succeeded'
            (Get-ApimBackup @common -ContainerName $c -BackupName $name).ActiveRestores | Should -Be 0   # the wait cleared the mark
            Remove-ApimBackup @common -ContainerName $c -BackupName $name -Force
            (Get-BlobNames $c) | Should -Not -Contain $name
        } finally {
            $null = Set-EmulatorSetting @{ restoreDurationSeconds = $null }
        }
    }

    It 'removes a backup in use only with -IgnoreInUse' {
        $c = New-TestName 'ignore'
        $name = New-BackupName
        $null = Backup-ApimService @prod @arm @common -ContainerName $c -BackupName $name -SkipSnapshot
        $restore = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @arm @common -ContainerName $c -BackupName $name -NoWait -Force
        Remove-ApimBackup @common -ContainerName $c -BackupName $name -Force -IgnoreInUse
        (Get-BlobNames $c) | Should -Not -Contain $name
        $null = $restore | Wait-ApimOperation @arm @key -ErrorAction SilentlyContinue
    }
}

Describe 'Storage unreachable' {
    It 'answers Get- and Remove-ApimBackup with StorageUnreachable, never a .NET AggregateException' {
        # A loopback port nobody listens on: connections are refused.
        $closed = Get-FreeLoopbackPort
        foreach ($command in 'Get-ApimBackup', 'Remove-ApimBackup') {
            $err = $null
            $extra = if ($command -eq 'Remove-ApimBackup') { @{ Expired = $true; Force = $true } } else { @{} }
            & $command -StorageAccountName $t.StorageAccountName -ContainerName 'anything' -StorageAccountKey $t.StorageKey -BlobEndpoint "http://127.0.0.1:$closed/$($t.StorageAccountName)" @extra -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageUnreachable,*'
            $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
            "$($err[0])" | Should -Match "127\.0\.0\.1:$closed"
        }
    }
}
