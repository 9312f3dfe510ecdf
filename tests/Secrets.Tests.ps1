#Requires -Modules Pester
# Storage keys and tokens never appear in any output stream, error, transcript or exported object.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix sec
    $script:secrets = @($t.StorageKeyText, $e.Token)
    function script:Assert-NoSecret([string] $Text) {
        foreach ($s in $secrets) {
            $Text | Should -Not -Match ([regex]::Escape($s))
            $Text | Should -Not -Match ([regex]::Escape($s.Substring(0, 16)))
        }
    }
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
}

Describe 'Secrets stay secret' {
    It 'appear in no stream (-Verbose -Debug, warnings, errors, information) nor in the transcript' {
        $transcript = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'transcript').txt"
        $token = ConvertTo-SecureString $e.Token -AsPlainText -Force
        $common = @{ ResourceManagerUrl = $e.ArmUrl; AccessToken = $token; SubscriptionId = $e.SubscriptionId; ResourceGroupName = $e.ResourceGroup
            StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
        Start-Transcript -Path $transcript -IncludeInvocationHeader | Out-Null
        try {
            $all = & {
                $backup = Backup-ApimService @common -Name prod -BackupName 'secret-test.apimbackup' -Verbose -Debug -InformationAction Continue
                $backup
                $backup | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token -Verbose -Debug
                Restore-ApimService @common -Name standby -BackupName 'secret-test.apimbackup' -Force -Verbose -Debug
                Restore-ApimService @common -Name standby-standard -BackupName 'secret-test.apimbackup' -Force -SkipPreflight -Verbose -Debug -ErrorAction Continue
                Backup-ApimService @common -Name prod -StorageAccountKey (ConvertTo-SecureString 'd3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=' -AsPlainText -Force) -Verbose -Debug -ErrorAction Continue
                Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -Verbose -Debug
            } *>&1 | Out-String -Width 500
        } finally {
            Stop-Transcript | Out-Null
        }
        $all | Should -Match 'POST https://127\.0\.0\.1:\d+/subscriptions/.*/backup\?api-version=2024-05-01'
        $all | Should -Match 'Succeeded'
        Assert-NoSecret $all
        Assert-NoSecret (Get-Content -Raw $transcript)
        Remove-Item $transcript
    }

    It 'are absent from exported operations and backups (Export-Clixml, ConvertTo-Json)' {
        $token = ConvertTo-SecureString $e.Token -AsPlainText -Force
        $op = Backup-ApimService -ResourceManagerUrl $e.ArmUrl -AccessToken $token -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name prod `
            -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -NoWait
        $done = $op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token
        $backups = Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint
        $file = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'export').xml"
        try {
            @($op, $done) + @($backups) | Export-Clixml -Path $file -Depth 5
            Assert-NoSecret (Get-Content -Raw $file)
        } finally {
            Remove-Item $file -ErrorAction SilentlyContinue
        }
        Assert-NoSecret (@($op, $done) + @($backups) | ConvertTo-Json -Depth 5)
        ($op.PSObject.Properties.Name -match 'key|token|secret') | Should -BeNullOrEmpty
    }

    It 'never appear in a request URL the emulator received' {
        $log = @(Get-EmulatorRequestLog)
        $log.Count | Should -BeGreaterThan 0
        foreach ($r in $log) { Assert-NoSecret $r.url; Assert-NoSecret $r.rawUrl }
    }
}
