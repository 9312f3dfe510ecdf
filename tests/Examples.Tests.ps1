#Requires -Modules Pester
# The shipped examples and the main job run against the emulator exactly as users run them (the Automation
# runbook, docs/examples/Invoke-ApimDrRunbook.ps1, in tests/Runbook.Tests.ps1).
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:examples = Join-Path (Split-Path $PSScriptRoot) 'docs/examples'
}

Describe 'Examples and the drill' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'runs the adaptable Pester DR-drill test file (docs/examples/DrDrill.Tests.ps1) green' {
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; Pester = $env:APIMDR_TEST_PESTER_PATH; Examples = $examples; Arm = $e.ArmUrl; Token = $e.Token
            Sub = $e.SubscriptionId; Rg = $e.ResourceGroup; Account = $t.StorageAccountName; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint } -ScriptBlock {
            param($Path, $Pester, $Examples, $Arm, $Token, $Sub, $Rg, $Account, $Key, $Blob)
            Import-Module $Pester
            Import-Module $Path
            $drill = @{ SubscriptionId = $Sub; ResourceGroupName = $Rg; PrimaryName = 'prod'; StandbyName = 'standby'
                StorageAccountName = $Account; ContainerName = 'pester-drill'; StorageAccountKey = (ConvertTo-SecureString $Key -AsPlainText -Force); BlobEndpoint = $Blob
                ResourceManagerUrl = $Arm; AccessToken = (ConvertTo-SecureString $Token -AsPlainText -Force); MaxRestoreMinutes = 5 }
            $container = New-PesterContainer -Path "$Examples/DrDrill.Tests.ps1" -Data @{ Drill = $drill }
            $result = Invoke-Pester -Container $container -PassThru -Output None
            [pscustomobject]@{ Passed = $result.PassedCount; Failed = $result.FailedCount }
        }
        $r.Failed | Should -Be 0
        $r.Passed | Should -Be 4
    }

    It 'runs the main job''s drill through Backup-ApimService and Test-ApimBackup -ReportPath: a Markdown + JSON report that matches docs/drill-report.md, says it ran on the emulator and who ran it, without secrets' {
        $base = Join-Path $TestDrive 'drill-report'
        $pwsh = Get-PwshCommand
        $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'Invoke-Drill.ps1') -ReportPath $base 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0
        $output | Should -Match 'result\s+Succeeded'
        $output | Should -Match 'RTO measured\s+[\d.]+ s'
        $output | Should -Match ([regex]::Escape("$base.md"))
        $output | Should -Match ([regex]::Escape("$base.json"))
        $json = Get-Content -Raw "$base.json"
        $md = Get-Content -Raw "$base.md"

        # The shape documented in docs/drill-report.md (its JSON Schema block); the schema itself rejects a report missing a field.
        $doc = Get-Content -Raw (Join-Path (Split-Path $PSScriptRoot) 'docs/drill-report.md')
        $block = [regex]::Match($doc, '(?s)```json\r?\n(.*?)```')
        $block.Success | Should -BeTrue
        $schema = $block.Groups[1].Value
        Test-Json -Json $json -Schema $schema -ErrorAction SilentlyContinue | Should -BeTrue
        $report = $json | ConvertFrom-Json -DateKind String
        Test-Json -Json ($report | Select-Object * -ExcludeProperty ranBy | ConvertTo-Json -Depth 10) -Schema $schema -ErrorAction SilentlyContinue | Should -BeFalse

        # Where: the emulator's loopback ARM host, flagged as such; who: the static token's claims (the emulator issues JWT-shaped tokens).
        $report.ranIn.isEmulator | Should -BeTrue
        $report.ranIn.note | Should -Match '^emulator / test endpoint'
        $report.ranIn.resourceManagerUrl | Should -Be "$($e.ArmUrl.TrimEnd('/'))/"
        $report.ranIn.subscriptionIds | Should -Be @($e.SubscriptionId)
        $md | Should -Match 'WARNING, emulator / test endpoint'
        $report.ranBy.displayName | Should -Be 'ApimDr emulator test user'
        $report.ranBy.objectId | Should -Be '00000000-0000-0000-0000-00000000057a'
        $md | Should -Match '\| run by \| ApimDr emulator test user \(app id '
        $report.apimDrVersion | Should -Be (Get-Module ApimDr).Version.ToString()

        $test = $report.tests[0]
        $test.source.name | Should -Be 'prod'
        $test.target.name | Should -Be 'standby'
        $test.result | Should -Be 'Succeeded'
        $test.rto.verdict | Should -Be 'met'          # the main job's targets: 15 min RTO, 1 h RPO
        $test.rpo.verdict | Should -Be 'met'
        $test.changesSinceSnapshot.checked | Should -BeTrue
        $test.changesSinceSnapshot.count | Should -Be 0
        $test.differences | Should -BeNullOrEmpty
        @($report.history | Where-Object { $_.source -eq 'prod' -and $_.backupName -eq $test.backup.name }).Count | Should -Be 1
        # The carry-over: each custom hostname prod serves is an action; the built-in ones (and the gateway URL) are informational.
        $hosts = @((Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name prod)?api-version=2024-05-01").Json.properties.hostnameConfigurations.hostName)
        @($hosts | Where-Object { $_ -like '*.azure-api.net' }) | Should -Not -BeNullOrEmpty
        @($hosts | Where-Object { $_ -notlike '*.azure-api.net' }) | Should -Not -BeNullOrEmpty
        foreach ($h in $hosts) {
            if ($h -like '*.azure-api.net') {
                ($test.informational | Where-Object setting -eq "hostnameConfigurations[$h].hostName").source | Should -Be $h
                $test.actions.subject | Should -Not -Contain $h
            } else {
                ($test.actions | Where-Object subject -eq $h).area | Should -Be 'custom hostname'
                $md | Should -Match ([regex]::Escape("**custom hostname: $h** - Add custom hostname $h"))
            }
        }
        $test.informational.setting | Should -Contain 'gatewayUrl'
        $test.actions.area | Should -Contain 'vnet'        # prod is in a VNet, the standby is not
        $md | Should -Match '## History'
        # Plain characters only
        $md.ToCharArray() | Where-Object { [int]$_ -gt 127 } | Should -BeNullOrEmpty
        $json.ToCharArray() | Where-Object { [int]$_ -gt 127 } | Should -BeNullOrEmpty

        $secret = ((Get-EmulatorServiceConfiguration prod).namedValues | Where-Object name -eq 'payments-api-key').value
        $secret | Should -Not -BeNullOrEmpty
        $e.Token | Should -Match '^[^.]+\.[^.]+\.[^.]+$'   # a JWT: its parts are checked one by one too
        foreach ($text in $output, $json, $md) {
            $text | Should -Not -Match ([regex]::Escape($secret))
            $text | Should -Not -Match ([regex]::Escape($t.StorageKeyText))
            $text | Should -Not -Match ([regex]::Escape($e.Token))
            foreach ($part in $e.Token.Split('.')) { $text | Should -Not -Match ([regex]::Escape($part)) }
        }
    }

    It 'drills with an existing backup (-BackupName): the report counts the changes prod made since its snapshot, a rotated secret without its values' {
        $catalog = @{ StorageAccountName = $t.StorageAccountName; ContainerName = (New-TestName 'nightly'); StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
        $nightly = Backup-ApimService @prod @catalog @arm -ErrorAction Stop
        $config = Get-EmulatorServiceConfiguration prod
        ($config.apis | Where-Object name -eq 'orders').policy = '<policies><inbound><base /><set-header name="x-after-backup" exists-action="override"><value>1</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>'
        $secret = $config.namedValues | Where-Object name -eq 'payments-api-key'
        $oldValue = $secret.value
        $newValue = "rotated-$([guid]::NewGuid())"
        $secret.value = $newValue
        $null = Set-EmulatorServiceConfiguration prod $config
        Clear-EmulatorRequestLog
        $report = & "$examples/Invoke-ApimDrDrill.ps1" -SubscriptionId $sub -ResourceGroupName $rg -PrimaryName prod -StandbyName standby -BackupName $nightly.BackupName `
            @catalog @arm -ReportPath (Join-Path $TestDrive 'nightly')
        $report.result | Should -Be 'Succeeded'
        $report.tests[0].backup.name | Should -Be $nightly.BackupName
        Get-EmulatorActionPost -Action backup | Should -BeNullOrEmpty     # no new backup
        $changes = $report.tests[0].changesSinceSnapshot
        $changes.count | Should -Be 2
        ($changes.changes | ForEach-Object { "$($_.change) $($_.entity)/$($_.name)" } | Sort-Object) | Should -Be @('Changed apiPolicies/orders', 'Changed namedValues/payments-api-key')
        $report.tests[0].rpo.seconds | Should -BeGreaterThan 0
        $report.tests[0].differences | Should -BeNullOrEmpty   # the standby equals the snapshot, not prod-now
        $md = Get-Content -Raw $report.markdownPath
        $md | Should -Match "  - Changed apiPolicies 'orders'"
        foreach ($text in $md, (Get-Content -Raw $report.jsonPath)) {
            $text | Should -Not -Match ([regex]::Escape($oldValue))
            $text | Should -Not -Match ([regex]::Escape($newValue))
        }
    }
    Context 'a drill with an existing backup that cannot be drilled as asked' {
        BeforeAll {
            Reset-Emulator
            $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
            $script:catalog = @{ StorageAccountName = $t.StorageAccountName; ContainerName = (New-TestName 'drill-guard'); StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
            $script:prodBackup = Backup-ApimService @prod @catalog @arm -ErrorAction Stop
            $script:standbyBackup = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @catalog @arm -ErrorAction Stop
            $script:drill = @{ SubscriptionId = $sub; ResourceGroupName = $rg; PrimaryName = 'prod'; StandbyName = 'standby' } + $catalog + $arm
        }

        It 'refuses a -BackupName whose manifest names another source service, before any restore request' {
            { & "$examples/Invoke-ApimDrDrill.ps1" @drill -BackupName $standbyBackup.BackupName -ReportPath (Join-Path $TestDrive 'other') } |
                Should -Throw -ExpectedMessage "*(NoRestorableBackup): Backup '$($standbyBackup.BackupName)' of service 'prod' is not restorable*"
            Get-EmulatorActionPost -Action restore | Should -BeNullOrEmpty
            (Get-Content -Raw (Join-Path $TestDrive 'other.json') | ConvertFrom-Json).tests[0].errorId | Should -Be 'NoRestorableBackup'   # and the report says so
        }

        It 'reports a restore whose POST outcome is unknown as UNKNOWN (it may have started), never "did not start"' {
            $null = Add-EmulatorFault -Route restore -Kind 500 -When after
            $thrown = { & "$examples/Invoke-ApimDrDrill.ps1" @drill -BackupName $prodBackup.BackupName -ReportPath (Join-Path $TestDrive 'unknown') } | Should -Throw -PassThru
            $thrown.Exception.Message | Should -Match 'outcome of the restore into standby is UNKNOWN: it may have started'
            $thrown.Exception.Message | Should -Match 'Get-ApimOperation -Name standby'
            $thrown.Exception.Message | Should -Not -Match 'did not start'
            @(Get-EmulatorActionPost -Action restore).Count | Should -Be 1   # and the service did take it
        }

        It 'reports a restore whose wait stopped (the poll answered 404) as UNKNOWN, with the command that resumes it' {
            $null = Add-EmulatorFault -Route operationresults -Kind 404
            $thrown = { & "$examples/Invoke-ApimDrDrill.ps1" @drill -BackupName $prodBackup.BackupName -ReportPath (Join-Path $TestDrive 'stopped') } | Should -Throw -PassThru
            $thrown.Exception.Message | Should -Match 'UNKNOWN: it may have started and may still be running'
            $thrown.Exception.Message | Should -Match 'OperationNotFound|no longer knows'
            $thrown.Exception.Message | Should -Match "Resume it with: Wait-ApimOperation -Kind Restore -ResourceId '$([regex]::Escape((Get-ApimServiceId standby)))' -PollUrl 'https://"
            $thrown.Exception.Message | Should -Not -Match 'did not start|ended InProgress'
        }
    }
}
