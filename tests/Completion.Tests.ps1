#Requires -Modules Pester
# Tab completion as a user gets it (TabExpansion2): parameter names, -BackupName from the container, nothing else.
BeforeDiscovery {
    $cmdlets = @((Test-ModuleManifest -Path $env:APIMDR_TEST_MODULE_PATH -ErrorAction Stop).ExportedCmdlets.Keys | ForEach-Object { @{ Name = $_ } })
    $catalogCmdlets = @('Restore-ApimService', 'Get-ApimBackup', 'Remove-ApimBackup', 'Get-ApimConfiguration' | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix cmpl
    function script:Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
    }
    $script:key = $t.StorageKey
    # The storage parameters as a user types them; $key is evaluated by PowerShell's pseudo-binding.
    $script:onTheLine = "-StorageAccountName $($t.StorageAccountName) -ContainerName $container -StorageAccountKey `$key -BlobEndpoint $($t.BlobEndpoint)"
    New-TestContainer -Name $container
    $script:names = @('prod-20261101T000000Z.apimbackup', 'prod-20261102T000000Z.apimbackup', 'weekly/standby.apimbackup')
    foreach ($n in $names) { New-TestBlob -Container $container -Name $n }
    # What ApimDr writes beside backups is never offered as a backup name.
    New-TestBlob -Container $container -Name 'prod-20261101T000000Z.apimbackup.apimdr.json'
    New-TestBlob -Container $container -Name 'prod-20261101T000000Z.apimbackup.apimdr-config.json'
    # A folder with files, to prove file names are never offered instead.
    $script:folder = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'cmpl')
    $null = New-Item -ItemType Directory -Path $folder
    $null = New-Item -ItemType File -Path (Join-Path $folder 'prod-notes.txt')
    Push-Location $folder
}

AfterAll {
    Pop-Location
    Remove-Item -Recurse -Force $folder
}

Describe 'Tab completion of parameter names: <Name> -<Tab>' -ForEach $cmdlets {
    It 'offers every public parameter and the common parameters' {
        $offered = Get-Completion "$Name -"
        $expected = @((Get-Command $Name).Parameters.Keys | ForEach-Object { "-$_" })
        $expected | Should -Contain '-Verbose'
        $expected | Should -Contain '-ErrorAction'
        @($expected | Where-Object { $_ -notin $offered }) | Should -BeNullOrEmpty
    }
}

Describe 'Tab completion of -Environment and -AccessType' {
    It 'completes the clouds and the access types' {
        Get-Completion 'Restore-ApimService -Environment AzureU' | Should -Be @('AzureUSGovernment')
        Get-Completion 'Backup-ApimService -AccessType ' | Should -Be @('AccessKey', 'SystemAssignedManagedIdentity', 'UserAssignedManagedIdentity')
    }
}

Describe 'Tab completion of -BackupName: <Name>' -ForEach $catalogCmdlets {
    It 'lists the container''s backups when account, container and key are on the line' {
        @(Get-Completion "$Name $onTheLine -BackupName " | Sort-Object) | Should -Be $names
    }

    It 'lists only the names that start with what was typed' {
        Get-Completion "$Name $onTheLine -BackupName prod-2026110" | Sort-Object | Should -Be @($names[0], $names[1])
        Get-Completion "$Name $onTheLine -BackupName week" | Should -Be @('weekly/standby.apimbackup')
    }

    It 'offers nothing, and no file names, without the storage key on the line (no token is sought)' {
        $elapsed = Measure-Command { $r = Get-Completion "$Name -StorageAccountName $($t.StorageAccountName) -ContainerName $container -BackupName prod" }
        $r | Should -BeNullOrEmpty
        Get-Completion "$Name -BackupName prod" | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 1
    }
}

Describe 'Tab completion of -BackupName: limits' {
    It 'offers nothing for Backup-ApimService -BackupName (a new name), and no file names' {
        Get-Completion "Backup-ApimService $onTheLine -BackupName prod" | Should -BeNullOrEmpty
        Get-Completion 'Backup-ApimService -BackupName ' | Should -BeNullOrEmpty
    }

    It 'binds positional account and container too (Get-ApimBackup <account> <container>)' {
        Get-Completion "Get-ApimBackup $($t.StorageAccountName) $container -StorageAccountKey `$key -BlobEndpoint $($t.BlobEndpoint) -BackupName week" | Should -Be @('weekly/standby.apimbackup')
    }

    It 'gives up within 3 s on a storage endpoint that never answers, writing nothing to any stream' {
        $trap = New-TrapListener   # accepts connections into its backlog and never answers
        try {
            $line = "Restore-ApimService -StorageAccountName $($t.StorageAccountName) -ContainerName $container -StorageAccountKey `$key -BlobEndpoint http://$($trap.Authority)/$($t.StorageAccountName) -BackupName "
            $errorsBefore = $Error.Count
            $elapsed = Measure-Command { $all = @(& { TabExpansion2 -inputScript $line -cursorColumn $line.Length } *>&1) }
            $elapsed.TotalSeconds | Should -BeLessThan 4
            $elapsed.TotalSeconds | Should -BeGreaterThan 2.5 -Because 'it waited for the listing, up to its budget'
            $all.Count | Should -Be 1
            $all[0] | Should -BeOfType ([System.Management.Automation.CommandCompletion])
            $all[0].CompletionMatches | Should -BeNullOrEmpty
            $Error.Count | Should -Be $errorsBefore
            $trap.Pending() | Should -BeTrue -Because 'the listing was really sent there'
        } finally {
            $trap.Stop()
        }
    }
}
