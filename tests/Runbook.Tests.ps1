#Requires -Modules Pester
# docs/examples/Invoke-ApimDrRunbook.ps1 run as Azure Automation runs a runbook: each job a NEW pwsh (-File,
# stdin closed) with its own empty HOME, TEMP and journal folder (deleted when the job ends), the module
# imported by name from PSModulePath, the managed identity (the emulator's IDENTITY_ENDPOINT) for ARM, and the
# storage keys only through Get-AutomationVariable (a stub module in the job's HOME reads them from the job's
# environment: no file holds them). Nothing of a job survives it except what it wrote to the containers.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix rb
    $script:runbook = Join-Path (Split-Path $PSScriptRoot) 'docs/examples/Invoke-ApimDrRunbook.ps1'
    $script:replicaContainer = New-TestName 'rbrep'
    $script:replicaStorage = @{ ReplicaStorageAccountName = $t.ReplicaAccountName; ReplicaContainerName = $replicaContainer
        ReplicaStorageAccountKey = $t.ReplicaKey; ReplicaBlobEndpoint = $t.ReplicaBlobEndpoint }
    $script:replicaAt = @{ StorageAccountName = $t.ReplicaAccountName; ContainerName = $replicaContainer; StorageAccountKey = $t.ReplicaKey; BlobEndpoint = $t.ReplicaBlobEndpoint }

    function script:Start-RunbookJob([string] $Job, [hashtable] $Parameters) {
        $dir = Join-Path $TestDrive $Job
        $jobHome = Join-Path $dir 'home'
        $stub = Join-Path $jobHome '.local/share/powershell/Modules/AutomationStub'
        $null = New-Item -ItemType Directory -Path $stub, (Join-Path $dir 'tmp'), (Join-Path $dir 'journal')
        Set-Content -Path (Join-Path $stub 'AutomationStub.psm1') -Value @'
function Get-AutomationVariable {
    # Azure Automation's Get-AutomationVariable, as the sandbox offers it; here the value is in the job's environment.
    param([Parameter(Mandatory)][string] $Name)
    $value = [Environment]::GetEnvironmentVariable("AUTOMATION_VARIABLE_$Name")
    if ($null -eq $value) { throw "Automation variable '$Name' not found." }
    return $value
}
'@
        $pwsh = Get-PwshCommand
        $info = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $runbook)) { $info.ArgumentList.Add($a) }
        foreach ($k in $Parameters.Keys) { $info.ArgumentList.Add("-$k"); $info.ArgumentList.Add([string]$Parameters[$k]) }
        foreach ($k in @($info.Environment.Keys)) { if ($k -like 'APIMDR_*') { $null = $info.Environment.Remove($k) } }   # the runbook gets no test settings
        $info.Environment['HOME'] = $jobHome
        foreach ($k in 'TMPDIR', 'TEMP', 'TMP') { $info.Environment[$k] = Join-Path $dir 'tmp' }
        $info.Environment['XDG_DATA_HOME'] = Join-Path $jobHome '.local/share'
        $info.Environment['XDG_CONFIG_HOME'] = Join-Path $jobHome '.config'
        $info.Environment['XDG_CACHE_HOME'] = Join-Path $jobHome '.cache'
        $info.Environment['APIMDR_JOURNAL'] = Join-Path $dir 'journal/operations.jsonl'
        $info.Environment['PSModulePath'] = (Join-Path $jobHome '.local/share/powershell/Modules'), (Split-Path (Split-Path $t.ModulePath)) -join [IO.Path]::PathSeparator
        $info.Environment['AUTOMATION_VARIABLE_DrStoreKey'] = $t.StorageKeyText
        $info.Environment['AUTOMATION_VARIABLE_DrReplicaKey'] = $t.ReplicaKeyText
        $info.WorkingDirectory = $dir
        $info.UseShellExecute = $false
        $info.RedirectStandardInput = $true
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        $process.StandardInput.Close()
        $out = [System.IO.File]::Open((Join-Path $TestDrive "$Job.out"), 'Create', 'Write', 'ReadWrite')
        $err = [System.IO.File]::Open((Join-Path $TestDrive "$Job.err"), 'Create', 'Write', 'ReadWrite')
        return [pscustomobject]@{ Process = $process; Dir = $dir; Name = $Job; Streams = @($out, $err)
            Copies = @($process.StandardOutput.BaseStream.CopyToAsync($out), $process.StandardError.BaseStream.CopyToAsync($err)) }
    }

    function script:Stop-RunbookJob($Job, [switch] $Kill, [int] $TimeoutSeconds = 240) {
        # Ends the job (killed by its PID, or waited for), returns its exit code and output, and deletes its folder: HOME, TEMP and journal are gone.
        if ($Kill) { $Job.Process.Kill($true) }
        if (-not $Job.Process.WaitForExit($TimeoutSeconds * 1000)) { $Job.Process.Kill($true); $null = $Job.Process.WaitForExit(10000) }
        $null = [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]$Job.Copies, 10000)
        $Job.Streams | ForEach-Object Dispose
        $journaled = Test-Path (Join-Path $Job.Dir 'journal/operations.jsonl')
        Remove-Item -Recurse -Force $Job.Dir
        return [pscustomobject]@{ ExitCode = $Job.Process.ExitCode; Journaled = $journaled
            Output = (Get-Content -Raw (Join-Path $TestDrive "$($Job.Name).out")) + (Get-Content -Raw (Join-Path $TestDrive "$($Job.Name).err")) }
    }
}

