#Requires -Modules Pester
# A fleet starts at once (issue 20, item 1): the starts of one Backup-ApimService call run concurrently, while
# confirmations and everything written stay on the pipeline thread, in input order.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix fleet
    New-TestContainer -Name $container
    function script:Get-ServiceRequest([string] $Name) {
        @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' -and $_.url -match "/service/$Name([/?]|$)" } | Sort-Object sequence)
    }
}

Describe 'Backup-ApimService over several services' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
        Clear-EmulatorRequestLog
    }

    It 'starts them at once: the next service is read before the first one is POSTed' {
        # 150 ms per ARM request: one start one after the other would POST prod before any request for standby.
        $null = Set-EmulatorSetting @{ latencyMilliseconds = 150 }
        $ops = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod, standby, standby-msi @storage @arm -NoWait)
        $ops.Count | Should -Be 3
        $prodPost = @(Get-ServiceRequest prod | Where-Object { $_.method -eq 'POST' -and $_.url -match '/backup\?' })
        $prodPost.Count | Should -Be 1
        foreach ($other in 'standby', 'standby-msi') {
            $reads = @(Get-ServiceRequest $other | Where-Object method -eq 'GET')
            $reads.Count | Should -BeGreaterThan 2   # the pre-flight and the snapshot
            $reads[0].sequence | Should -BeLessThan $prodPost[0].sequence
        }
        $null = Set-EmulatorSetting @{ latencyMilliseconds = 0 }
        @($ops | Wait-ApimOperation @arm).Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
    }

    It 'writes what each start says in input order, a failed start as its own error between the others' {
        # prod's snapshot is the largest of the three (its start ends last), the missing service fails at once.
        $null = Set-EmulatorSetting @{ latencyMilliseconds = 50 }
        $all = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod, missing-one, standby-standard @storage @arm -NoWait -ErrorAction Continue 2>&1)
        $all.Count | Should -Be 3
        $all[0].Name | Should -Be 'prod'
        $all[1] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[1].FullyQualifiedErrorId | Should -BeLike 'ServiceNotFound,*'
        $all[1].TargetObject | Should -Match '/service/missing-one$'
        $all[2].Name | Should -Be 'standby-standard'
        $all[0].Status | Should -Be 'InProgress'
        $null = Set-EmulatorSetting @{ latencyMilliseconds = 0 }
        @($all[0], $all[2] | Wait-ApimOperation @arm).Status | Should -Be @('Succeeded', 'Succeeded')
    }

    It 'waits for the ones that started when another one failed, and emits them' {
        $err = $null
        $ops = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby, missing-two, standby-standard @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue)
        ($ops.Name | Sort-Object) | Should -Be @('standby', 'standby-standard')
        $ops.Status | Should -Be @('Succeeded', 'Succeeded')
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceNotFound,*'
    }

    It 'keeps the others in the journal when -ErrorAction Stop ends the call at one failed start' {
        $inputs = @('standby', 'missing-three', 'standby-standard' | ForEach-Object { [pscustomobject]@{ ResourceId = (Get-ApimServiceId $_) } })
        $suffix = New-TestName 'stop'
        { $inputs | Backup-ApimService @storage @arm -BackupName "{service}-$suffix.apimbackup" -ErrorAction Stop } | Should -Throw -ErrorId 'ServiceNotFound,*'
        foreach ($name in 'standby', 'standby-standard') {
            $journaled = @(Get-ApimOperation -Name $name | Where-Object BackupName -eq "$name-$suffix.apimbackup")
            $journaled.Count | Should -Be 1
            $null = $journaled | Wait-ApimOperation @arm
        }
    }

    It 'sends nothing under -WhatIf, for any of them' {
        $ops = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod, standby, standby-msi @storage @arm -WhatIf)
        $ops.Count | Should -Be 0
        @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' }).Count | Should -Be 0
    }

    It 'asks each confirmation in input order, and one that cannot be asked starts nothing for its service' {
        # -Confirm in a host that cannot prompt: ConfirmationRequired for each service, in input order, and no request.
        $err = $null
        $ops = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby, prod, standby-msi @storage @arm -Confirm -ErrorVariable err -ErrorAction SilentlyContinue)
        $ops.Count | Should -Be 0
        $err.Count | Should -Be 3
        $err.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'ConfirmationRequired,*' }
        @($err.TargetObject | ForEach-Object { ($_ -split '/')[-1] }) | Should -Be @('standby', 'prod', 'standby-msi')
        @(Get-EmulatorRequestLog | Where-Object { $_.listener -eq 'arm' }).Count | Should -Be 0
    }
}

Describe 'Restore-ApimService over several services' {
    BeforeAll {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 0; retryAfterSeconds = 1 }
        $script:backups = @{}
        foreach ($name in 'standby', 'standby-msi') {
            $script:backups[$name] = New-BackupName
            $b = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name $name -BackupName $backups[$name] @storage @arm -SkipSnapshot
            $b.Status | Should -Be 'Succeeded'
        }
    }

    It 'restores each piped input in one call, emitted in input order with -NoWait' {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1; latencyMilliseconds = 50 }
        $inputs = @('standby-msi', 'standby') | ForEach-Object { [pscustomobject]@{ ResourceId = (Get-ApimServiceId $_); BackupName = $backups[$_] } }
        $ops = @($inputs | Restore-ApimService @storage @arm -Force -NoWait)
        $ops.Name | Should -Be @('standby-msi', 'standby')
        $ops.BackupName | Should -Be @($backups['standby-msi'], $backups['standby'])
        $null = Set-EmulatorSetting @{ latencyMilliseconds = 0 }
        @($ops | Wait-ApimOperation @arm).Status | Should -Be @('Succeeded', 'Succeeded')
    }
}
