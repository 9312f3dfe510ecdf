#Requires -Modules Pester
# The fault suite (issue "Never wrong about an outcome"): one test per row of the outcome table in
# docs/arm-protocol.md §6 and per trust defect, against the BUILT module, the emulator and Azurite.
# Each asserts the outcome, how many POSTs reached the service (never two for one intent), what the
# journal holds, and whether a resume reaches the true final state.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix fault

    function script:Add-Fault([hashtable] $Spec) { $null = Invoke-EmulatorControl -Method POST -Path 'faults' -Body $Spec }
    function script:Get-Posts([string] $Action = 'backup') { Get-EmulatorActionPost -Action $Action }
    function script:Get-Polls { @(Get-EmulatorRequestLog | Where-Object { $_.method -eq 'GET' -and $_.url -match '/operationresults/' }) }
    function script:Get-Journal([string] $BackupName) { @(Get-ApimOperation | Where-Object BackupName -eq $BackupName) }
    function script:Wait-EmulatorIdle {
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ([DateTime]::UtcNow -lt $deadline -and @((Invoke-EmulatorControl -Path 'operations').operations | Where-Object state -eq 'Running').Count -gt 0) { Start-Sleep -Milliseconds 200 }
    }
    function script:Test-Blob([string] $Name) { [bool](Get-ApimBackup @storage -BackupName $Name -ErrorAction SilentlyContinue) }
}

Describe 'Outcome table: the POST' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'a 500 AFTER the service took the POST is OperationOutcomeUnknown, sent once, journaled as Unknown; the backup ran (defect 8)' {
        Add-Fault @{ route = 'backup'; kind = '500'; when = 'after' }
        $name = New-BackupName
        $err = $null
        $r = Backup-ApimService @prod -BackupName $name @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationOutcomeUnknown,*'
        "$($err[0])" | Should -Match 'may have started it'
        "$($err[0])" | Should -Not -Match 'failed:'
        (Get-Posts).Count | Should -Be 1
        $j = Get-Journal $name
        $j.Count | Should -Be 1
        $j[0].Status | Should -Be 'Unknown'
        # The truth is reachable: the catalog shows the backup the service made.
        Wait-EmulatorIdle
        Test-Blob $name | Should -BeTrue
    }

    It 'a 503 with Retry-After after the POST was processed is never resent: no second backup (defect 9)' {
        Add-Fault @{ route = 'backup'; kind = '503'; when = 'after'; retryAfterSeconds = 1 }
        $err = $null
        $null = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationOutcomeUnknown,*'
        (Get-Posts).Count | Should -Be 1
        Wait-EmulatorIdle
        @((Invoke-EmulatorControl -Path 'operations').operations | Where-Object kind -eq 'backup').Count | Should -Be 1
    }

    It 'a connection reset after the POST was sent is OperationOutcomeUnknown, sent once' {
        Add-Fault @{ route = 'backup'; kind = 'reset'; when = 'after' }
        $err = $null
        $null = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationOutcomeUnknown,*'
        (Get-Posts).Count | Should -Be 1
    }

    It 'a 429 BEFORE the service took it is resent after Retry-After and succeeds: two POSTs, one backup' {
        Add-Fault @{ route = 'backup'; kind = '429'; when = 'before'; retryAfterSeconds = 1 }
        $r = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm
        $r.Status | Should -Be 'Succeeded'
        (Get-Posts).Count | Should -Be 2
        @((Invoke-EmulatorControl -Path 'operations').operations | Where-Object kind -eq 'backup').Count | Should -Be 1
    }

    It 'a 409 while this user''s backup runs is ServiceBusy naming the journaled operation; nothing new is journaled' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 6; retryAfterSeconds = 1 }
        $first = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        $second = New-BackupName
        $err = $null
        $null = Backup-ApimService @prod -BackupName $second @storage @arm -NoWait -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceBusy,*'
        "$($err[0])" | Should -Match 'Get-ApimOperation -Name prod'
        (Get-Journal $second).Count | Should -Be 0
        # The storage key too: the wait also records the end in the backup's manifest (its follow-up).
        $resumed = Get-ApimOperation -Name prod -Running | Where-Object BackupName -eq $first.BackupName | Wait-ApimOperation @arm -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint
        $resumed.Status | Should -Be 'Succeeded'
        (Get-Journal $first.BackupName).Count | Should -Be 0   # seen terminal and completed: removed
    }
}