AfterAll {
    Reset-Emulator
}

Describe 'The Automation runbook (docs/examples/Invoke-ApimDrRunbook.ps1)' {
    BeforeAll {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
        New-TestContainer -Name $container
        New-TestContainer -Name $replicaContainer -Account Replica
        $script:runbookServices = 'prod-msi', 'standby-msi'
        $script:ids = $runbookServices | ForEach-Object { Get-ApimServiceId $_ }
        $script:parameters = @{ SubscriptionId = $sub; ResourceGroupName = $rg; ServiceName = ($runbookServices -join ',')
            StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageKeyVariable = 'DrStoreKey'; BlobEndpoint = $t.BlobEndpoint
            ReplicaStorageAccountName = $t.ReplicaAccountName; ReplicaContainerName = $replicaContainer; ReplicaKeyVariable = 'DrReplicaKey'; ReplicaBlobEndpoint = $t.ReplicaBlobEndpoint
            KeepLast = 2; MaxBackupAgeHours = 26; ResourceManagerUrl = $e.ArmUrl }

        # Earlier nights, oldest first (A..D). A: prod-msi without a replica (retention must spare it). B, C: the
        # runbook's two services and 'prod' (not the runbook's: its backups must not be touched) with replicas. D: prod again.
        $seed = @{ SubscriptionId = $sub; ResourceGroupName = $rg; SkipSnapshot = $true } + $storage + $arm
        $script:seeded = @{}
        $seeded.A = Backup-ApimService @seed -Name prod-msi -ErrorAction Stop
        $seeded.B = Backup-ApimService @seed @replicaStorage -Name prod-msi, standby-msi, prod -ErrorAction Stop
        $seeded.C = Backup-ApimService @seed @replicaStorage -Name prod-msi, standby-msi, prod -ErrorAction Stop
        $seeded.D = Backup-ApimService @seed @replicaStorage -Name prod -ErrorAction Stop
        foreach ($op in $seeded.Values | ForEach-Object { $_ }) { $op.Status | Should -Be 'Succeeded' }
        function script:SeedName([string] $Night, [string] $Service) { ($seeded[$Night] | Where-Object Name -eq $Service).BackupName }
    }

    It 'job 1 starts the backups and is killed mid-wait; job 2, with nothing local, completes backup, replica, retention and status, and nothing is done twice' {
        Clear-EmulatorRequestLog
        $null = Set-EmulatorSetting @{ backupDurationSeconds = 15 }   # long enough to kill job 1 while it polls, on a loaded machine too
        # The seeds are seconds old and stand for yesterday's backups: job 1 is told to back up now (-BackupIntervalHours 0);
        # job 2 runs with the schedule's interval, so the backups job 1 started count as today's.
        $job1 = Start-RunbookJob -Job 'job1' -Parameters ($parameters + @{ BackupIntervalHours = 0 })
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        do {
            Start-Sleep -Milliseconds 200
            $log = Get-EmulatorRequestLog
            $posts = @($log | Where-Object { $_.method -eq 'POST' -and $_.url -match '/backup\?' })
            $polling = $posts.Count -eq 2 -and @($log | Where-Object { $_.method -eq 'GET' -and $_.url -match '/operationresults/' -and $_.sequence -gt $posts[-1].sequence }).Count -gt 0
        } until ($polling -or $job1.Process.HasExited -or [DateTime]::UtcNow -gt $deadline)
        if ($job1.Process.HasExited) { throw "Job 1 ended before it was killed: $((Stop-RunbookJob $job1).Output)" }
        $polling | Should -BeTrue
        $r1 = Stop-RunbookJob $job1 -Kill
        $r1.ExitCode | Should -Not -Be 0
        $r1.Journaled | Should -BeTrue   # it kept a journal, now deleted with its HOME and TEMP
        $started = @(Get-ApimBackup @storage -IncludeInProgress | Where-Object { $_.Status -eq 'InProgress' })
        ($started.SourceServiceName | Sort-Object) | Should -Be $runbookServices   # killed while both ran, follow-ups undone
        $started | ForEach-Object { @($_.FollowUps).Count | Should -BeGreaterThan 0 }

        $job2 = Start-RunbookJob -Job 'job2' -Parameters ($parameters + @{ BackupIntervalHours = 20 })
        $r2 = Stop-RunbookJob $job2
        $r2.ExitCode | Should -Be 0 -Because $r2.Output
        $r2.Output | Should -Match 'Start: prod-msi has .* not due'
        $r2.Output | Should -Match 'Status: prod-msi: healthy'
        $r2.Output | Should -Match 'Status: standby-msi: healthy'
        $r2.Output | Should -Match 'all services healthy'

        # Nothing done twice: one backup POST per service over both jobs, no restore; managed identity tokens throughout.
        $log = Get-EmulatorRequestLog
        $posts = @($log | Where-Object { $_.method -eq 'POST' -and $_.url -match '/(backup|restore)\?' })
        ($posts.url | ForEach-Object { ([regex]::Match($_, '/service/([^/]+)/backup\?')).Groups[1].Value } | Sort-Object) | Should -Be $runbookServices
        @($log | Where-Object listener -eq 'identity').Count | Should -BeGreaterThan 0
        @($log | Where-Object { $_.listener -eq 'arm' -and $_.hasAuthorization -and $_.tokenKind -ne 'issued' }) | Should -BeNullOrEmpty

        # Every started backup completed, recorded its end and has its verified replica.
        foreach ($b in $started) {
            $now = Get-ApimBackup @storage -BackupName $b.BackupName
            $now.Status | Should -Be 'Succeeded'
            $now.Manifest.Status | Should -Be 'Succeeded'
            @($now.FollowUps) | Should -BeNullOrEmpty
            $now.Replicas | Should -Be @("$($t.ReplicaAccountName)/$replicaContainer")
            (Get-ApimBackup @replicaAt -BackupName $b.BackupName).ReplicaOf | Should -Be "$($t.StorageAccountName)/$container/$($b.BackupName)"
        }

        # Retention kept the newest 2 per runbook service, spared the one without a replica, and left 'prod' alone.
        $new = @{}
        foreach ($b in $started) { $new[$b.SourceServiceName] = $b.BackupName }
        $expectedPrimary = @((SeedName A prod-msi), (SeedName C prod-msi), $new['prod-msi'], (SeedName C standby-msi), $new['standby-msi'],
            (SeedName B prod), (SeedName C prod), (SeedName D prod)) | Sort-Object
        $expectedReplica = @((SeedName C prod-msi), $new['prod-msi'], (SeedName C standby-msi), $new['standby-msi'], (SeedName B prod), (SeedName C prod), (SeedName D prod)) | Sort-Object
        (Get-ApimBackup @storage -IncludeInProgress).BackupName | Sort-Object | Should -Be $expectedPrimary
        (Get-ApimBackup @replicaAt -IncludeInProgress).BackupName | Sort-Object | Should -Be $expectedReplica
        $r2.Output | Should -Match ([regex]::Escape("removed $($t.StorageAccountName)/$container/$(SeedName B prod-msi)"))

        foreach ($text in $r1.Output, $r2.Output) {
            $text | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
            $text | Should -Not -Match ([regex]::Escape($t.ReplicaKeyText))
        }
    }

    It 'fails the job, naming the issue, when a service misses its targets (a fresh backup without a replica), and starts nothing' {
        $null = Set-EmulatorSetting @{ backupDurationSeconds = $null }
        $own = @{ StorageAccountName = $t.StorageAccountName; ContainerName = (New-TestName 'rbun'); StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
        $ownReplica = New-TestName 'rbunrep'
        New-TestContainer -Name $own.ContainerName
        New-TestContainer -Name $ownReplica -Account Replica
        $null = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod -SkipSnapshot @own @arm -ErrorAction Stop
        Clear-EmulatorRequestLog
        $p = $parameters.Clone()
        $p.ServiceName = 'prod'; $p.ContainerName = $own.ContainerName; $p.ReplicaContainerName = $ownReplica; $p.BackupIntervalHours = 20
        $job = Start-RunbookJob -Job 'unhealthy' -Parameters $p
        $r = Stop-RunbookJob $job
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match 'Status: prod: UNHEALTHY'
        $r.Output | Should -Match 'DR runbook: 1 problem\(s\): prod: .*replica'
        $r.Output | Should -Not -Match 'all services healthy'
        Get-EmulatorActionPost | Should -BeNullOrEmpty   # the backup is fresh: not due
    }
}
