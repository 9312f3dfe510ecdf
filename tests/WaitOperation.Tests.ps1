#Requires -Modules Pester
# Wait-ApimOperation: live and deserialized operations, failures, timeouts, Ctrl+C, progress, Retry-After.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix wait
    function script:Start-ProdBackup { Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait }
    # A separate runspace running Wait-ApimOperation on its input: its streams (progress) and Stop() are observable.
    function script:New-WaitRunspace {
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($Module, $Token, $Arm) Import-Module $Module; $input | Wait-ApimOperation -ResourceManagerUrl $Arm -AccessToken $Token').AddArgument($t.ModulePath).AddArgument($token).AddArgument($e.ArmUrl)
        return $ps
    }
}

Describe 'Wait-ApimOperation' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'resumes in a NEW process from Export-Clixml / Import-Clixml' {
        $op = Start-ProdBackup
        $file = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'ops').xml"
        try {
            $op | Export-Clixml -Path $file
            $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; File = $file; Token = $e.Token; Arm = $e.ArmUrl } -ScriptBlock {
                param($Path, $File, $Token, $Arm)
                Import-Module $Path
                Import-Clixml -Path $File | Wait-ApimOperation -ResourceManagerUrl $Arm -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) |
                    Select-Object Kind, Name, Status, BackupName, EndTime
            }
            $r.Status | Should -Be 'Succeeded'
            $r.Name | Should -Be 'prod'
            $r.BackupName | Should -Be $op.BackupName
            $r.EndTime | Should -Not -BeNullOrEmpty
        } finally {
            Remove-Item $file -ErrorAction SilentlyContinue
        }
    }

    It 'resumes from ConvertTo-Json / ConvertFrom-Json' {
        $json = Start-ProdBackup | ConvertTo-Json
        $r = $json | ConvertFrom-Json | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token
        $r.Status | Should -Be 'Succeeded'
        $r.Kind | Should -Be 'Backup'
    }

    It 'waits for several operations together and emits each' {
        $ops = @(Start-ProdBackup) + @(Backup-ApimService -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name standby -BackupName (New-BackupName 'sb-') @storage @arm -NoWait)
        $done = @($ops | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token)
        $done.Count | Should -Be 2
        $done.Status | Should -Be @('Succeeded', 'Succeeded')
    }

    It 'emits a failed operation AND a non-terminating error with the failure kind''s ErrorId (SkuMismatch) and the ARM code and message' {
        $backup = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm
        $op = Restore-ApimService -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name standby-standard -BackupName $backup.BackupName `
            @storage @arm -Force -SkipPreflight -NoWait
        $err = $null
        $r = $op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.ErrorCode | Should -Be 'RestoreFailed'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'
        $err[0].TargetObject | Should -Be $op.ResourceId
        "$($err[0])" | Should -Match "RestoreFailed.*current SKU is 'Standard'"
    }

    It 'stops at -TimeoutSeconds with OperationTimedOut, leaving the operation resumable' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 6; retryAfterSeconds = 1 }
        $op = Start-ProdBackup
        $err = $null
        $r = $op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -TimeoutSeconds 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'InProgress'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OperationTimedOut,*'
        "$($err[0])" | Should -Match 'still running.*Wait-ApimOperation'
        # Journaled as running, with the ARM endpoint it belongs to (the wait's: a saved object's own is never trusted).
        $entry = Get-ApimOperation | Where-Object CorrelationId -eq $op.CorrelationId
        $entry.Status | Should -Be 'InProgress'
        $entry.ResourceManagerUrl.Authority | Should -Be ([uri]$e.ArmUrl).Authority
        ($entry | Out-String -Width 250) | Should -Match "Kind\s+Name\s+Status\s+StartTime \(UTC\)\s+BackupName\s+Endpoint[\s\S]*Backup\s+prod\s+InProgress\s.*$([regex]::Escape(([uri]$e.ArmUrl).Authority))"
        ($r | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint).Status | Should -Be 'Succeeded'
        Get-ApimOperation | Where-Object CorrelationId -eq $op.CorrelationId | Should -BeNullOrEmpty   # seen end, manifest completed: dropped
    }

    It 'stops promptly when the pipeline is stopped (Ctrl+C) and the operation can be resumed' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 8; retryAfterSeconds = 5 }
        $op = Start-ProdBackup | ConvertTo-Json | ConvertFrom-Json
        $op.CorrelationId = [guid]::NewGuid().ToString()   # a saved operation this process never journaled
        $ps = New-WaitRunspace
        try {
            $inputData = [System.Management.Automation.PSDataCollection[object]]::new()
            $inputData.Add($op); $inputData.Complete()
            $handle = $ps.BeginInvoke($inputData)
            Start-Sleep -Milliseconds 1500
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # The operation runs 8 s with Retry-After 5 s: a Stop() that waited for the next poll or the end would take seconds.
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
            # Interrupted while it may run on: journaled as running, resumable from Get-ApimOperation.
            (Get-ApimOperation -Running | Where-Object CorrelationId -eq $op.CorrelationId).PollUrl | Should -Be $op.PollUrl
        } finally {
            $ps.Dispose()
        }
        ($op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token).Status | Should -Be 'Succeeded'
    }

    It 'writes progress per operation (status, elapsed, next check) under an overall bar' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 3; retryAfterSeconds = 1 }
        $op = Start-ProdBackup
        $ps = New-WaitRunspace
        try {
            $result = $ps.Invoke(@($op))
            $result[0].Status | Should -Be 'Succeeded'
            $progress = @($ps.Streams.Progress)
            $overall = @($progress | Where-Object ParentActivityId -eq -1)
            $perOperation = @($progress | Where-Object { $_.ParentActivityId -ne -1 })
            $overall[0].Activity | Should -Be 'Waiting for APIM operations'
            ($overall | Where-Object StatusDescription -eq '1 of 1 finished') | Should -Not -BeNullOrEmpty
            $perOperation[0].Activity | Should -Be 'Backup prod'
            $perOperation[0].ParentActivityId | Should -Be $overall[0].ActivityId
            ($perOperation | Where-Object StatusDescription -Match '^InProgress, \d+:\d\d elapsed, next check \d\d:\d\d:\d\d$') | Should -Not -BeNullOrEmpty
            ($perOperation | Where-Object RecordType -eq 'Completed') | Should -Not -BeNullOrEmpty
        } finally {
            $ps.Dispose()
        }
    }

    It 'keeps ONE progress bar per operation, and ends it, when ARM moves the operation to a new Location' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 3; retryAfterSeconds = 1; locationChangesOnFirstPoll = $true }
        $op = Start-ProdBackup
        $ps = New-WaitRunspace
        try {
            $result = $ps.Invoke(@($op))
            $result[0].Status | Should -Be 'Succeeded'
            $perOperation = @($ps.Streams.Progress | Where-Object { $_.ParentActivityId -ne -1 })
            $ids = @($perOperation.ActivityId | Sort-Object -Unique)
            $ids.Count | Should -Be 1
            ($perOperation | Where-Object { $_.ActivityId -eq $ids[0] -and $_.RecordType -eq 'Completed' }) | Should -Not -BeNullOrEmpty
        } finally {
            $ps.Dispose()
        }
    }

    It 'never polls faster than Retry-After, counting from the POST, also when the wait resumes a -NoWait operation' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 5; retryAfterSeconds = 2 }
        Clear-EmulatorRequestLog
        $op = Start-ProdBackup
        ($op | ConvertTo-Json | ConvertFrom-Json | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token).Status | Should -Be 'Succeeded'
        $log = @(Get-EmulatorRequestLog)
        $post = @($log | Where-Object { $_.method -eq 'POST' -and $_.url -match '/backup\?' })
        $post.Count | Should -Be 1
        $times = @($post[0]) + @($log | Where-Object route -eq 'operationresults') | ForEach-Object { [DateTimeOffset]$_.time }
        $times.Count | Should -BeGreaterThan 2
        for ($i = 1; $i -lt $times.Count; $i++) {
            ($times[$i] - $times[$i - 1]).TotalSeconds | Should -BeGreaterOrEqual 1.95
        }
        # And not needlessly slower: a 5 s operation checked every 2 s needs at most 3 polls after the POST.
        ($times.Count - 1) | Should -BeLessOrEqual 3
    }

    It 'refuses to send a token to a poll URL on another host (UntrustedPollHost), sending nothing there' {
        $trap = New-TrapListener
        try {
            $op = Start-ProdBackup | ConvertTo-Json | ConvertFrom-Json
            $original = $op.PollUrl
            $op.PollUrl = $op.PollUrl -replace '^https://[^/]+', $trap.Url
            $err = $null
            $r = $op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -ErrorVariable err -ErrorAction SilentlyContinue
            $r.Status | Should -Be 'InProgress'
            $err[0].FullyQualifiedErrorId | Should -BeLike 'UntrustedPollHost,*'
            $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
            $trap.Pending() | Should -BeFalse
            # Refused, so not journaled: the started backup's entry keeps its real poll URL, and a forged copy adds none.
            @(Get-ApimOperation | Where-Object CorrelationId -eq $op.CorrelationId).PollUrl | Should -Be @($original)
            $op.CorrelationId = [guid]::NewGuid().ToString()
            $null = $op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -ErrorAction SilentlyContinue
            Get-ApimOperation | Where-Object CorrelationId -eq $op.CorrelationId | Should -BeNullOrEmpty
            Get-ApimOperation | Where-Object PollUrl -like "$($trap.Url)*" | Should -BeNullOrEmpty
        } finally {
            $trap.Stop()
        }
    }

    It 'requires a poll URL and a resource id' {
        { [pscustomobject]@{ ResourceId = '/subscriptions/x' } | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -ErrorAction Stop } | Should -Throw
        $err = $null
        [pscustomobject]@{ PollUrl = "$($e.ArmUrl)/x"; ResourceId = 'not-a-resource-id' } | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidResourceId,*'
    }
}

Describe 'Get-ApimOperation: a journal it cannot read is an error, never an empty answer' {
    BeforeAll {
        $script:journal = $env:APIMDR_JOURNAL
    }
    AfterEach {
        $env:APIMDR_JOURNAL = $journal
    }

    It 'says JournalUnreadable when the journal path is <Case>' -TestCases @(
        @{ Case = 'a folder'; Why = 'the path is a folder, not a file' }
        @{ Case = 'under a file'; Why = 'is a file, so the journal''s folder cannot be created' }
    ) {
        param($Case, $Why)
        $folder = Join-Path $TestDrive ([guid]::NewGuid())
        if ($Case -eq 'a folder') {
            $env:APIMDR_JOURNAL = (New-Item -ItemType Directory -Path $folder).FullName
        } else {
            Set-Content -Path $folder -Value 'x'
            $env:APIMDR_JOURNAL = Join-Path $folder 'ApimDr/operations.jsonl'
        }
        $err = $null
        $out = Get-ApimOperation -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JournalUnreadable,*'
        $err[0].CategoryInfo.Category | Should -Be 'ReadError'
        "$($err[0])" | Should -Match ([regex]::Escape($Why))
        "$($err[0])" | Should -Match 'unknown here, not absent'
    }

    It 'says JournalUnreadable when another process keeps the journal''s lock' {
        $null = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -NoWait
        @(Get-ApimOperation).Count | Should -BeGreaterThan 0
        $lock = [IO.File]::Open("$journal.lock", 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $err = $null
            $out = Get-ApimOperation -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'JournalUnreadable,*'
            "$($err[0])" | Should -Match 'held by another process'
        } finally {
            $lock.Dispose()
        }
        @(Get-ApimOperation).Count | Should -BeGreaterThan 0
    }
}