Describe 'Outcome table: polls' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 3; retryAfterSeconds = 1 }
    }

    It 'seven consecutive 503/500 answers on polls are no verdict: Succeeded, the blob is there (defect 6)' {
        Add-Fault @{ route = 'operationresults'; kind = '500'; count = 3 }                           # no Retry-After: backoff 1, 2, 4 s
        Add-Fault @{ route = 'operationresults'; kind = '503'; count = 4; retryAfterSeconds = 1 }   # Retry-After 1 s
        $name = New-BackupName
        $err = $null
        $r = Backup-ApimService @prod -BackupName $name @storage @arm -ErrorVariable err
        $r.Status | Should -Be 'Succeeded'
        $err | Should -BeNullOrEmpty
        Test-Blob $name | Should -BeTrue
        (Get-Posts).Count | Should -Be 1
    }

    It 'a 5xx streak cut by -TimeoutSeconds is resumable, not Failed, and the resume reaches Succeeded' {
        Add-Fault @{ route = 'operationresults'; kind = '503'; count = 1000; retryAfterSeconds = 1 }
        $err = $null
        $r = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -TimeoutSeconds 4 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'InProgress'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationTimedOut,*'
        "$($err[0])" | Should -Match 'checks failed'
        (Get-Journal $r.BackupName)[0].Status | Should -Be 'InProgress'
        Clear-EmulatorFault
        ($r | Wait-ApimOperation @arm -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint).Status | Should -Be 'Succeeded'
        (Get-Journal $r.BackupName).Count | Should -Be 0
    }

    It 'a final 403 AuthorizationPermissionMismatch (the service identity has no storage role) is Failed, not "still running" (defect 7)' {
        $principal = (Invoke-EmulatorControl -Path 'services').services | Where-Object name -eq 'prod-msi' | ForEach-Object { $_.identity.principalId }
        $null = Invoke-EmulatorControl -Method DELETE -Path "storage/$($t.StorageAccountName)/roleAssignments/$principal"   # Reset-Emulator restores it
        $err = $null
        $r = Backup-ApimService -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name prod-msi -BackupName (New-BackupName) `
            -StorageAccountName $t.StorageAccountName -ContainerName $container -BlobEndpoint $t.BlobEndpoint @arm -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorCode | Should -Be 'AuthorizationPermissionMismatch'
        "$($err[0])" | Should -Not -Match 'still running'
        ($r | Wait-ApimOperation @arm).Status | Should -Be 'Failed'   # final: sends nothing
    }

    It 'a 403 AuthorizationFailed on a poll is AuthorizationFailed, outcome unknown and resumable' {
        Add-Fault @{ route = 'operationresults'; kind = '403' }
        $err = $null
        $r = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'InProgress'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AuthorizationFailed,*'
        "$($err[0])" | Should -Match 'outcome of the backup is unknown'
        ($r | Wait-ApimOperation @arm).Status | Should -Be 'Succeeded'
    }

    It 'a 404 on a poll is OperationNotFound with guidance, never Failed' {
        Add-Fault @{ route = 'operationresults'; kind = '404' }
        $err = $null
        $r = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'InProgress'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationNotFound,*'
        "$($err[0])" | Should -Match 'Get-ApimBackup'
    }

    It 'after a 404 on a poll it checks, once, the service and the backup blob, says what it found, and drops the operation from the journal' {
        # Before: "resume with Wait-ApimOperation", the journal kept it, and every resume met the same 404.
        Add-Fault @{ route = 'operationresults'; kind = '404'; count = 100 }
        $name = New-BackupName
        $err = $null
        $r = Backup-ApimService @prod -BackupName $name @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'InProgress'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationNotFound,*'
        "$($err[0])" | Should -Match "provisioningState is 'Updating'"              # the emulator's backup still runs
        "$($err[0])" | Should -Match "no backup blob '[^']*/$([regex]::Escape($name))' exists"   # checked with the key the backup used
        "$($err[0])" | Should -Match 'no longer resumable'
        "$($err[0])" | Should -Not -Match 'resume the wait'
        @(Get-Polls).Count | Should -Be 1
        Get-Journal $name | Should -BeNullOrEmpty
    }

    It 'a 400 NoRegisteredProviderFound from ARM''s front door at a poll is about the request: InvalidPollUrl, outcome unknown, resumable, never Failed' {
        # Before: Failed with ErrorCode NoRegisteredProviderFound while the backup ran on. (The other front-door codes: xunit OutcomeTableTests.)
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        $bad = $op | Select-Object *
        $bad.PollUrl = [Uri]($op.PollUrl.AbsoluteUri -replace 'api-version=[^&]*', 'api-version=1999-01-01')
        $Code = 'NoRegisteredProviderFound'
        Clear-EmulatorRequestLog
        $err = $null
        $r = $bad | Wait-ApimOperation @arm -ErrorVariable err -ErrorAction SilentlyContinue
        @(Get-Polls).Count | Should -Be 1
        $r.Status | Should -Be 'InProgress'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidPollUrl,*'
        "$($err[0])" | Should -Match $Code
        "$($err[0])" | Should -Match 'outcome of the backup is unknown'
        "$($err[0])" | Should -Match 'Wait-ApimOperation'
        ($op | Wait-ApimOperation @arm).Status | Should -Be 'Succeeded'
    }

    It 'follows the Location of the latest 202 (the real recording''s double slash, defect 12)' {
        $null = Set-EmulatorSetting @{ locationChangesOnFirstPoll = $true }
        $r = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm
        $r.Status | Should -Be 'Succeeded'
        $polls = Get-Polls
        $polls.Count | Should -BeGreaterThan 1
        $polls[0].url | Should -Match '//operationresults/'
        $polls | Select-Object -Skip 1 | ForEach-Object { $_.url | Should -Not -Match '//operationresults/' }
    }
}

Describe 'Trust boundary' {
    BeforeAll {
        $script:trap = New-TrapListener
    }
    AfterAll { $trap.Stop() }
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'never sends the token to a host named in a saved operation (defect 1), with -AccessToken or managed identity' {
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        $file = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'ops').xml"
        try {
            $forged = $op | Select-Object *
            $forged.PollUrl = [Uri]($op.PollUrl.AbsoluteUri -replace '^https://[^/]+', $trap.Url)
            $forged.ResourceManagerUrl = [Uri]"$($trap.Url)/"
            $forged | Export-Clixml -Path $file
            Clear-EmulatorRequestLog
            $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; File = $file; Token = $e.Token; Arm = $e.ArmUrl } -ScriptBlock {
                param($Path, $File, $Token, $Arm)
                Import-Module $Path
                $errors = @()
                $null = Import-Clixml $File | Wait-ApimOperation -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -ErrorVariable +errors -ErrorAction SilentlyContinue
                $null = Import-Clixml $File | Wait-ApimOperation -ResourceManagerUrl $Arm -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -ErrorVariable +errors -ErrorAction SilentlyContinue
                # Managed identity (IDENTITY_ENDPOINT points at the emulator): no token may even be fetched for the forged host.
                $null = Import-Clixml $File | Wait-ApimOperation -ErrorVariable +errors -ErrorAction SilentlyContinue
                $errors | ForEach-Object { $_.FullyQualifiedErrorId }
            }
            @($r).Count | Should -Be 3
            $r | ForEach-Object { $_ | Should -BeLike 'UntrustedPollHost,*' }
            $trap.Pending() | Should -BeFalse
            @(Get-EmulatorRequestLog | Where-Object { $_.url -match [regex]::Escape($trap.Authority) }).Count | Should -Be 0
            @(Get-EmulatorRequestLog | Where-Object route -eq 'identity').Count | Should -Be 0
        } finally {
            Remove-Item $file -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a poll URL that is not an operation of the service: its own GET URL, another service''s operation (defect 2)' {
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        $serviceGet = "$($e.ArmUrl.TrimEnd('/'))$($op.ResourceId)?api-version=2024-05-01"
        $otherId = $op.ResourceId -replace '/service/prod$', '/service/standby'
        Clear-EmulatorRequestLog
        $err = $null
        $r1 = [pscustomobject]@{ PollUrl = $serviceGet; ResourceId = $op.ResourceId } | Wait-ApimOperation @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $r2 = [pscustomobject]@{ PollUrl = $op.PollUrl; ResourceId = $otherId } | Wait-ApimOperation @arm -ErrorVariable +err -ErrorAction SilentlyContinue
        $r1.Status | Should -Not -Be 'Succeeded'
        $r2.Status | Should -Not -Be 'Succeeded'
        $err.Count | Should -Be 2
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'InvalidPollUrl,*' }
        @(Get-EmulatorRequestLog | Where-Object { $_.url -match '/subscriptions/' }).Count | Should -Be 0
    }

    It 'refuses a relative -PollUrl before any request' {
        $err = $null
        Wait-ApimOperation -PollUrl '/subscriptions/x/operationresults/y' -ResourceId (Get-ApimServiceId prod) @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidPollUrl,*'
    }

    It 'refuses a poll URL without api-version before any request (InvalidPollUrl), with -PollUrl or a piped object' {
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        $bare = [Uri]($op.PollUrl.GetLeftPart([UriPartial]::Path))
        $piped = $op | Select-Object *
        $piped.PollUrl = [Uri]($op.PollUrl.AbsoluteUri -replace 'api-version=[^&]*', 'api-version=')
        Clear-EmulatorRequestLog
        $err = $null
        $r1 = Wait-ApimOperation -PollUrl $bare -ResourceId $op.ResourceId @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $r2 = $piped | Wait-ApimOperation @arm -ErrorVariable +err -ErrorAction SilentlyContinue
        $r1, $r2 | Should -BeNullOrEmpty
        $err.Count | Should -Be 2
        $err | ForEach-Object {
            $_.FullyQualifiedErrorId | Should -BeLike 'InvalidPollUrl,*'
            $_.CategoryInfo.Category | Should -Be 'InvalidArgument'
            "$_" | Should -Match 'api-version'
        }
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }

    It 'sends storage credentials only to a blob endpoint given on the command line, never one read from a piped object' {
        $backup = [pscustomobject]@{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; BackupName = 'x.apimbackup'; BlobEndpoint = "http://$($trap.Authority)/devstoreaccount1" }
        $err = $null
        $backup | Restore-ApimService @prod -StorageAccountKey $t.StorageKey @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UntrustedEndpoint,*'
        $trap.Pending() | Should -BeFalse
        (Get-Posts 'restore').Count | Should -Be 0
    }
}

Describe 'Nothing started is lost' {
    BeforeEach {
        Reset-Emulator
    }

    It 'Ctrl+C while the POST is in flight waits for its answer, journals it, and the journal resumes it (defect 10)' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 3; retryAfterSeconds = 1 }
        Add-Fault @{ route = 'backup'; kind = 'hold'; seconds = 3; when = 'after' }
        $name = New-BackupName
        $ps = [powershell]::Create()
        try {
            $env:APIMDR_JOURNAL | Should -Not -BeNullOrEmpty
            $null = $ps.AddScript('param($Module, $Token, $Arm, $Storage, $Prod, $Name) Import-Module $Module; Backup-ApimService @Prod -BackupName $Name @Storage -ResourceManagerUrl $Arm -AccessToken $Token').
                AddArgument($t.ModulePath).AddArgument($token).AddArgument($e.ArmUrl).AddArgument($storage).AddArgument($prod).AddArgument($name)
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ((Get-Posts).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            (Get-Posts).Count | Should -Be 1
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        } finally {
            $ps.Dispose()
        }
        (Get-Posts).Count | Should -Be 1
        $j = Get-Journal $name
        $j.Count | Should -Be 1
        $j[0].Status | Should -Be 'InProgress'
        $j[0].PollUrl | Should -Not -BeNullOrEmpty
        ($j | Wait-ApimOperation @arm).Status | Should -Be 'Succeeded'
        (Get-Posts).Count | Should -Be 1
    }

    It 'Ctrl+C during an inline wait warns with the command that resumes each operation still running, and that command resumes it' {
        # Before: the wait ended with a bare PipelineStoppedException; PowerShell drops a stopped command's writes.
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 6; retryAfterSeconds = 1 }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript('param($Module, $Token, $Arm, $Storage, $Sub, $Rg) Import-Module $Module; Backup-ApimService -SubscriptionId $Sub -ResourceGroupName $Rg -Name prod, standby @Storage -ResourceManagerUrl $Arm -AccessToken $Token').
                AddArgument($t.ModulePath).AddArgument($token).AddArgument($e.ArmUrl).AddArgument($storage).AddArgument($sub).AddArgument($rg)
            Clear-EmulatorRequestLog
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ((Get-Polls).Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            (Get-Polls).Count | Should -BeGreaterOrEqual 2
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $warnings = @($ps.Streams.Warning | ForEach-Object Message)
        } finally {
            $ps.Dispose()
        }
        $warnings.Count | Should -Be 2
        foreach ($name in 'prod', 'standby') {
            $line = @($warnings | Where-Object { $_ -match "the backup of '$name' was still running" })
            $line.Count | Should -Be 1
            $line[0] -match "resume: Wait-ApimOperation -Kind Backup -ResourceId '([^']+/service/$name)' -PollUrl '([^']+)'" | Should -BeTrue
            $resumed = Wait-ApimOperation -Kind Backup -ResourceId $Matches[1] -PollUrl $Matches[2] @arm
            $resumed.Status | Should -Be 'Succeeded'
            $resumed.Name | Should -Be $name
        }
    }

    It 'Ctrl+C (SIGINT) in a console pwsh during Wait-ApimOperation prints the resume command as a WARNING' {
        if ($IsWindows) { Set-ItResult -Skipped -Because 'SIGINT is how a Linux/macOS console delivers Ctrl+C' }
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 30; retryAfterSeconds = 1 }
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        $file = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'op').xml"
        $script = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'sigint').ps1"
        $op | Export-Clixml -Path $file
        Set-Content -Path $script -Value @"
Import-Module '$($t.ModulePath)'
'waiting'
Import-Clixml '$file' | Wait-ApimOperation -ResourceManagerUrl '$($e.ArmUrl)' -AccessToken (ConvertTo-SecureString `$env:APIMDR_TEST_ARM_TOKEN -AsPlainText -Force)
'not reached'
"@
        $pwsh = Get-PwshCommand
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-File', $script)) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.RedirectStandardInput = $true
        $psi.UseShellExecute = $false
        $p = [Diagnostics.Process]::Start($psi)
        try {
            $stdout = $p.StandardOutput.ReadToEndAsync()
            $stderr = $p.StandardError.ReadToEndAsync()
            Clear-EmulatorRequestLog
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Get-Polls).Count -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            (Get-Polls).Count | Should -BeGreaterOrEqual 1
            & kill -s INT $p.Id
            $p.WaitForExit(20000) | Should -BeTrue
            $text = ($stdout.Result + $stderr.Result) -replace '\x1b\[[0-9;]*m'
        } finally {
            if (-not $p.HasExited) { $p.Kill($true) }
            Remove-Item $file, $script -ErrorAction SilentlyContinue
        }
        $text | Should -Match 'waiting'
        $text | Should -Not -Match 'not reached'
        $text | Should -Match "WARNING: The wait was stopped; the backup of 'prod' was still running"
        $text | Should -Match ([regex]::Escape("resume: Wait-ApimOperation -Kind Backup -ResourceId '$($op.ResourceId)' -PollUrl '$($op.PollUrl.AbsoluteUri)'"))
        $text | Should -Not -Match ([regex]::Escape($e.Token))
    }

    It 'a SIGKILLed inline wait left its poll URL in a redirected Information stream, enough to resume (defect 11)' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 8; retryAfterSeconds = 1 }
        $name = New-BackupName
        $info = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'info').txt"
        $script = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'kill').ps1"
        Set-Content -Path $script -Value @"
