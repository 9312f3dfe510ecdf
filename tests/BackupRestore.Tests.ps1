#Requires -Modules Pester
# Backup-ApimService, Restore-ApimService and Wait-ApimOperation end to end against the emulator + Azurite.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix dr
    function script:Get-ActionPosts { Get-EmulatorActionPost }
    function script:New-AzApimObject([string] $Name, [string] $Sku) {
        # The shape of Get-AzApiManagement output (PsApiManagement): Id, Name, ResourceGroupName, Sku, Location, …
        [pscustomobject]@{
            PSTypeName = 'Microsoft.Azure.Commands.ApiManagement.Models.PsApiManagement'
            Id = Get-ApimServiceId $Name; Name = $Name; ResourceGroupName = $rg; Sku = $Sku; Capacity = 1; Location = 'West Europe'
            ProvisioningState = 'Succeeded'
        }
    }
}

Describe 'Backup-ApimService' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'backs up by name, writes the blob to Azurite and records source service and SKU on it' {
        $name = New-BackupName
        $op = Backup-ApimService @prod -BackupName $name @storage @arm
        $op.PSObject.TypeNames[0] | Should -Be 'ApimDr.ApimOperation'
        $op.Kind | Should -Be 'Backup'
        $op.Status | Should -Be 'Succeeded'
        $op.Name | Should -Be 'prod'
        $op.SubscriptionId | Should -Be $sub
        $op.BackupName | Should -Be $name
        $op.AccessType | Should -Be 'AccessKey'
        $op.Sku | Should -Be 'Premium'
        $op.EndTime | Should -BeGreaterThan $op.StartTime
        $op.PollUrl.AbsoluteUri | Should -Match '/operationresults/'

        $b = Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -BackupName $name
        $b.SizeBytes | Should -BeGreaterThan 0
        $b.SourceSku | Should -Be 'Premium'
        $b.SourceServiceId | Should -Be (Get-ApimServiceId 'prod')
        (Get-TestBlobContent -Container $container -Name $name) | Should -Match 'orders'
    }

    It 'backs up by resource id with the default backup name' {
        $op = Backup-ApimService -ResourceId (Get-ApimServiceId 'standby') @storage @arm
        $op.Status | Should -Be 'Succeeded'
        $op.Name | Should -Be 'standby'
        $op.BackupName | Should -Match "^standby-$rg-\d{8}T\d{6}Z-[0-9a-f]{4}\.apimbackup$"
    }

    It 'backs up three Get-AzApiManagement-shaped objects from the pipeline at once, not one after another' {
        $services = 'prod', 'standby', 'standby-standard' | ForEach-Object { New-AzApimObject $_ 'Premium' }
        $ops = @($services | Backup-ApimService @storage @arm)
        $ops.Count | Should -Be 3
        $ops.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        ($ops.Name | Sort-Object) | Should -Be @('prod', 'standby', 'standby-standard')
        $ops.SubscriptionId | Sort-Object -Unique | Should -Be $sub
        # All three were running at the same time: every one started before any finished.
        ($ops.StartTime | Measure-Object -Maximum).Maximum | Should -BeLessThan ($ops.EndTime | Measure-Object -Minimum).Minimum
    }

    It 'backs up every service of -Name prod,standby and of piped names (was "Cannot convert System.Object[]")' {
        $ops = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod, standby @storage @arm)
        $ops.Count | Should -Be 2
        $ops.Status | Should -Be @('Succeeded', 'Succeeded')
        ($ops.Name | Sort-Object) | Should -Be @('prod', 'standby')
        ($ops.BackupName | ForEach-Object { $_ -replace "-$rg-\d{8}T\d{6}Z-[0-9a-f]{4}\.apimbackup$" } | Sort-Object) | Should -Be @('prod', 'standby')
        $piped = @('prod', 'standby' | Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -NoWait @storage @arm)
        ($piped.Name | Sort-Object) | Should -Be @('prod', 'standby')
        ($piped | Wait-ApimOperation @arm).Status | Should -Be @('Succeeded', 'Succeeded')
    }

    It 'starts the valid names of -Name and refuses the invalid one alone' {
        $err = $null
        $ops = @(Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod, '1bad' @storage @arm -NoWait -ErrorVariable err -ErrorAction SilentlyContinue)
        $ops.Name | Should -Be @('prod')
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidServiceName,*'
        $null = $ops | Wait-ApimOperation @arm
    }

    It 'writes each started operation to the Information stream at once, so an interrupted wait loses nothing' {
        $iv = $null
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -InformationVariable iv
        $started = @($iv | Where-Object { $_.Tags -contains 'ApimDr.OperationStarted' })
        $started.Count | Should -Be 1
        $started[0].MessageData.Status | Should -Be 'InProgress'
        $started[0].MessageData.PollUrl | Should -Be $op.PollUrl
    }

    It 'emits each operation at once with -NoWait' {
        $op = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod -NoWait @storage @arm
        $op.Status | Should -Be 'InProgress'
        $op.EndTime | Should -BeNullOrEmpty
        ($op | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token).Status | Should -Be 'Succeeded'
    }

    It 'reports an operation already running (409) clearly and starts nothing' {
        $null = Add-EmulatorFault -Route backup -Kind 409
        $err = $null
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $op | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceBusy,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        "$($err[0])" | Should -Match 'already running'
    }

    It 'survives injected 429 and 503 answers while polling' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 4; retryAfterSeconds = 1 }
        $null = Add-EmulatorFault -Route operationresults -Kind 429 -Count 2 -RetryAfterSeconds 1
        $null = Add-EmulatorFault -Route operationresults -Kind 503 -Count 2 -RetryAfterSeconds 1
        (Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm).Status | Should -Be 'Succeeded'
        @(Get-EmulatorRequestLog | Where-Object { $_.route -eq 'operationresults' -and $_.status -in 429, 503 }).Count | Should -Be 4
    }

    It 'accepts the Az.ApiManagement-style aliases (-ServiceName, -StorageAccount, -TargetContainerName, -TargetBlobName, -AccessKey)' {
        $name = New-BackupName
        $op = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -ServiceName prod -StorageAccount $t.StorageAccountName -TargetContainerName $container `
            -TargetBlobName $name -AccessKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint @arm
        $op.Status | Should -Be 'Succeeded'
        $op.BackupName | Should -Be $name
    }

    It 'refuses a tier without backup (Consumption) before any POST with SkuNotSupported' {
        Clear-EmulatorRequestLog
        $err = $null
        Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name consumption @storage @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuNotSupported,*'
        Get-ActionPosts | Should -BeNullOrEmpty
    }

    It 'refuses a backup without a key of a service without that managed identity (ManagedIdentityNotConfigured) before any POST, naming what to pass instead' {
        $noKey = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; BackupName = (New-BackupName) }
        $err = $null
        $op = Backup-ApimService @prod @noKey @arm -ErrorVariable err -ErrorAction SilentlyContinue   # prod has no identity; no key = SystemAssignedManagedIdentity
        $op | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ManagedIdentityNotConfigured,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        "$($err[0])" | Should -Match "Cannot back up 'prod' with access type SystemAssignedManagedIdentity: it has no system-assigned managed identity"
        foreach ($parameter in '-StorageAccountKey', '-AccessType', '-IdentityClientId') { "$($err[0])" | Should -Match ([regex]::Escape($parameter)) }
        # A user-assigned identity the service does not have (standby-msi has one, with another client id).
        $stranger = [guid]::NewGuid().ToString()
        $err = $null
        Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby-msi @noKey @arm -AccessType UserAssignedManagedIdentity -IdentityClientId $stranger -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ManagedIdentityNotConfigured,*'
        "$($err[0])" | Should -Match "no user-assigned identity with client id '$stranger' is attached to it \(attached: c11e0000-7c3b-4e2a-9f1d-00000000a153\)"
        Get-ActionPosts | Should -BeNullOrEmpty
        Get-ApimOperation -Name prod | Where-Object BackupName -eq $noKey.BackupName | Should -BeNullOrEmpty   # nothing started, nothing journaled
    }

    It 'still succeeds, with a warning, when it cannot write the manifest beside the blob (managed identity, no client-side storage access)' {
        $warnings = $null
        $op = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name prod-msi -BackupName (New-BackupName) -StorageAccountName $t.StorageAccountName `
            -ContainerName $container -BlobEndpoint $t.BlobEndpoint @arm -WarningVariable warnings -WarningAction SilentlyContinue
        $op.Status | Should -Be 'Succeeded'
        $op.AccessType | Should -Be 'SystemAssignedManagedIdentity'
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'started, but ApimDr could not write its manifest'
    }

    It 'shows operations in a table view (Kind, Name, Status, Duration, BackupName)' {
        $op = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm
        $text = $op | Out-String -Width 200
        $text | Should -Match 'Kind\s+Name\s+Status\s+Duration\s+BackupName'
        $text | Should -Match 'Backup\s+prod\s+Succeeded\s+\d\d:\d\d:\d\d'
    }

    It 'sends no request with -WhatIf' {
        Clear-EmulatorRequestLog
        Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm -WhatIf | Should -BeNullOrEmpty
        @(Get-EmulatorRequestLog).Count | Should -Be 0
    }
}

