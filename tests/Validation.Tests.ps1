#Requires -Modules Pester
# Every input error CMDLETS.md implies is caught before any request: specific ErrorId, InvalidArgument, nothing sent.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:t = Get-TestEnvironment
    $script:e = Get-EmulatorEnvironment
    Import-Module $t.ModulePath -Force
    $script:token = ConvertTo-SecureString $e.Token -AsPlainText -Force
    $script:key = $t.StorageKey
    $script:sub = $e.SubscriptionId
    $script:rg = $e.ResourceGroup
    $script:serviceId = "/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.ApiManagement/service/prod"
}

Describe 'Input validation before any request' {
    BeforeEach {
        Clear-EmulatorRequestLog
        $script:trap = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $trap.Start()
        $script:blob = "http://127.0.0.1:$(([System.Net.IPEndPoint]$trap.LocalEndpoint).Port)/devstoreaccount1"
    }
    AfterEach {
        $trap.Stop()
    }

    It '<Command> rejects <Case> with <ErrorId>' -TestCases @(
        @{ Command = 'Backup-ApimService'; Case = 'a service name starting with a digit'; ErrorId = 'InvalidServiceName'; Arguments = @{ SubscriptionId = 'S'; ResourceGroupName = 'R'; Name = '1prod' } }
        @{ Command = 'Backup-ApimService'; Case = 'a service name with an underscore'; ErrorId = 'InvalidServiceName'; Arguments = @{ SubscriptionId = 'S'; ResourceGroupName = 'R'; Name = 'prod_1' } }
        @{ Command = 'Backup-ApimService'; Case = 'a resource group name ending in a period'; ErrorId = 'InvalidResourceGroupName'; Arguments = @{ SubscriptionId = 'S'; ResourceGroupName = 'rg.'; Name = 'prod' } }
        @{ Command = 'Backup-ApimService'; Case = 'a subscription id that is not a GUID'; ErrorId = 'InvalidSubscriptionId'; Arguments = @{ SubscriptionId = 'my-subscription'; ResourceGroupName = 'R'; Name = 'prod' } }
        @{ Command = 'Backup-ApimService'; Case = 'a resource id of another resource type'; ErrorId = 'InvalidResourceId'; Arguments = @{ ResourceId = '/subscriptions/S/resourceGroups/R/providers/Microsoft.Web/sites/prod' } }
        @{ Command = 'Restore-ApimService'; Case = 'a malformed resource id'; ErrorId = 'InvalidResourceId'; Arguments = @{ ResourceId = 'prod'; BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'an uppercase storage account name'; ErrorId = 'InvalidStorageAccountName'; Arguments = @{ ResourceId = 'ID'; StorageAccountName = 'DrStore' } }
        @{ Command = 'Backup-ApimService'; Case = 'a storage account URL'; ErrorId = 'InvalidStorageAccountName'; Arguments = @{ ResourceId = 'ID'; StorageAccountName = 'https://drstore.blob.core.windows.net' } }
        @{ Command = 'Backup-ApimService'; Case = 'an uppercase container'; ErrorId = 'InvalidContainerName'; Arguments = @{ ResourceId = 'ID'; ContainerName = 'Backups' } }
        @{ Command = 'Restore-ApimService'; Case = 'a container with a double hyphen'; ErrorId = 'InvalidContainerName'; Arguments = @{ ResourceId = 'ID'; ContainerName = 'back--ups'; BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a backup name ending in a period'; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = 'backup.' } }
        @{ Command = 'Restore-ApimService'; Case = 'a backup name ending in a slash'; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = 'folder/'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'AccessKey without a key'; ErrorId = 'AccessKeyRequired'; Arguments = @{ ResourceId = 'ID'; AccessType = 'AccessKey'; StorageAccountKey = $null } }
        @{ Command = 'Backup-ApimService'; Case = 'UserAssigned without a client id'; ErrorId = 'IdentityClientIdRequired'; Arguments = @{ ResourceId = 'ID'; AccessType = 'UserAssignedManagedIdentity'; StorageAccountKey = $null } }
        @{ Command = 'Backup-ApimService'; Case = 'a key with SystemAssigned'; ErrorId = 'ConflictingAccessType'; Arguments = @{ ResourceId = 'ID'; AccessType = 'SystemAssignedManagedIdentity' } }
        @{ Command = 'Restore-ApimService'; Case = 'a client id with AccessKey'; ErrorId = 'ConflictingAccessType'; Arguments = @{ ResourceId = 'ID'; AccessType = 'AccessKey'; IdentityClientId = [guid]::NewGuid(); BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a plain-http Resource Manager URL'; ErrorId = 'InvalidResourceManagerUrl'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'http://127.0.0.1:1/' } }
        @{ Command = 'Backup-ApimService'; Case = 'an unknown environment'; ErrorId = 'InvalidEnvironment'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = $null; Environment = 'AzureMarsCloud' } }
        @{ Command = 'Backup-ApimService'; Case = 'an unsupported BlobEndpoint scheme'; ErrorId = 'InvalidBlobEndpoint'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'ftp://127.0.0.1/x' } }
    ) {
        param($Command, $ErrorId, $Arguments)
        $a = @{
            ResourceManagerUrl = $e.ArmUrl; AccessToken = $token
            StorageAccountName = $t.StorageAccountName; ContainerName = 'backups'; StorageAccountKey = $key; BlobEndpoint = $blob
        }
        foreach ($k in $Arguments.Keys) {
            $v = $Arguments[$k]
            if ($v -is [string] -and $v -eq 'ID') { $v = $serviceId }
            if ($v -is [string] -and $v -eq 'S') { $v = $sub }
            if ($v -is [string] -and $v -eq 'R') { $v = $rg }
            if ($null -eq $v) { $a.Remove($k) } else { $a[$k] = $v }
        }
        $err = $null
        $out = & $Command @a -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -BeGreaterThan 0
        $err[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
        $trap.Pending() | Should -BeFalse
    }

    It 'asks for a subscription (SubscriptionRequired) when none can be found, sending nothing' {
        $r = Invoke-FreshPwsh -Parameters @{ Path = $t.ModulePath; Arm = $e.ArmUrl; Token = $e.Token; Rg = $rg } -ScriptBlock {
            param($Path, $Arm, $Token, $Rg)
            Remove-Item Env:AZURE_SUBSCRIPTION_ID -ErrorAction SilentlyContinue
            Import-Module $Path
            $err = $null
            Backup-ApimService -ResourceManagerUrl $Arm -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -ResourceGroupName $Rg -Name prod `
                -StorageAccountName devstoreaccount1 -ContainerName backups -ErrorVariable err -ErrorAction SilentlyContinue
            "$($err[0].FullyQualifiedErrorId)"
        }
        $r | Should -BeLike 'SubscriptionRequired,*'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }

    It 'rejects a resource id that contradicts -Name (ConflictingServiceIdentity)' {
        $err = $null
        Backup-ApimService -ResourceId $serviceId -Name other -ResourceGroupName $rg -ResourceManagerUrl $e.ArmUrl -AccessToken $token -StorageAccountName $t.StorageAccountName -ContainerName backups `
                -StorageAccountKey $key -BlobEndpoint $blob -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConflictingServiceIdentity,*'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }
}
