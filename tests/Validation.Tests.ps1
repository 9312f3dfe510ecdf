#Requires -Modules Pester
# Every input error of docs/errors.md ("Input: refused before any request") is caught before any request: specific ErrorId, InvalidArgument, nothing sent.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:key = $t.StorageKey
    $script:serviceId = Get-ApimServiceId prod
}

Describe 'Input validation before any request' {
    BeforeEach {
        Clear-EmulatorRequestLog
        $script:trap = New-TrapListener
        $script:blob = "http://$($trap.Authority)/devstoreaccount1"
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
        @{ Command = 'Backup-ApimService'; Case = 'AccessKey without a key'; ErrorId = 'AccessKeyRequired'; Message = 'Give -StorageAccountKey'; Arguments = @{ ResourceId = 'ID'; AccessType = 'AccessKey'; StorageAccountKey = $null } }
        @{ Command = 'Backup-ApimService'; Case = 'UserAssigned without a client id'; ErrorId = 'IdentityClientIdRequired'; Arguments = @{ ResourceId = 'ID'; AccessType = 'UserAssignedManagedIdentity'; StorageAccountKey = $null } }
        @{ Command = 'Backup-ApimService'; Case = 'a key with SystemAssigned'; ErrorId = 'ConflictingAccessType'; Arguments = @{ ResourceId = 'ID'; AccessType = 'SystemAssignedManagedIdentity' } }
        @{ Command = 'Restore-ApimService'; Case = 'a client id with AccessKey'; ErrorId = 'ConflictingAccessType'; Arguments = @{ ResourceId = 'ID'; AccessType = 'AccessKey'; IdentityClientId = [guid]::NewGuid(); BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a plain-http Resource Manager URL'; ErrorId = 'InvalidResourceManagerUrl'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'http://127.0.0.1:1/' } }
        @{ Command = 'Backup-ApimService'; Case = 'an unknown environment'; ErrorId = 'InvalidEnvironment'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = $null; Environment = 'AzureMarsCloud' } }
        @{ Command = 'Backup-ApimService'; Case = 'an unsupported BlobEndpoint scheme'; ErrorId = 'InvalidBlobEndpoint'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'ftp://127.0.0.1/x' } }
        # Backup names that would land elsewhere ('../other/x' used to write into container 'other').
        @{ Command = 'Backup-ApimService'; Case = "a backup name with a '..' segment"; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = '../other/x.apimbackup' } }
        @{ Command = 'Restore-ApimService'; Case = "a backup name climbing out with '..' segments"; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = 'a/../../other/x.apimbackup'; Force = $true } }
        @{ Command = 'Restore-ApimService'; Case = "a backup name with a '.' segment"; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = './x.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a backup name with a leading slash'; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = '/x.apimbackup' } }
        @{ Command = 'Restore-ApimService'; Case = 'a backup name with backslashes'; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = '..\other\x.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a backup name with an empty segment'; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = 'a//b.apimbackup' } }
        @{ Command = 'Backup-ApimService'; Case = 'a backup name with a control character'; ErrorId = 'InvalidBackupName'; Arguments = @{ ResourceId = 'ID'; BackupName = "x`n.apimbackup" } }
        # Storage keys that are not base64: never POSTed to ARM, never shown.
        @{ Command = 'Backup-ApimService'; Case = 'a storage key that is not base64'; ErrorId = 'InvalidStorageAccountKey'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; StorageAccountKey = (ConvertTo-SecureString 'hunter2-not-base64!' -AsPlainText -Force) } }
        @{ Command = 'Restore-ApimService'; Case = 'a storage key with a line break'; ErrorId = 'InvalidStorageAccountKey'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; StorageAccountKey = (ConvertTo-SecureString "aHVudGVyMg==`nhunter2" -AsPlainText -Force); BackupName = 'b.apimbackup'; Force = $true } }
        # Resource Manager URLs: https://host[:port]/ only; messages show scheme://host:port, never userinfo or query.
        @{ Command = 'Backup-ApimService'; Case = 'a Resource Manager URL with a user name and password'; ErrorId = 'InvalidResourceManagerUrl'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://admin:hunter2@ARMHOST/' } }
        @{ Command = 'Restore-ApimService'; Case = 'a Resource Manager URL with a query'; ErrorId = 'InvalidResourceManagerUrl'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://ARMHOST/?code=hunter2'; BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a Resource Manager URL with a fragment'; ErrorId = 'InvalidResourceManagerUrl'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://ARMHOST/#hunter2' } }
        @{ Command = 'Backup-ApimService'; Case = "a Resource Manager URL with '..' segments"; ErrorId = 'InvalidResourceManagerUrl'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://ARMHOST/x/../' } }
        @{ Command = 'Backup-ApimService'; Case = 'a Resource Manager URL with a path'; ErrorId = 'InvalidResourceManagerUrl'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://ARMHOST/hunter2/' } }
        # Blob endpoints: the account root (or /<account> for emulators) only; no SAS, no userinfo.
        @{ Command = 'Backup-ApimService'; Case = 'a BlobEndpoint with a user name and password'; ErrorId = 'InvalidBlobEndpoint'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'http://admin:hunter2@TRAP/devstoreaccount1' } }
        @{ Command = 'Restore-ApimService'; Case = 'a SAS BlobEndpoint'; ErrorId = 'InvalidBlobEndpoint'; Secret = 'hunter2'; Message = 'SAS URLs are not supported'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'http://TRAP/devstoreaccount1?sv=2024-05-04&sp=r&sig=hunter2'; BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a BlobEndpoint with a fragment'; ErrorId = 'InvalidBlobEndpoint'; Secret = 'hunter2'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'http://TRAP/devstoreaccount1#hunter2' } }
        @{ Command = 'Backup-ApimService'; Case = "a BlobEndpoint with '..' segments"; ErrorId = 'InvalidBlobEndpoint'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'http://TRAP/other/../devstoreaccount1' } }
        @{ Command = 'Restore-ApimService'; Case = "a BlobEndpoint with a '.' segment"; ErrorId = 'InvalidBlobEndpoint'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'http://TRAP/./devstoreaccount1'; BackupName = 'b.apimbackup'; Force = $true } }
        @{ Command = 'Backup-ApimService'; Case = 'a BlobEndpoint with a container path'; ErrorId = 'InvalidBlobEndpoint'; Arguments = @{ ResourceId = 'ID'; BlobEndpoint = 'http://TRAP/devstoreaccount1/backups' } }
        @{ Command = 'Restore-ApimService'; Case = 'an http BlobEndpoint without a key (a token would go over http)'; ErrorId = 'InvalidBlobEndpoint'; Message = 'tokens are only sent over https'; Arguments = @{ ResourceId = 'ID'; StorageAccountKey = $null; BackupName = 'b.apimbackup'; Force = $true } }
        # A lone UTF-16 surrogate has no UTF-8 form: the backup name used to be sent with U+FFFD in its place (another blob).
        @{ Command = 'Backup-ApimService'; Case = 'a service name with a lone surrogate'; ErrorId = 'InvalidServiceName'; Arguments = @{ SubscriptionId = 'S'; ResourceGroupName = 'R'; Name = "prod$([char]0xD800)" } }
        @{ Command = 'Backup-ApimService'; Case = 'a resource group name with a lone surrogate'; ErrorId = 'InvalidResourceGroupName'; Arguments = @{ SubscriptionId = 'S'; ResourceGroupName = "rg$([char]0xDC00)"; Name = 'prod' } }
        @{ Command = 'Backup-ApimService'; Case = 'a storage account name with a lone surrogate'; ErrorId = 'InvalidStorageAccountName'; Arguments = @{ ResourceId = 'ID'; StorageAccountName = "devstoreaccount1$([char]0xD800)" } }
        @{ Command = 'Backup-ApimService'; Case = 'a container name with a lone surrogate'; ErrorId = 'InvalidContainerName'; Arguments = @{ ResourceId = 'ID'; ContainerName = "backups$([char]0xDBFF)" } }
        @{ Command = 'Backup-ApimService'; Case = 'a backup name with a lone surrogate (was sent as U+FFFD)'; ErrorId = 'InvalidBackupName'; Message = 'unpaired UTF-16 surrogate'; Arguments = @{ ResourceId = 'ID'; BackupName = "prod$([char]0xD800).apimbackup" } }
        @{ Command = 'Restore-ApimService'; Case = 'a backup name with a lone low surrogate'; ErrorId = 'InvalidBackupName'; Message = 'unpaired UTF-16 surrogate'; Arguments = @{ ResourceId = 'ID'; BackupName = "$([char]0xDC00)prod.apimbackup"; Force = $true } }
        # The empty GUID is no identity's client id (was 41 ARM requests before the service refused it).
        @{ Command = 'Backup-ApimService'; Case = 'the all-zero -IdentityClientId'; ErrorId = 'InvalidIdentityClientId'; Message = 'empty GUID'; Arguments = @{ ResourceId = 'ID'; AccessType = 'UserAssignedManagedIdentity'; IdentityClientId = [guid]::Empty; StorageAccountKey = $null } }
        @{ Command = 'Restore-ApimService'; Case = 'the all-zero -IdentityClientId'; ErrorId = 'InvalidIdentityClientId'; Arguments = @{ ResourceId = 'ID'; AccessType = 'UserAssignedManagedIdentity'; IdentityClientId = '00000000-0000-0000-0000-000000000000'; StorageAccountKey = $null; BackupName = 'b.apimbackup'; Force = $true } }
        # Port 0: nothing listens there (was about a minute of retries).
        @{ Command = 'Backup-ApimService'; Case = 'a Resource Manager URL with port 0'; ErrorId = 'InvalidResourceManagerUrl'; Message = 'port 0'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://127.0.0.1:0/' } }
        @{ Command = 'Restore-ApimService'; Case = 'a Resource Manager URL with port 0'; ErrorId = 'InvalidResourceManagerUrl'; Message = 'port 0'; Arguments = @{ ResourceId = 'ID'; ResourceManagerUrl = 'https://127.0.0.1:0/'; BackupName = 'b.apimbackup'; Force = $true } }
    ) {
        param($Command, $ErrorId, $Arguments, $Secret, $Message)
        $a = @{
            ResourceManagerUrl = $e.ArmUrl; AccessToken = $token
            StorageAccountName = $t.StorageAccountName; ContainerName = 'backups'; StorageAccountKey = $key; BlobEndpoint = $blob
        }
        foreach ($k in $Arguments.Keys) {
            $v = $Arguments[$k]
            # TRAP: the listener no request may reach; ARMHOST: the emulator, whose log must stay empty.
            if ($v -is [string]) { $v = $v.Replace('TRAP', $trap.Authority).Replace('ARMHOST', ([Uri]$e.ArmUrl).Authority) }
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
        if ($Message) { $err[0].Exception.Message | Should -BeLike "*$Message*" }
        if ($Secret) {
            $shown = ($err | Out-String) + $err[0].Exception.ToString() + "$($err[0].TargetObject)" + "$($err[0].ErrorDetails)"
            $shown | Should -Not -Match $Secret
        }
    }

    It 'asks for a subscription (SubscriptionRequired) when none can be found, sending nothing' {
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; Arm = $e.ArmUrl; Token = $e.Token; Rg = $rg } -ScriptBlock {
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

Describe 'Input validation of the catalog cmdlets before any request' {
    BeforeEach {
        $script:trap = New-TrapListener
    }
    AfterEach {
        $trap.Stop()
    }

    It '<Command> rejects <Case> with <ErrorId>' -TestCases @(
        @{ Command = 'Get-ApimBackup'; Case = "a backup name with a '..' segment"; ErrorId = 'InvalidBackupName'; Arguments = @{ BackupName = '../other/x.apimbackup' } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a backup name with a backslash'; ErrorId = 'InvalidBackupName'; Arguments = @{ BackupName = '..\x.apimbackup'; Force = $true } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a backup name with a leading slash'; ErrorId = 'InvalidBackupName'; Arguments = @{ BackupName = '/x.apimbackup'; Force = $true } }
        @{ Command = 'Get-ApimBackup'; Case = 'a storage key that is not base64'; ErrorId = 'InvalidStorageAccountKey'; Secret = 'hunter2'; Arguments = @{ StorageAccountKey = (ConvertTo-SecureString 'hunter2-not-base64!' -AsPlainText -Force) } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a storage key that is not base64'; ErrorId = 'InvalidStorageAccountKey'; Secret = 'hunter2'; Arguments = @{ StorageAccountKey = (ConvertTo-SecureString 'hunter2%%' -AsPlainText -Force); KeepLast = 1; Force = $true } }
        @{ Command = 'Get-ApimBackup'; Case = 'a BlobEndpoint with a user name and password'; ErrorId = 'InvalidBlobEndpoint'; Secret = 'hunter2'; Arguments = @{ BlobEndpoint = 'http://admin:hunter2@TRAP/devstoreaccount1' } }
        @{ Command = 'Get-ApimBackup'; Case = 'a SAS BlobEndpoint'; ErrorId = 'InvalidBlobEndpoint'; Secret = 'hunter2'; Message = 'SAS URLs are not supported'; Arguments = @{ BlobEndpoint = 'http://TRAP/devstoreaccount1?sv=2024-05-04&ss=b&srt=co&sp=rl&sig=hunter2'; StorageAccountKey = $null } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a BlobEndpoint of another account'; ErrorId = 'InvalidBlobEndpoint'; Arguments = @{ BlobEndpoint = 'http://TRAP/otheraccount'; KeepLast = 1; Force = $true } }
        @{ Command = 'Get-ApimBackup'; Case = 'an http BlobEndpoint without a key (a token would go over http)'; ErrorId = 'InvalidBlobEndpoint'; Message = 'tokens are only sent over https'; Arguments = @{ StorageAccountKey = $null } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a zero -OlderThan'; ErrorId = 'InvalidRetentionRule'; Arguments = @{ OlderThan = [TimeSpan]::Zero; Force = $true } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a negative -OlderThan'; ErrorId = 'InvalidRetentionRule'; Arguments = @{ OlderThan = [TimeSpan]::FromDays(-1); Force = $true } }
        @{ Command = 'Remove-ApimBackup'; Case = '-OlderThan -30 (bound as ticks)'; ErrorId = 'InvalidRetentionRule'; Message = 'binds as ticks'; Arguments = @{ OlderThan = -30; Force = $true } }
        @{ Command = 'Remove-ApimBackup'; Case = '-OlderThan 30 (30 ticks, not days)'; ErrorId = 'InvalidRetentionRule'; Message = 'binds as ticks'; Arguments = @{ OlderThan = 30; Force = $true } }
        @{ Command = 'Get-ApimBackup'; Case = 'a backup name with a lone surrogate'; ErrorId = 'InvalidBackupName'; Arguments = @{ BackupName = "x$([char]0xD800).apimbackup" } }
        @{ Command = 'Get-ApimBackup'; Case = 'a -SourceServiceId that is not a resource id'; ErrorId = 'InvalidResourceId'; Arguments = @{ SourceServiceId = 'prod' } }
        @{ Command = 'Remove-ApimBackup'; Case = 'a -SourceServiceId of another resource type'; ErrorId = 'InvalidResourceId'; Arguments = @{ SourceServiceId = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/prod'; KeepLast = 1; Force = $true } }
    ) {
        param($Command, $ErrorId, $Arguments, $Secret, $Message)
        $a = @{ StorageAccountName = $t.StorageAccountName; ContainerName = 'backups'; StorageAccountKey = $key; BlobEndpoint = "http://$($trap.Authority)/devstoreaccount1" }
        foreach ($k in $Arguments.Keys) {
            $v = $Arguments[$k]
            if ($v -is [string]) { $v = $v.Replace('TRAP', $trap.Authority) }
            if ($null -eq $v) { $a.Remove($k) } else { $a[$k] = $v }
        }
        $err = $null
        $out = & $Command @a -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $trap.Pending() | Should -BeFalse
        if ($Message) { $err[0].Exception.Message | Should -BeLike "*$Message*" }
        if ($Secret) {
            $shown = ($err | Out-String) + $err[0].Exception.ToString() + "$($err[0].TargetObject)" + "$($err[0].ErrorDetails)"
            $shown | Should -Not -Match $Secret
        }
    }
}

Describe 'Input validation of -AccessToken before any request' {
    BeforeEach { Clear-EmulatorRequestLog }

    It '<Command> refuses <Case> with InvalidAccessToken, stopping the command' -TestCases @(
        @{ Command = 'Backup-ApimService'; Case = 'an empty token'; Token = '' }
        @{ Command = 'Restore-ApimService'; Case = 'a whitespace token'; Token = '   ' }
        @{ Command = 'Backup-ApimService'; Case = "a token with a 'Bearer ' prefix"; Token = 'Bearer hunter2' }
        @{ Command = 'Wait-ApimOperation'; Case = 'an empty token'; Token = '' }
        # A NUL used to cut the token short unnoticed (the SecureString was read up to it).
        @{ Command = 'Backup-ApimService'; Case = 'a token with a NUL'; Token = "eyJhunter2.x.y`0more" }
        @{ Command = 'Wait-ApimOperation'; Case = 'a token ending in a NUL'; Token = "eyJhunter2.x.y`0" }
        @{ Command = 'Restore-ApimService'; Case = 'a token with a control character'; Token = "eyJhunter2.x.y$([char]0x1B)" }
    ) {
        param($Command, $Token)
        $secure = [securestring]::new()
        foreach ($c in $Token.ToCharArray()) { $secure.AppendChar($c) }
        $a = @{ ResourceManagerUrl = $e.ArmUrl; AccessToken = $secure }
        $in = $null
        if ($Command -eq 'Wait-ApimOperation') {
            $in = [pscustomobject]@{ ResourceId = $serviceId; PollUrl = "$($e.ArmUrl)/subscriptions/$sub/providers/Microsoft.ApiManagement/locations/westeurope/operationResults/abc?api-version=2024-05-01" }
        } else {
            $a += @{ ResourceId = $serviceId; StorageAccountName = $t.StorageAccountName; ContainerName = 'backups'; StorageAccountKey = $key; BlobEndpoint = $t.BlobEndpoint }
            if ($Command -eq 'Restore-ApimService') { $a += @{ BackupName = 'b.apimbackup'; Force = $true } }
        }
        $caught = $null
        try {
            if ($in) { $null = $in | & $Command @a } else { $null = & $Command @a }
        } catch {
            $caught = $_
        }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'InvalidAccessToken,*'
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        ($caught | Out-String) + $caught.Exception.ToString() | Should -Not -Match 'hunter2'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }

    It 'Get-ApimConfiguration refuses -Path <Case> with InvalidSnapshotPath before any request' -TestCases @(
        @{ Case = "''"; Path = '' }
        @{ Case = 'of blanks'; Path = '   ' }
        @{ Case = 'on another provider (Env:)'; Path = 'Env:\apimdr-snapshot' }
    ) {
        param($Path)
        Clear-EmulatorRequestLog
        $err = $null
        $out = Get-ApimConfiguration -ResourceId $serviceId -ResourceManagerUrl $e.ArmUrl -AccessToken $token -Path $Path -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidSnapshotPath,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
        Test-Path Env:\apimdr-snapshot | Should -BeFalse
        [IO.File]::Exists([IO.Path]::Combine([Environment]::CurrentDirectory, 'apimdr-snapshot')) | Should -BeFalse   # nor a stray file
    }

    It 'Wait-ApimOperation rejects a Resource Manager URL with a user name and password without showing them' {
        Clear-EmulatorRequestLog
        $in = [pscustomobject]@{ ResourceId = $serviceId; PollUrl = "$($e.ArmUrl)/subscriptions/$sub/providers/Microsoft.ApiManagement/locations/westeurope/operationResults/abc?api-version=2024-05-01" }
        $err = $null
        $out = $in | Wait-ApimOperation -ResourceManagerUrl "https://admin:hunter2@$(([Uri]$e.ArmUrl).Authority)/" -AccessToken $token -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidResourceManagerUrl,*'
        ($err | Out-String) + "$($err[0].TargetObject)" | Should -Not -Match 'hunter2'
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }
}

Describe 'Confirmation validation: a prompt the host cannot show' {
    BeforeAll {
        # A script run with `pwsh -File` WITHOUT -NonInteractive, its stdin closed or /dev/null: the host tries to
        # prompt and fails (NullReferenceException on PowerShell 7.6), which must become ConfirmationRequired.
        $script:childScript = Join-Path ([IO.Path]::GetTempPath()) "apimdr-confirm-$PID.ps1"
        Set-Content -Path $childScript -Value @'
param([string] $ParamFile, [string] $OutFile)
$p = Import-Clixml -Path $ParamFile
Import-Module $p.Path
$key = ConvertTo-SecureString $p.Key -AsPlainText -Force
$token = ConvertTo-SecureString $p.Token -AsPlainText -Force
$storage = @{ StorageAccountName = $p.Account; ContainerName = $p.Container; StorageAccountKey = $key; BlobEndpoint = $p.Blob }
$arm = @{ ResourceManagerUrl = $p.Arm; AccessToken = $token; SubscriptionId = $p.Sub; ResourceGroupName = $p.Rg }
$err = $null
if ($p.Command -eq 'Restore-ApimService') {
    $out = Restore-ApimService @arm @storage -Name standby -BackupName 'keep.apimbackup' -ErrorVariable err -ErrorAction SilentlyContinue   # it exists: the pre-flight reads it before asking
} elseif ($p.Command -eq 'Backup-ApimService') {
    $out = Backup-ApimService @arm @storage -Name prod -BackupName 'confirm.apimbackup' -Confirm -ErrorVariable err -ErrorAction SilentlyContinue
} else {
    $out = Remove-ApimBackup @storage -BackupName 'keep.apimbackup' -ErrorVariable err -ErrorAction SilentlyContinue
}
[pscustomobject]@{
    Output  = @($out).Count
    ErrorId = "$($err[0].FullyQualifiedErrorId)"
    Message = "$($err[0].Exception.Message)"
    Inner   = "$(if ($err[0].Exception.InnerException) { $err[0].Exception.InnerException.GetType().FullName })"
} | Export-Clixml -Path $OutFile
'@
        function script:Invoke-PwshFileWithoutStdin {
            param([hashtable] $Parameters, [ValidateSet('closed', '/dev/null')][string] $Stdin)
            $pwsh = @(Get-PwshCommand)
            $paramFile = [IO.Path]::GetTempFileName()
            $outFile = [IO.Path]::GetTempFileName()
            try {
                $Parameters | Export-Clixml -Path $paramFile
                $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-File', $childScript, $paramFile, $outFile)
                if ($Stdin -eq 'closed') {
                    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
                    foreach ($x in $arguments) { $psi.ArgumentList.Add($x) }
                    $psi.UseShellExecute = $false
                    $psi.RedirectStandardInput = $true
                    $psi.RedirectStandardOutput = $true
                    $psi.RedirectStandardError = $true
                    $process = [System.Diagnostics.Process]::Start($psi)
                    $process.StandardInput.Close()
                    $stdout = $process.StandardOutput.ReadToEndAsync()
                    $stderr = $process.StandardError.ReadToEndAsync()
                    if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw 'The child pwsh did not finish in 120 s.' }
                    $text = $stdout.Result + $stderr.Result
                } else {
                    # A real `< /dev/null` through the shell (Start-Process -RedirectStandardInput would feed the child
                    # an empty line, which the prompt takes as its default answer).
                    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
                    foreach ($x in @('-c', 'exec "$0" "$@" < /dev/null', $pwsh[0]) + $arguments) { $psi.ArgumentList.Add($x) }
                    $psi.UseShellExecute = $false
                    $psi.RedirectStandardOutput = $true
                    $psi.RedirectStandardError = $true
                    $process = [System.Diagnostics.Process]::Start($psi)
                    $stdout = $process.StandardOutput.ReadToEndAsync()
                    $stderr = $process.StandardError.ReadToEndAsync()
                    if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw 'The child pwsh did not finish in 120 s.' }
                    $text = $stdout.Result + $stderr.Result
                }
                if ((Get-Item $outFile).Length -eq 0) { throw "The child pwsh wrote no result (exit $($process.ExitCode)): $text" }
                return Import-Clixml -Path $outFile
            } finally {
                Remove-Item $paramFile, $outFile -ErrorAction SilentlyContinue
            }
        }
    }
    AfterAll {
        Remove-Item $childScript -ErrorAction SilentlyContinue
    }

    It '<Command> without -Force under `pwsh -File` with stdin <Stdin> fails with ConfirmationRequired, sending nothing' -TestCases @(
        @{ Command = 'Restore-ApimService'; Stdin = 'closed' }
        @{ Command = 'Restore-ApimService'; Stdin = '/dev/null' }
        @{ Command = 'Backup-ApimService'; Stdin = 'closed' }
        @{ Command = 'Remove-ApimBackup'; Stdin = '/dev/null' }
    ) {
        param($Command, $Stdin)
        if ($Stdin -eq '/dev/null' -and -not (Test-Path '/bin/sh')) { Set-ItResult -Skipped -Because 'no /bin/sh and /dev/null on this OS' }
        $container = New-TestName 'confirm'
        New-TestContainer -Name $container
        New-TestBlob -Container $container -Name 'keep.apimbackup'
        Clear-EmulatorRequestLog
        $r = Invoke-PwshFileWithoutStdin -Stdin $Stdin -Parameters @{
            Command = $Command; Path = $t.ModulePath; Arm = $e.ArmUrl; Token = $e.Token; Sub = $sub; Rg = $rg
            Account = $t.StorageAccountName; Container = $container; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint
        }
        $r.ErrorId | Should -BeLike 'ConfirmationRequired,*'
        $r.Message | Should -Match 'needs confirmation'
        $r.Output | Should -Be 0
        # Nothing that changes anything: a restore's read-only pre-flight (the target's GET) runs before its prompt.
        @(Get-EmulatorRequestLog | Where-Object method -ne 'GET').Count | Should -Be 0
        Get-TestBlobContent -Container $container -Name 'keep.apimbackup' | Should -Not -BeNullOrEmpty
    }
}