Describe 'Restore-ApimService' {
    BeforeAll {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
        $script:prodBackup = Backup-ApimService @prod -BackupName (New-BackupName) @storage @arm
        $prodBackup.Status | Should -Be 'Succeeded'
    }

    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'restores into a same-tier standby, whose configuration then equals the source''s' {
        $prodConfig = Get-EmulatorServiceConfiguration -Name prod | ConvertTo-Json -Depth 20
        Get-EmulatorServiceConfiguration -Name standby | ConvertTo-Json -Depth 20 | Should -Not -Be $prodConfig
        $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName @storage @arm -Force
        $op.Kind | Should -Be 'Restore'
        $op.Status | Should -Be 'Succeeded'
        $op.Name | Should -Be 'standby'
        Get-EmulatorServiceConfiguration -Name standby | ConvertTo-Json -Depth 20 | Should -Be $prodConfig
    }

    It 'restores into every service named by piped strings' {
        $ops = @('standby', 'prod' | Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -BackupName $prodBackup.BackupName @storage @arm -Force)
        $ops.Count | Should -Be 2
        ($ops.Name | Sort-Object) | Should -Be @('prod', 'standby')
        $ops.Status | Should -Be @('Succeeded', 'Succeeded')
        $ops.Kind | Sort-Object -Unique | Should -Be 'Restore'
    }

    It 'takes the storage location from a Get-ApimBackup object down the pipeline' {
        $entry = Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -BackupName $prodBackup.BackupName
        # Azurite is no standard blob host: its endpoint must come from the command line, never from piped data.
        $op = $entry | Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint @arm -Force
        $op.Status | Should -Be 'Succeeded'
        $op.BackupName | Should -Be $prodBackup.BackupName
    }

    It 'restores the backup operation piped in (storage location from it) into the service named on the command line' {
        $op = $prodBackup | Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint @arm -Force
        $op.Name | Should -Be 'standby'
        $op.Status | Should -Be 'Succeeded'
        $op.BackupName | Should -Be $prodBackup.BackupName
    }

    It 'refuses a busy target before any POST with ServiceBusy' {
        $running = Backup-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName (New-BackupName) @storage @arm -NoWait
        Clear-EmulatorRequestLog
        $err = $null
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName @storage @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceBusy,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        Get-ActionPosts | Should -BeNullOrEmpty
        ($running | Wait-ApimOperation -ResourceManagerUrl $e.ArmUrl -AccessToken $token).Status | Should -Be 'Succeeded'
    }

    It 'refuses a tier without restore (Consumption) before any POST with SkuNotSupported' {
        Clear-EmulatorRequestLog
        $err = $null
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name consumption -BackupName $prodBackup.BackupName @storage @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuNotSupported,*'
        Get-ActionPosts | Should -BeNullOrEmpty
    }

    It 'refuses another tier before any POST (pre-flight) with SkuMismatch' {
        Clear-EmulatorRequestLog
        $err = $null
        $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby-standard -BackupName $prodBackup.BackupName @storage @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $op | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'
        "$($err[0])" | Should -Match "'Standard'.*'Premium'"
        Get-ActionPosts | Should -BeNullOrEmpty
    }

    It 'refuses a restore without a key into a service without a managed identity (ManagedIdentityNotConfigured) before any POST; -SkipPreflight leaves it to ARM' {
        $noKey = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; BackupName = $prodBackup.BackupName }
        $err = $null
        $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @noKey @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $op | Should -BeNullOrEmpty
        $err[-1].FullyQualifiedErrorId | Should -BeLike 'ManagedIdentityNotConfigured,*'
        $err[-1].CategoryInfo.Category | Should -Be 'InvalidOperation'
        "$($err[-1])" | Should -Match "Cannot restore into 'standby' with access type SystemAssignedManagedIdentity.*Pass -StorageAccountKey"
        Get-ActionPosts | Should -BeNullOrEmpty
        # Without the pre-flight nothing checks it: the POST goes out and ARM answers (the emulator's 400).
        $err = $null
        $null = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby @noKey @arm -Force -SkipPreflight -ErrorVariable err -ErrorAction SilentlyContinue
        @(Get-EmulatorActionPost -Action restore).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Not -BeLike 'ManagedIdentityNotConfigured,*'
    }

    It 'with -SkipPreflight fails at the last poll with the SAME SkuMismatch, carrying the service''s RestoreFailed' {
        $err = $null
        $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby-standard -BackupName $prodBackup.BackupName @storage @arm -Force -SkipPreflight -ErrorVariable err -ErrorAction SilentlyContinue
        $op.Status | Should -Be 'Failed'
        $op.ErrorCode | Should -Be 'RestoreFailed'
        $op.ErrorMessage | Should -Be "Cannot restore: current SKU is 'Standard', backup SKU is 'Premium'"
        $op.ErrorId | Should -Be 'SkuMismatch'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'   # one ErrorId per failure kind, with or without the pre-flight
        "$($err[0])" | Should -Match 'RestoreFailed'
        @(Get-ActionPosts).Count | Should -Be 1
    }

    It 'a wrong storage key is the same StorageAccessDenied from Backup-ApimService (ARM''s answer) and from Get-ApimBackup (storage''s)' {
        $wrong = ConvertTo-SecureString ([Convert]::ToBase64String([byte[]](1..64))) -AsPlainText -Force
        $err = $null
        $null = Backup-ApimService @prod -BackupName (New-BackupName) -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $wrong -BlobEndpoint $t.BlobEndpoint @arm -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageAccessDenied,*'
        $err2 = $null
        $null = Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $wrong -BlobEndpoint $t.BlobEndpoint -ErrorVariable err2 -ErrorAction SilentlyContinue
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'StorageAccessDenied,*'
    }

    It 'reports the service''s "backup expired" failure at the last poll when the service''s clock says it is older than 30 days' {
        $null = Move-EmulatorClock -Days 31
        $err = $null
        $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName @storage @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $op.Status | Should -Be 'Failed'
        $op.ErrorMessage | Should -Be 'Cannot restore: backup expired'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupExpired,*'
    }

    It 'refuses a missing backup before any POST with BackupNotFound' {
        Clear-EmulatorRequestLog
        $err = $null
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName 'missing.apimbackup' @storage @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        Get-ActionPosts | Should -BeNullOrEmpty
    }

    It 'pre-flight: stops with StorageAccessDenied, before any POST, when the storage account refuses the key itself (403 AuthenticationFailed)' {
        # Azure answers a key that signs wrongly with 403 AuthenticationFailed. Azurite 3.37 does not (it says
        # AuthorizationFailure, see the next test), so a loopback stand-in answers every request as Azure would.
        $listener = [System.Net.HttpListener]::new()
        $port = Get-FreeLoopbackPort
        $listener.Prefixes.Add("http://127.0.0.1:$port/")
        $listener.Start()
        $server = Start-ThreadJob -ArgumentList $listener -ScriptBlock {
            param($listener)
            try {
                while ($listener.IsListening) {
                    $context = $listener.GetContext()
                    "$($context.Request.HttpMethod) $($context.Request.Url.AbsolutePath)"
                    $context.Response.StatusCode = 403
                    $context.Response.Headers['x-ms-error-code'] = 'AuthenticationFailed'
                    $context.Response.Close()
                }
            } catch {
                # The listener was stopped.
            }
        }
        try {
            Clear-EmulatorRequestLog
            $wrong = [Convert]::ToBase64String([byte[]](1..64))
            $err = $null
            $op = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName -StorageAccountName $t.StorageAccountName `
                -ContainerName $container -StorageAccountKey (ConvertTo-SecureString $wrong -AsPlainText -Force) -BlobEndpoint "http://127.0.0.1:$port/$($t.StorageAccountName)" @arm -Force `
                -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
            $op | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageAccessDenied,*'
            $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            "$($err[0].ErrorDetails)" | Should -Match 'HTTP: 403, code: AuthenticationFailed'
            "$($err[0])" | Should -Match 'refused the access key'
            "$($err[0])" | Should -Match 'restore was not started'
            ($err | Out-String) + $err[0].Exception.ToString() | Should -Not -Match ([regex]::Escape($wrong))
            $warnings | Should -BeNullOrEmpty
            Get-ActionPosts | Should -BeNullOrEmpty
        } finally {
            $listener.Stop()
            $listener.Close()
            $seen = @($server | Wait-Job -Timeout 10 | Receive-Job)
            $server | Remove-Job -Force
        }
        $seen | Should -Be @("HEAD /$($t.StorageAccountName)/$container/$($prodBackup.BackupName)")
    }

    It 'pre-flight: keeps a storage refusal about rights or network (Azurite''s 403 AuthorizationFailure) a warning and still sends the restore' {
        # APIM's control plane may be let in where this machine is not (firewall, RBAC): only a refused KEY stops the restore.
        Clear-EmulatorRequestLog
        $wrong = [Convert]::ToBase64String([byte[]](1..64))
        $err = $null
        $null = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName -StorageAccountName $t.StorageAccountName `
            -ContainerName $container -StorageAccountKey (ConvertTo-SecureString $wrong -AsPlainText -Force) -BlobEndpoint $t.BlobEndpoint @arm -Force -NoWait `
            -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'AuthorizationFailure.*skipping the blob checks'
        "$($warnings[0])" | Should -Not -Match ([regex]::Escape($wrong))
        @(Get-ActionPosts).Count | Should -Be 1
        # The service judged the key itself (the emulator, like APIM, refuses it synchronously): the same
        # failure kind, StorageAccessDenied, but from ARM's answer to the POST, not from the pre-flight.
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StorageAccessDenied,*'
        "$($err[0])" | Should -Match '^Starting the restore'
    }

    It 'refuses an unknown target with ServiceNotFound' {
        $err = $null
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name nosuchservice -BackupName $prodBackup.BackupName @storage @arm -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ServiceNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'changes nothing with -WhatIf: only the read-only pre-flight is sent' {
        Clear-EmulatorRequestLog
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName @storage @arm -WhatIf | Should -BeNullOrEmpty
        Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby -BackupName $prodBackup.BackupName @storage @arm -WhatIf -Force | Should -BeNullOrEmpty
        @(Get-EmulatorRequestLog | Where-Object method -ne 'GET').Count | Should -Be 0
        @(Get-EmulatorRequestLog | Where-Object url -match '/service/standby\?').Count | Should -Be 2   # the target checked each time
    }

    It 'says under -WhatIf what would fail (a Premium backup into a Standard service: SkuMismatch), sending no POST' {
        # Before: a normal "What if" line, and the real restore failed later.
        Clear-EmulatorRequestLog
        $err = $null
        $info = Restore-ApimService -SubscriptionId $sub -ResourceGroupName $rg -Name standby-standard -BackupName $prodBackup.BackupName @storage @arm -WhatIf -ErrorVariable err -ErrorAction SilentlyContinue 6>&1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SkuMismatch,*'
        "$($err[0])" | Should -Match 'Standard'
        Get-EmulatorActionPost | Should -BeNullOrEmpty
        @(Get-EmulatorRequestLog | Where-Object method -ne 'GET').Count | Should -Be 0
    }

    It 'fails safely without -Force or -Confirm:$false in a non-interactive host' {
        Clear-EmulatorRequestLog
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath; Arm = $e.ArmUrl; Token = $e.Token; Sub = $sub; Rg = $rg; Name = $prodBackup.BackupName
            Account = $t.StorageAccountName; Container = $container; Key = $t.StorageKeyText; Blob = $t.BlobEndpoint } -ScriptBlock {
            param($Path, $Arm, $Token, $Sub, $Rg, $Name, $Account, $Container, $Key, $Blob)
            Import-Module $Path
            $err = $null
            $out = Restore-ApimService -ResourceManagerUrl $Arm -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -SubscriptionId $Sub -ResourceGroupName $Rg -Name standby `
                -BackupName $Name -StorageAccountName $Account -ContainerName $Container -StorageAccountKey (ConvertTo-SecureString $Key -AsPlainText -Force) -BlobEndpoint $Blob `
                -ErrorVariable err -ErrorAction SilentlyContinue
            [pscustomobject]@{ Output = @($out).Count; ErrorId = "$($err[0].FullyQualifiedErrorId)" }
        }
        $r.Output | Should -Be 0
        $r.ErrorId | Should -BeLike 'ConfirmationRequired,*'
        @(Get-EmulatorRequestLog | Where-Object method -ne 'GET').Count | Should -Be 0   # the read-only pre-flight comes before the prompt; nothing else
    }
}