Import-Module '$($t.ModulePath)'
# The key and the token come from the environment this process inherits, never written into this file.
`$key = ConvertTo-SecureString `$env:APIMDR_TEST_STORAGE_KEY -AsPlainText -Force
Backup-ApimService -ResourceManagerUrl '$($e.ArmUrl)' -AccessToken (ConvertTo-SecureString `$env:APIMDR_TEST_ARM_TOKEN -AsPlainText -Force) -SubscriptionId '$($e.SubscriptionId)' -ResourceGroupName '$($e.ResourceGroup)' -Name prod ``
    -BackupName '$name' -StorageAccountName '$($t.StorageAccountName)' -ContainerName '$container' -StorageAccountKey `$key -BlobEndpoint '$($t.BlobEndpoint)' 6> '$info'
"@
        $pwsh = Get-PwshCommand
        $p = Start-Process -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script)) -PassThru
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not ((Test-Path $info) -and (Get-Content -Raw $info) -match 'PollUrl') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Stop-Process -Id $p.Id -Force   # SIGKILL: no finally, no cleanup in the child
            $text = Get-Content -Raw $info
            $text | Should -Not -Match ([regex]::Escape($e.Token))
            $text | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
            $text | Should -Match "resume: Wait-ApimOperation -Kind Backup -ResourceId '([^']+)' -PollUrl '([^']+)'"
            $null = $text -match "-ResourceId '([^']+)' -PollUrl '([^']+)'"
            $resumed = Wait-ApimOperation -Kind Backup -ResourceId $Matches[1] -PollUrl $Matches[2] @arm
            $resumed.Status | Should -Be 'Succeeded'
            Test-Blob $name | Should -BeTrue
        } finally {
            if (-not $p.HasExited) { Stop-Process -Id $p.Id -Force }
            Remove-Item $info, $script -ErrorAction SilentlyContinue
        }
    }

    It 'accepts a -TimeoutSeconds beyond what a timer holds (clamped), never crashing after the POST (defect 13)' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
        $r = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -TimeoutSeconds 4294968
        $r.Status | Should -Be 'Succeeded'
    }
}
