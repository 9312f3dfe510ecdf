#Requires -Modules Pester
# Identity, in the order of docs/design.md (Cmdlet layer, "Identity order"): -AccessToken, a signed-in Az context, DefaultAzureCredential (managed identity).
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix cred
    $script:common = @{
        Path = $t.ModulePath; Arm = $e.ArmUrl; Sub = $e.SubscriptionId; Rg = $e.ResourceGroup
        Account = $t.StorageAccountName; Container = $container; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint
    }
}

Describe 'Credentials' {
    BeforeEach {
        Reset-Emulator
    }

    It 'uses managed identity (IDENTITY_ENDPOINT) when no token or Az context is given, refreshing 30-second tokens across a 90-second operation' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 90; retryAfterSeconds = 10; tokenLifetimeSeconds = 30 }
        $r = Invoke-PwshChild -Parameters $common -ScriptBlock {
            param($Path, $Arm, $Sub, $Rg, $Account, $Container, $Key, $Blob)
            Import-Module $Path
            Backup-ApimService -ResourceManagerUrl $Arm -SubscriptionId $Sub -ResourceGroupName $Rg -Name prod -StorageAccountName $Account -ContainerName $Container `
                -StorageAccountKey (ConvertTo-SecureString $Key -AsPlainText -Force) -BlobEndpoint $Blob | Select-Object Status, Duration
        }
        $r.Status | Should -Be 'Succeeded'
        $r.Duration.TotalSeconds | Should -BeGreaterThan 85
        $log = @(Get-EmulatorRequestLog)
        $arm = @($log | Where-Object { $_.route -ne 'identity' -and $_.listener -ne 'identity' -and $_.url -match '/subscriptions/' })
        $arm | Where-Object status -eq 401 | Should -BeNullOrEmpty
        @($arm | Where-Object tokenKind -ne 'issued').Count | Should -Be 0
        # Tokens live 30 s; the wait lasted 90 s: new tokens were fetched along the way.
        @($log | Where-Object route -eq 'identity').Count | Should -BeGreaterOrEqual 3
    }

    It 'reuses a signed-in Az context through Get-AzContext / Get-AzAccessToken (subscription and token), not managed identity' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
        $token = New-EmulatorToken -LifetimeSeconds 3600
        $r = Invoke-PwshChild -Parameters ($common + @{ Token = $token }) -ScriptBlock {
            param($Path, $Arm, $Sub, $Rg, $Account, $Container, $Key, $Blob, $Token)
            # Stand-ins with the shape of Az.Accounts' commands.
            $global:azCalls = [System.Collections.Generic.List[string]]::new()
            function global:Get-AzContext { [pscustomobject]@{ Subscription = [pscustomobject]@{ Id = $Sub }; Account = 'admin@contoso.example' } }
            function global:Get-AzAccessToken {
                param([string] $ResourceUrl, [switch] $AsSecureString)
                $global:azCalls.Add($ResourceUrl)
                [pscustomobject]@{ Token = (ConvertTo-SecureString $Token -AsPlainText -Force); ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1); Type = 'Bearer' }
            }
            $Sub = $Sub; $Token = $Token  # captured by the functions above via dynamic scope
            Remove-Item Env:IDENTITY_ENDPOINT, Env:IDENTITY_HEADER -ErrorAction SilentlyContinue
            Import-Module $Path
            $op = Backup-ApimService -ResourceManagerUrl $Arm -ResourceGroupName $Rg -Name prod -StorageAccountName $Account -ContainerName $Container `
                -StorageAccountKey (ConvertTo-SecureString $Key -AsPlainText -Force) -BlobEndpoint $Blob
            [pscustomobject]@{ Status = $op.Status; SubscriptionId = $op.SubscriptionId; Calls = @($global:azCalls) }
        }
        $r.Status | Should -Be 'Succeeded'
        $r.SubscriptionId | Should -Be $e.SubscriptionId
        $r.Calls.Count | Should -BeGreaterThan 0
        $r.Calls[0].TrimEnd('/') | Should -Be $e.ArmUrl.TrimEnd('/')
        @(Get-EmulatorRequestLog | Where-Object route -eq 'identity').Count | Should -Be 0
    }

    It 'takes the subscription from AZURE_SUBSCRIPTION_ID when nothing else names one' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
        $r = Invoke-PwshChild -Parameters ($common + @{ Token = $e.Token }) -ScriptBlock {
            param($Path, $Arm, $Sub, $Rg, $Account, $Container, $Key, $Blob, $Token)
            $env:AZURE_SUBSCRIPTION_ID = $Sub
            Import-Module $Path
            (Backup-ApimService -ResourceManagerUrl $Arm -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -ResourceGroupName $Rg -Name prod `
                -StorageAccountName $Account -ContainerName $Container -StorageAccountKey (ConvertTo-SecureString $Key -AsPlainText -Force) -BlobEndpoint $Blob).SubscriptionId
        }
        $r | Should -Be $e.SubscriptionId
    }

    It 'ends the wait with AuthenticationExpired when a static -AccessToken expires, saying the operation still runs and how to resume' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 8; retryAfterSeconds = 1 }
        Import-Module $t.ModulePath -Force
        $short = ConvertTo-SecureString (New-EmulatorToken -LifetimeSeconds 3) -AsPlainText -Force
        $err = $null
        $op = Backup-ApimService -ResourceManagerUrl $e.ArmUrl -AccessToken $short -SubscriptionId $e.SubscriptionId -ResourceGroupName $e.ResourceGroup -Name prod `
            -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -ErrorVariable err -ErrorAction SilentlyContinue
        $op.Status | Should -Be 'InProgress'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationExpired,*'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        "$($err[0])" | Should -Match 'still running'
        "$($err[0])" | Should -Match 'Wait-ApimOperation'
        $fresh = ConvertTo-SecureString $e.Token -AsPlainText -Force
        ($op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $fresh).Status | Should -Be 'Succeeded'
    }

    It 'reports a rejected token as AuthenticationFailed' {
        Import-Module $t.ModulePath -Force
        $err = $null
        Backup-ApimService -ResourceManagerUrl $e.ArmUrl -AccessToken (ConvertTo-SecureString 'not-a-token' -AsPlainText -Force) -SubscriptionId $e.SubscriptionId `
            -ResourceGroupName $e.ResourceGroup -Name prod -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey `
            -BlobEndpoint $t.BlobEndpoint -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
    }
}