Describe 'The request log (-Verbose, -Debug)' {
    BeforeEach {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 1 }
    }

    It 'is written as the preference says: $VerbosePreference without -Verbose, -Debug with -Verbose:$false, and nothing by default' {
        $records = { param($Name, [hashtable] $Switches)
            $all = @(& { Backup-ApimService @prod -BackupName $Name @storage @arm -NoWait -SkipSnapshot @Switches } 4>&1 5>&1)
            $null = $all | Where-Object { $_ -is [ApimDr.ApimOperation] } | Wait-ApimOperation @arm -TimeoutSeconds 60 -ErrorAction Stop   # prod is idle again for the next one
            $all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -or $_ -is [System.Management.Automation.DebugRecord] } }

        # The caller's preference, no common parameter: the POST's line comes.
        $VerbosePreference = 'Continue'
        $v = @(& $records (New-BackupName) @{})
        $VerbosePreference = 'SilentlyContinue'
        @($v | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '^POST https://\S+/backup\?api-version=\S+ -> 202' }).Count | Should -Be 1
        @($v | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -Be 0

        # -Debug (with -Verbose:$false, so no Verbose record asks to be confirmed): the redacted detail, no one-line log.
        $d = @(& $records (New-BackupName) @{ Debug = $true; Verbose = $false })
        @($d | Where-Object { $_ -is [System.Management.Automation.DebugRecord] -and $_.Message -match '^Request POST https://\S+/backup' }).Count | Should -Be 1
        @($d | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0

        # Neither: no record at all (that nothing is built is RedactionTests' xunit test).
        @(& $records (New-BackupName) @{}).Count | Should -Be 0
    }
}
