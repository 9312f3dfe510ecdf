#Requires -Modules Pester
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:common = @{ StorageAccountName = $t.StorageAccountName; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    function script:New-BackupSet {
        # Three backups, oldest first, one second apart (Created has one-second resolution).
        $container = New-TestName 'rm'
        New-TestContainer -Name $container
        foreach ($n in 'a-1.apimbackup', 'a-2.apimbackup', 'b-3.apimbackup') {
            New-TestBlob -Container $container -Name $n
            Start-Sleep -Milliseconds 1100
        }
        return $container
    }
    function script:Get-Names([string] $Container) { @(Get-ApimBackup @common -ContainerName $Container).BackupName | Sort-Object }
}

Describe 'Remove-ApimBackup' {
    It 'keeps the newest N with -KeepLast and emits what it removed with -PassThru' {
        $c = New-BackupSet
        $removed = @(Remove-ApimBackup @common -ContainerName $c -KeepLast 1 -Force -PassThru)
        ($removed.BackupName | Sort-Object) | Should -Be @('a-1.apimbackup', 'a-2.apimbackup')
        $removed[0].PSObject.TypeNames[0] | Should -Be 'ApimDr.ApimBackup'
        Get-Names $c | Should -Be @('b-3.apimbackup')
    }

    It 'applies -KeepLast within a name pattern' {
        $c = New-BackupSet
        Remove-ApimBackup @common -ContainerName $c -BackupNamePattern 'a-*' -KeepLast 1 -Force
        Get-Names $c | Should -Be @('a-2.apimbackup', 'b-3.apimbackup')
    }

    It 'says so when the operation journal cannot be read (JournalUnreadable), and goes on with the in-use marks' {
        $c = New-BackupSet
        $saved = $env:APIMDR_JOURNAL
        $env:APIMDR_JOURNAL = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))).FullName   # a folder, not a file
        try {
            $warnings = $null
            Remove-ApimBackup @common -ContainerName $c -BackupName 'a-1.apimbackup' -Force -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        } finally {
            $env:APIMDR_JOURNAL = $saved
        }
        "$warnings" | Should -Match 'Could not read the operation journal .*the path is a folder'
        Get-Names $c | Should -Be @('a-2.apimbackup', 'b-3.apimbackup')
    }

    It 'removes what Get-ApimBackup pipes in' {
        $c = New-BackupSet
        Get-ApimBackup @common -ContainerName $c -BackupName 'a-1.apimbackup' | Remove-ApimBackup -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -Confirm:$false   # Azurite's endpoint is not a standard host: typed
        Get-Names $c | Should -Be @('a-2.apimbackup', 'b-3.apimbackup')
    }

    It 'removes nothing that is not expired or old enough' {
        $c = New-BackupSet
        Remove-ApimBackup @common -ContainerName $c -Expired -Force -PassThru | Should -BeNullOrEmpty
        Remove-ApimBackup @common -ContainerName $c -OlderThan ([TimeSpan]::FromDays(1)) -Force | Should -BeNullOrEmpty
        Get-Names $c | Should -Be @('a-1.apimbackup', 'a-2.apimbackup', 'b-3.apimbackup')
    }

    It 'removes nothing with -WhatIf, even with -Force' {
        $c = New-BackupSet
        Remove-ApimBackup @common -ContainerName $c -KeepLast 1 -Force -WhatIf
        Get-Names $c | Should -Be @('a-1.apimbackup', 'a-2.apimbackup', 'b-3.apimbackup')
    }

    It 'refuses to run without a name or a rule (RetentionRuleRequired), removing nothing' {
        $c = New-BackupSet
        $err = $null
        Remove-ApimBackup @common -ContainerName $c -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RetentionRuleRequired,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-Names $c | Should -Be @('a-1.apimbackup', 'a-2.apimbackup', 'b-3.apimbackup')
    }

    Context 'a rule that would select every backup' {
        BeforeAll {
            $script:olderThanContainer = New-BackupSet
        }

        It 'refuses <Case> (InvalidRetentionRule, an ErrorId, not a binding error) before listing, removing nothing' -TestCases @(
            @{ Case = '-OlderThan 0 ([TimeSpan]::Zero)'; Rule = @{ OlderThan = [TimeSpan]::Zero } }
            @{ Case = '-OlderThan of minus one day'; Rule = @{ OlderThan = [TimeSpan]::FromDays(-1) } }
            @{ Case = '-OlderThan -30 (bound as -30 ticks)'; Rule = @{ OlderThan = -30 } }
            @{ Case = '-OlderThan 30 (bound as 30 ticks, not days)'; Rule = @{ OlderThan = 30 } }
            @{ Case = '-OlderThan [TimeSpan]::MinValue (was an OverflowException)'; Rule = @{ OlderThan = [TimeSpan]::MinValue } }
            @{ Case = '-KeepLast 0 (keeps nothing)'; Rule = @{ KeepLast = 0 } }
            @{ Case = '-KeepLast -1 (was a parameter binding error)'; Rule = @{ KeepLast = -1 } }
        ) {
            param($Rule)
            $err = $null
            $out = Remove-ApimBackup @common @Rule -ContainerName $olderThanContainer -Force -PassThru -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRetentionRule,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            "$($err[0])" | Should -Match 'would select every backup'
            Get-Names $olderThanContainer | Should -Be @('a-1.apimbackup', 'a-2.apimbackup', 'b-3.apimbackup')
        }

        It 'refuses it before any storage request' {
            $trap = New-TrapListener
            try {
                $endpoint = "http://$($trap.Authority)/$($t.StorageAccountName)"
                $err = $null
                Remove-ApimBackup -StorageAccountName $t.StorageAccountName -StorageAccountKey $t.StorageKey -BlobEndpoint $endpoint -ContainerName $olderThanContainer `
                    -OlderThan ([TimeSpan]::FromDays(-30)) -Force -ErrorVariable err -ErrorAction SilentlyContinue
                $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRetentionRule,*'
                Remove-ApimBackup -StorageAccountName $t.StorageAccountName -StorageAccountKey $t.StorageKey -BlobEndpoint $endpoint -ContainerName $olderThanContainer `
                    -KeepLast 0 -Force -ErrorVariable err -ErrorAction SilentlyContinue
                $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRetentionRule,*'
                $trap.Pending() | Should -BeFalse
            } finally {
                $trap.Stop()
            }
        }
    }

    It 'fails safely in a non-interactive host without -Force (ConfirmationRequired)' {
        $c = New-BackupSet
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint; Container = $c } -ScriptBlock {
            param($Path, $Account, $Key, $Blob, $Container)
            Import-Module $Path
            $err = $null
            Remove-ApimBackup -StorageAccountName $Account -ContainerName $Container -StorageAccountKey (ConvertTo-SecureString $Key -AsPlainText -Force) -BlobEndpoint $Blob `
                -KeepLast 1 -ErrorVariable err -ErrorAction SilentlyContinue
            "$($err[0].FullyQualifiedErrorId)"
        }
        $r | Should -BeLike 'ConfirmationRequired,*'
        Get-Names $c | Should -Be @('a-1.apimbackup', 'a-2.apimbackup', 'b-3.apimbackup')
    }
}
