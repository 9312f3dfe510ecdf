#Requires -Modules Pester
# The shipped examples and the main job run against the emulator exactly as users run them.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:examples = Join-Path (Split-Path $PSScriptRoot) 'docs/examples'
}

Describe 'Examples and the drill' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'runs the fleet-backup runbook pair: start with -NoWait in one process, wait in another' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "$(New-TestName 'fleet').xml"
        $container = New-TestName 'fleet'
        $p = @{ Path = $t.ModulePath; Examples = $examples; File = $file; Arm = $e.ArmUrl; Rg = $e.ResourceGroup
            Account = $t.StorageAccountName; Container = $container; Ids = @((Get-ApimServiceId prod-msi), (Get-ApimServiceId standby-msi)) }
        try {
            # Job 1: managed identity (the emulator's IDENTITY_ENDPOINT), services shaped like Get-AzApiManagement output.
            $started = Invoke-PwshChild -Parameters $p -ScriptBlock {
                param($Path, $Examples, $File, $Arm, $Rg, $Account, $Container, $Ids)
                Import-Module $Path
                $services = $Ids | ForEach-Object {
                    [pscustomobject]@{ Id = $_; Name = ($_ -split '/')[-1]; ResourceGroupName = $Rg; Sku = 'Developer' }
                }
                & "$Examples/Start-FleetBackup.ps1" -Service $services -StorageAccountName $Account -ContainerName $Container -OperationsPath $File -ResourceManagerUrl $Arm
            }
            $started | Should -Match 'Started 2 backup\(s\)'
            (Import-Clixml $file).Status | Should -Be @('InProgress', 'InProgress')
            # Job 2, a new process: wait and report.
            $done = Invoke-PwshChild -Parameters $p -ScriptBlock {
                param($Path, $Examples, $File, $Arm)
                Import-Module $Path
                & "$Examples/Complete-FleetBackup.ps1" -OperationsPath $File -ResourceManagerUrl $Arm | Where-Object { $_ -isnot [string] } | Select-Object Name, Status, AccessType
            }
            ($done.Name | Sort-Object) | Should -Be @('prod-msi', 'standby-msi')
            $done.Status | Should -Be @('Succeeded', 'Succeeded')
            $done.AccessType | Should -Be @('SystemAssignedManagedIdentity', 'SystemAssignedManagedIdentity')
        } finally {
            Remove-Item $file -ErrorAction SilentlyContinue
        }
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
        $r.Passed | Should -Be 3
    }

    It 'runs the main job''s drill (backup prod, catalog, restore into standby, verify) and reports it' {
        $drill = Join-Path $PSScriptRoot 'Invoke-Drill.ps1'
        $pwsh = Get-PwshCommand
        $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $drill 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0
        $output | Should -Match 'result\s+Succeeded'
        $output | Should -Match 'RTO measured\s+[\d.]+ s'
        $output | Should -Match 'verification\s+standby configuration equals prod'
    }
}
