#Requires -Modules Pester
# What an operation must do when it ends travels with it (issue 16): whichever wait sees the end — this
# call's, a new process's from Clixml, Get-ApimOperation's or the catalog's — records a backup's end in its
# manifest and verifies a restore started with -Verify; a follow-up that cannot run says how to complete it.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix fu
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    $script:key = @{ StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
    function script:Get-Manifest([string] $BackupName) { Get-TestBlobContent -Container $container -Name "$BackupName.apimdr.json" | ConvertFrom-Json }

    # A later runbook job: a NEW pwsh with only the saved object (or nothing), the storage key and ARM credentials.
    function script:Invoke-InNewProcess([scriptblock] $Script, [hashtable] $Parameters = @{}) {
        Invoke-PwshChild -Parameters (@{ Helpers = (Join-Path $PSScriptRoot 'TestHelpers.psm1'); Journal = $env:APIMDR_JOURNAL; Inner = $Script.ToString(); Extra = $Parameters }) -ScriptBlock {
            param($Helpers, $Journal, $Inner, $Extra)
            Import-Module $Helpers
            $t = Get-TestEnvironment
            $e = Get-EmulatorEnvironment
            Import-Module $t.ModulePath
            $env:APIMDR_JOURNAL = $Journal
            $arm = @{ ResourceManagerUrl = $e.ArmUrl; AccessToken = (ConvertTo-SecureString $e.Token -AsPlainText -Force) }
            $key = @{ StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
            & ([scriptblock]::Create($Inner)) @Extra
        }
    }
}

AfterAll {
    Reset-Emulator
}

Describe 'Follow-ups travel with the operation' {
    It 'a -NoWait backup saved with Export-Clixml and waited for in a NEW process records its end in the manifest' {
        $name = New-BackupName 'clixml-'
        $op = Backup-ApimService @prod @storage @arm -BackupName $name -SkipSnapshot -NoWait
        $op.FollowUps | Should -Be @('RecordEnd')
        (Get-Manifest $name).status | Should -Be 'InProgress'
        $file = Join-Path ([IO.Path]::GetTempPath()) "$name.xml"
        try {
            $op | Export-Clixml -Path $file
            $ended = Invoke-InNewProcess -Parameters @{ File = $file } -Script {
                param($File)
                Import-Clixml -Path $File | Wait-ApimOperation @arm @key | Select-Object Status, PollCount, FollowUps
            }
        } finally {
            Remove-Item $file -ErrorAction SilentlyContinue
        }
        $ended.Status | Should -Be 'Succeeded'
        $ended.PollCount | Should -BeGreaterThan 0
        @($ended.FollowUps) | Should -BeNullOrEmpty   # done
        $m = Get-Manifest $name
        $m.status | Should -Be 'Succeeded'
        $m.endTime | Should -Not -BeNullOrEmpty
        @($m.followUps) | Should -BeNullOrEmpty
    }

    It 'Get-ApimOperation | Wait-ApimOperation records the end in the manifest' {
        $name = New-BackupName 'journal-'
        $null = Backup-ApimService @prod @storage @arm -BackupName $name -SkipSnapshot -NoWait
        $ended = Get-ApimOperation -Name prod -Running | Where-Object BackupName -eq $name | Wait-ApimOperation @arm @key
        $ended.Status | Should -Be 'Succeeded'
        (Get-Manifest $name).status | Should -Be 'Succeeded'
        Get-ApimOperation | Where-Object BackupName -eq $name | Should -BeNullOrEmpty   # ended and completed: forgotten
    }

    It 'Get-ApimBackup -IncludeInProgress | Wait-ApimOperation in a NEW process records the end, and clears the journal entry' {
        $null = Set-EmulatorSetting @{ backupDurationSeconds = 6 }
        try {
            $name = New-BackupName 'catalog-'
            $null = Backup-ApimService @prod @storage @arm -BackupName $name -SkipSnapshot -NoWait
            $journaled = Get-ApimOperation -Running | Where-Object BackupName -eq $name
            $journaled | Should -Not -BeNullOrEmpty   # so the end of the test proves the catalog-driven wait removed it
            $journaled.ResourceManagerUrl.Authority | Should -Be ([uri]$e.ArmUrl).Authority
            $ended = Invoke-InNewProcess -Parameters @{ Container = $container; Name = $name } -Script {
                param($Container, $Name)
                Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $Container -BackupName $Name -IncludeInProgress @key |
                    Wait-ApimOperation @arm @key | Select-Object Status, PollCount
            }
        } finally {
            $null = Set-EmulatorSetting @{ backupDurationSeconds = $null }
        }
        $ended.Status | Should -Be 'Succeeded'
        $ended.PollCount | Should -BeGreaterThan 0
        (Get-Manifest $name).status | Should -Be 'Succeeded'
        Get-ApimOperation | Where-Object BackupName -eq $name | Should -BeNullOrEmpty   # the catalog-driven wait cleared it (same correlation id)
    }

    Context 'a restore started with -Verify -NoWait' {
        BeforeAll {
            $script:withSnapshot = New-BackupName 'verify-'
            $null = Backup-ApimService @prod @storage @arm -BackupName $withSnapshot
        }

        It 'emits its verification when a later wait in a NEW process sees it succeed' {
            $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $withSnapshot @storage @arm -Verify -NoWait -Force
            $op.FollowUps | Should -Be @('Verify', 'ReleaseBackup')   # ReleaseBackup: the in-use mark beside the backup goes when the restore ends
            $file = Join-Path ([IO.Path]::GetTempPath()) "$withSnapshot.xml"
            try {
                $op | Export-Clixml -Path $file
                $out = Invoke-InNewProcess -Parameters @{ File = $file } -Script {
                    param($File)
                    Import-Clixml -Path $File | Wait-ApimOperation @arm @key
                }
            } finally {
                Remove-Item $file -ErrorAction SilentlyContinue
            }
            $restore = $out | Where-Object { $_.PSObject.TypeNames -contains 'Deserialized.ApimDr.ApimOperation' }
            $restore.Status | Should -Be 'Succeeded'
            $v = $out | Where-Object { $_.PSObject.TypeNames -contains 'Deserialized.ApimDr.ApimRestoreVerification' }
            $v | Should -Not -BeNullOrEmpty
            $v.IsEqual | Should -BeTrue
            $v.BackupName | Should -Be $withSnapshot
        }

        It 'without a storage credential the wait still reports Succeeded and warns with the command that completes the verification' {
            $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $withSnapshot @storage @arm -Verify -NoWait -Force
            $warnings = $null
            # The saved Azurite endpoint is not the account's standard host and no -BlobEndpoint is typed: nothing is sent to it.
            $ended = $op | Wait-ApimOperation @arm -WarningVariable warnings -WarningAction SilentlyContinue
            $ended.Status | Should -Be 'Succeeded'
            $ended.FollowUps | Should -Be @('Verify', 'ReleaseBackup')   # still to do
            @($warnings).Count | Should -Be 1
            $text = "$($warnings[0])"
            $text | Should -Match 'verify the restored service'
            $text | Should -Match 'UntrustedEndpoint'
            $text | Should -Match 'clear the in-use mark'
            $text | Should -Match ([regex]::Escape("-FollowUp Verify,ReleaseBackup -BlobEndpoint '$($t.BlobEndpoint)'"))
            $text | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
            Get-ApimOperation | Where-Object CorrelationId -eq $op.CorrelationId | Should -Not -BeNullOrEmpty   # kept: something is left to do

            # The completing command, as the warning gives it, with the key: the verification comes now.
            $command = [regex]::Match($text, 'To complete it later: (Wait-ApimOperation .*?) -StorageAccountKey <key>').Groups[1].Value
            $command | Should -Not -BeNullOrEmpty
            $command = $command.Replace(" -ResourceManagerUrl '$($e.ArmUrl.TrimEnd('/'))'", '')
            $out = & ([scriptblock]::Create("$command -StorageAccountKey `$t.StorageKey -ResourceManagerUrl `$e.ArmUrl -AccessToken `$token"))
            ($out | Where-Object { $_ -is [ApimDr.ApimRestoreVerification] }).IsEqual | Should -BeTrue
            Get-ApimOperation | Where-Object CorrelationId -eq $op.CorrelationId | Should -BeNullOrEmpty
        }
    }

    It 'a saved operation of an earlier version (no follow-ups, no format version) still resumes' {
        $name = New-BackupName 'old-'
        $op = Backup-ApimService @prod @storage @arm -BackupName $name -SkipSnapshot -NoWait
        $old = $op | Select-Object Kind, Status, Name, ResourceGroupName, SubscriptionId, ResourceId, StorageAccountName, ContainerName, BackupName, AccessType, StartTime, PollUrl, PollStyle, CorrelationId |
            ConvertTo-Json | ConvertFrom-Json
        $ended = $old | Wait-ApimOperation @arm
        $ended.Status | Should -Be 'Succeeded'
        $ended.FormatVersion | Should -Be 1
    }
}
