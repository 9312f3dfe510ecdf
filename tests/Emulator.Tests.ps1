#Requires -Modules Pester
# The emulator's own tests: raw HTTP against the running emulator + Azurite (started by build.ps1
# -Task Test), never through ApimDr's engine, so the two are checked independently.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:t = Get-TestEnvironment
    $script:e = Get-EmulatorEnvironment
    $script:apiVersion = 'api-version=2024-05-01'
    Reset-Emulator
    $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }

    function script:New-BackupBody {
        param([string] $Container, [string] $Blob, [string] $Key = $t.StorageKeyText, [string] $AccessType)
        $b = [ordered]@{ storageAccount = $t.StorageAccountName; containerName = $Container; backupName = $Blob }
        if ($AccessType) { $b.accessType = $AccessType } else { $b.accessKey = $Key }
        return $b
    }

    function script:Start-Action {
        param([string] $Service, [ValidateSet('backup', 'restore')][string] $Action, $Body, [string] $Token = $e.Token)
        return Invoke-ArmRequest -Method POST -Url "$(Get-ArmServiceUrl -Name $Service -Action $Action)?$apiVersion" -Body $Body -Token $Token
    }

    # Polls a Location until it stops answering 202, honouring Retry-After; returns every response.
    function script:Wait-Location {
        param([string] $Location, [int] $TimeoutSeconds = 30)
        $responses = [System.Collections.Generic.List[object]]::new()
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            $r = Invoke-ArmRequest -Url $Location
            $responses.Add($r)
            if ($r.Status -ne 202) { return $responses.ToArray() }
            if ([DateTime]::UtcNow -gt $deadline) { throw "Still 202 after $TimeoutSeconds s: $Location" }
            Start-Sleep -Seconds ([int]$r.Headers['Retry-After'][0])
        }
    }

    function script:Get-ArmService {
        param([string] $Name)
        return (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name $Name)?$apiVersion").Json
    }

    function script:ConvertTo-Canonical { param($Object) return ($Object | ConvertTo-Json -Depth 20 -Compress) }

    # One backup of 'prod' shared by the restore tests (its blob is read back from Azurite below).
    $script:container = New-TestName 'emu'
    $script:blobName = 'prod-shared.apimbackup'
    $script:backupStartedAt = [DateTimeOffset]::UtcNow.AddSeconds(-2)
    $script:backupPost = Start-Action -Service 'prod' -Action backup -Body (New-BackupBody $container $blobName)
    $script:backupPolls = Wait-Location $backupPost.Headers['Location'][0]
    $script:backupEndedAt = [DateTimeOffset]::UtcNow.AddSeconds(2)
}

AfterAll {
    Reset-Emulator
}

Describe 'Emulator: backup (Location-style long-running operation)' {
    It 'answers POST …/backup with 202, an EMPTY body, Location to …/operationresults/{base64 id}?api-version and Retry-After, no Azure-AsyncOperation' {
        $backupPost.Status | Should -Be 202
        $backupPost.Body | Should -BeExactly ''
        $backupPost.Headers['Content-Length'][0] | Should -Be '0'
        $location = $backupPost.Headers['Location'][0]
        $location | Should -BeLike "$(Get-ArmServiceUrl -Name 'prod')/operationresults/*?api-version=2024-05-01"
        $id = ([Uri]$location).AbsolutePath.Split('/')[-1]
        { [Convert]::FromBase64String($id) } | Should -Not -Throw
        $backupPost.Headers['Retry-After'][0] | Should -Be '1'
        $backupPost.Headers.ContainsKey('Azure-AsyncOperation') | Should -BeFalse
    }

    It 'sends ARM headers: x-ms-request-id twice, the client''s correlation id echoed, routing and ratelimit headers' {
        $correlation = [guid]::NewGuid().ToString()
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion" -Headers @{ 'x-ms-correlation-request-id' = $correlation }
        $r.Status | Should -Be 200
        @($r.Headers['x-ms-request-id']).Count | Should -Be 2
        $r.Headers['x-ms-correlation-request-id'][0] | Should -Be $correlation
        $r.Headers['x-ms-routing-request-id'][0] | Should -Match ":$correlation$"
        [int]$r.Headers['x-ms-ratelimit-remaining-subscription-reads'][0] | Should -BeGreaterThan 0
    }

    It 'makes some operation ids end in =, so clients must keep the URL byte for byte' {
        $ids = foreach ($i in 1..3) {
            $p = Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name "pad$i")?$apiVersion" -Body @{
                location = 'West Europe'; sku = @{ name = 'Developer'; capacity = 1 }; properties = @{ publisherEmail = 'a@b.example'; publisherName = 'p' } }
            ([Uri]$p.Headers['Azure-AsyncOperation'][0]).AbsolutePath.Split('/')[-1]
        }
        @($ids | Where-Object { $_.EndsWith('=') }).Count | Should -BeGreaterThan 0
        @($ids | Where-Object { $_ -match '[/+]' }).Count | Should -Be 0
    }

    It 'answers polls with 202 (empty, same Location, Retry-After) until the duration, then 200 with the service body' {
        $backupPolls.Count | Should -BeGreaterThan 1
        $running = $backupPolls[0..($backupPolls.Count - 2)]
        foreach ($p in $running) {
            $p.Status | Should -Be 202
            $p.Body | Should -BeExactly ''
            $p.Headers['Location'][0] | Should -BeExactly $backupPost.Headers['Location'][0]
            $p.Headers['Retry-After'][0] | Should -Be '1'
        }
        $last = $backupPolls[-1]
        $last.Status | Should -Be 200
        $last.Json.id | Should -Be ([Uri](Get-ArmServiceUrl -Name 'prod')).AbsolutePath
        $last.Json.properties.provisioningState | Should -Be 'Succeeded'
        $last.Json.sku.name | Should -Be 'Premium'
    }

    It 'shows provisioningState Updating and a non-empty targetProvisioningState while it runs, Succeeded and "" after' {
        $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'standby-state.apimbackup')
        $post.Status | Should -Be 202
        $during = Get-ArmService 'standby'
        $during.properties.provisioningState | Should -Be 'Updating'
        $during.properties.targetProvisioningState | Should -Not -BeNullOrEmpty
        $null = Wait-Location $post.Headers['Location'][0]
        $after = Get-ArmService 'standby'
        $after.properties.provisioningState | Should -Be 'Succeeded'
        $after.properties.targetProvisioningState | Should -BeExactly ''
    }

    It 'writes a REAL blob to Azurite (creating the container) holding the configuration, source SKU and creation time' {
        $text = Get-TestBlobContent -Container $container -Name $blobName
        $text | Should -Not -BeNullOrEmpty
        $blob = $text | ConvertFrom-Json -Depth 20
        $blob.sourceSku.name | Should -Be 'Premium'
        $blob.sourceServiceId | Should -BeLike '*/service/prod'
        $created = [DateTimeOffset]::Parse($blob.createdAtUtc, [Globalization.CultureInfo]::InvariantCulture)
        $created | Should -BeGreaterThan $backupStartedAt
        $created | Should -BeLessThan $backupEndedAt
        (ConvertTo-Canonical $blob.configuration) | Should -Be (ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name 'prod'))
    }

    It 'answers a second backup while one runs with 409 Conflict in the APIM error shape' {
        $first = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'conflict-1.apimbackup')
        $first.Status | Should -Be 202
        $second = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'conflict-2.apimbackup')
        $second.Status | Should -Be 409
        $second.Json.error.code | Should -Be 'Conflict'
        $second.Body | Should -Match '"details":null'
        $second.Body | Should -Match '"innerError":null'
        $null = Wait-Location $first.Headers['Location'][0]
    }
}

Describe 'Emulator: synchronous validation' {
    It 'rejects an uppercase container with a synchronous 400 InvalidParameters naming backupContainerName' {
        $r = Start-Action -Service 'prod' -Action backup -Body (New-BackupBody 'Backups' 'x.apimbackup')
        $r.Status | Should -Be 400
        $r.Json.error.code | Should -Be 'InvalidParameters'
        $r.Json.error.message | Should -Match 'invalid characters\. Parameter name: backupContainerName'
        $r.Headers.ContainsKey('Location') | Should -BeFalse
    }

    It 'rejects a missing <Field> with 400 InvalidParameters' -TestCases @(
        @{ Field = 'storageAccount'; Parameter = 'backupStorageAccount' }
        @{ Field = 'containerName'; Parameter = 'backupContainerName' }
        @{ Field = 'backupName'; Parameter = 'backupName' }
        @{ Field = 'accessKey'; Parameter = 'accessKey' }
    ) {
        param($Field, $Parameter)
        $body = New-BackupBody $container 'x.apimbackup'
        $body.Remove($Field)
        $r = Start-Action -Service 'prod' -Action backup -Body $body
        $r.Status | Should -Be 400
        $r.Json.error.code | Should -Be 'InvalidParameters'
        $r.Json.error.message | Should -Match "Parameter name: $Parameter$"
    }

    It 'fails a wrong access key with 400 InvalidParameters, without echoing it' {
        $wrong = [Convert]::ToBase64String([byte[]](1..64))
        $r = Start-Action -Service 'prod' -Action backup -Body (New-BackupBody $container 'x.apimbackup' -Key $wrong)
        $r.Status | Should -Be 400
        $r.Json.error.code | Should -Be 'InvalidParameters'
        $r.Json.error.message | Should -Match 'accessKey'
        $r.Body | Should -Not -Match ([regex]::Escape($wrong))
        (Get-ArmService 'prod').properties.provisioningState | Should -Be 'Succeeded'
    }

    It 'refuses <Action> on <Service> with 400 MethodNotAllowedInPricingTier' -TestCases @(
        @{ Service = 'consumption'; Action = 'backup'; Sku = 'Consumption' }
        @{ Service = 'consumption'; Action = 'restore'; Sku = 'Consumption' }
        @{ Service = 'standby-v2'; Action = 'backup'; Sku = 'StandardV2' }
    ) {
        param($Service, $Action, $Sku)
        $r = Start-Action -Service $Service -Action $Action -Body (New-BackupBody $container $blobName)
        $r.Status | Should -Be 400
        $r.Json.error.code | Should -Be 'MethodNotAllowedInPricingTier'
        $r.Json.error.message | Should -Match $Sku
    }

    It 'answers 404 ResourceNotFound for an unknown service and an unknown resource group' {
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'nope')?$apiVersion"
        $r.Status | Should -Be 404
        $r.Json.error.code | Should -Be 'ResourceNotFound'
        $r = Start-Action -Service 'nope' -Action backup -Body (New-BackupBody $container 'x.apimbackup')
        $r.Status | Should -Be 404
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod' -ResourceGroup 'no-such-rg')?$apiVersion"
        $r.Status | Should -Be 404
        $r.Json.error.code | Should -Be 'ResourceNotFound'
        $r.Json.error.message | Should -Match 'no-such-rg'
    }

    It 'requires an api-version' {
        $r = Invoke-ArmRequest -Url (Get-ArmServiceUrl -Name 'prod')
        $r.Status | Should -Be 400
        $r.Json.error.code | Should -Be 'MissingApiVersionParameter'
    }
}

Describe 'Emulator: restore' {
    It 'restores into a same-tier service and replaces its configuration' {
        $before = Get-EmulatorServiceConfiguration -Name 'standby'
        (ConvertTo-Canonical $before) | Should -Not -Be (ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name 'prod'))
        $post = Start-Action -Service 'standby' -Action restore -Body (New-BackupBody $container $blobName)
        $post.Status | Should -Be 202
        $post.Body | Should -BeExactly ''
        $polls = Wait-Location $post.Headers['Location'][0]
        $polls[-1].Status | Should -Be 200
        $polls[-1].Json.name | Should -Be 'standby'
        $after = Get-EmulatorServiceConfiguration -Name 'standby'
        $blob = (Get-TestBlobContent -Container $container -Name $blobName) | ConvertFrom-Json -Depth 20
        (ConvertTo-Canonical $after) | Should -Be (ConvertTo-Canonical $blob.configuration)
    }

    It 'fails a restore into <Service> at the LAST poll with 400 RestoreFailed "<Message>"' -TestCases @(
        @{ Service = 'standby-v2'; Message = "Cannot restore: current SKU is 'StandardV2', backup SKU is 'Premium'" }
        @{ Service = 'standby-standard'; Message = "Cannot restore: current SKU is 'Standard', backup SKU is 'Premium'" }
    ) {
        param($Service, $Message)
        $before = ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name $Service)
        $post = Start-Action -Service $Service -Action restore -Body (New-BackupBody $container $blobName)
        $post.Status | Should -Be 202
        $polls = Wait-Location $post.Headers['Location'][0]
        $polls.Count | Should -BeGreaterThan 1
        $polls[0].Status | Should -Be 202
        $polls[-1].Status | Should -Be 400
        $polls[-1].Json.error.code | Should -Be 'RestoreFailed'
        $polls[-1].Json.error.message | Should -BeExactly $Message
        $polls[-1].Body | Should -Match '"details":null,"innerError":null'
        ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name $Service) | Should -Be $before
    }

    It 'fails a restore of a backup aged 31 days (clock advanced) with "Cannot restore: backup expired"' {
        try {
            $null = Move-EmulatorClock -Days 31
            $post = Start-Action -Service 'standby' -Action restore -Body (New-BackupBody $container $blobName)
            $post.Status | Should -Be 202
            $polls = Wait-Location $post.Headers['Location'][0]
            $polls[-1].Status | Should -Be 400
            $polls[-1].Json.error.code | Should -Be 'RestoreFailed'
            $polls[-1].Json.error.message | Should -BeExactly 'Cannot restore: backup expired'
        } finally {
            $null = Move-EmulatorClock -Reset
        }
    }

    It 'fails a restore of a missing blob at the last poll with 404' {
        $post = Start-Action -Service 'standby' -Action restore -Body (New-BackupBody $container 'missing.apimbackup')
        $post.Status | Should -Be 202
        $polls = Wait-Location $post.Headers['Location'][0]
        $polls[-1].Status | Should -Be 404
        $polls[-1].Json.error.message | Should -Match 'missing\.apimbackup'
    }
}

Describe 'Emulator: configuration entities through ARM (paged lists, rawxml policies, listValue, read throttling)' {
    BeforeAll {
        function script:Get-Entity {
            param([string] $Service = 'prod', [Parameter(Mandatory)][string] $Path, [string] $Query = '')
            return Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name $Service)/$($Path)?$apiVersion$Query"
        }
        # Every item of a list, following nextLink until it is absent; returns the pages.
        function script:Get-AllPages {
            param([Parameter(Mandatory)][string] $Url)
            $pages = @()
            while ($Url) {
                $r = Invoke-ArmRequest -Url $Url
                $r.Status | Should -Be 200
                $pages += $r
                $Url = if ($r.Json.PSObject.Properties['nextLink']) { $r.Json.nextLink } else { $null }
            }
            return $pages
        }
    }
    AfterAll {
        $null = Set-EmulatorSetting @{ pageSize = 3; readBucketCapacity = 250; readRefillPerSecond = 25; latencyMilliseconds = 0 }
    }

    It 'lists apis in pages of pageSize, each page but the last with a nextLink on the ARM host, until nextLink is absent' {
        $null = Set-EmulatorSetting @{ pageSize = 3 }
        $pages = Get-AllPages "$(Get-ArmServiceUrl -Name 'prod')/apis?$apiVersion"
        $pages.Count | Should -Be 2
        $pages[0].Json.value.Count | Should -Be 3
        $pages[0].Json.nextLink | Should -BeLike "$($e.ArmUrl)$(Get-ApimServiceId -Name 'prod')/apis?api-version=2024-05-01&*"
        $pages[0].Json.count | Should -Be 4
        $names = @($pages | ForEach-Object { $_.Json.value.name })
        $names | Should -Be @('orders', 'payments', 'catalog', 'echo')
        $first = $pages[0].Json.value[0]
        $first.id | Should -Be "$(Get-ApimServiceId -Name 'prod')/apis/orders"
        $first.type | Should -Be 'Microsoft.ApiManagement/service/apis'
        $first.properties.serviceUrl | Should -Be 'https://orders.contoso.example'
        $first.properties.PSObject.Properties.Name | Should -Not -Contain 'operations'
        $first.properties.PSObject.Properties.Name | Should -Not -Contain 'policy'
    }

    It 'answers <Path> with a list (ARM collection shape)' -TestCases @(
        @{ Path = 'apis/orders/operations'; Count = 4 }, @{ Path = 'products'; Count = 2 }, @{ Path = 'products/unlimited/apis'; Count = 3 },
        @{ Path = 'products/starter/groups'; Count = 2 }, @{ Path = 'policyFragments'; Count = 1 }, @{ Path = 'namedValues'; Count = 3 },
        @{ Path = 'backends'; Count = 1 }, @{ Path = 'groups'; Count = 4 }, @{ Path = 'users'; Count = 2 }, @{ Path = 'subscriptions'; Count = 1 },
        @{ Path = 'certificates'; Count = 1 }, @{ Path = 'apiVersionSets'; Count = 1 }, @{ Path = 'loggers'; Count = 1 }, @{ Path = 'tags'; Count = 2 }
    ) {
        $pages = Get-AllPages "$(Get-ArmServiceUrl -Name 'prod')/$($Path)?$apiVersion"
        @($pages | ForEach-Object { $_.Json.value }).Count | Should -Be $Count
        $pages[0].Json.value[0].id | Should -BeLike "$(Get-ApimServiceId -Name 'prod')/*"
    }

    It 'answers policies with their XML (format echoed, rawxml as stored) and 404 for an entity without one' {
        $r = Get-Entity -Path 'apis/orders/operations/get-order/policies/policy' -Query '&format=rawxml'
        $r.Status | Should -Be 200
        $r.Json.name | Should -Be 'policy'
        $r.Json.type | Should -Be 'Microsoft.ApiManagement/service/apis/operations/policies'
        $r.Json.properties.format | Should -Be 'rawxml'
        $r.Json.properties.value | Should -Match '<cache-lookup'
        (Get-Entity -Path 'policies/policy' -Query '&format=rawxml').Json.properties.value | Should -Match '<cors'
        (Get-Entity -Path 'products/starter/policies/policy' -Query '&format=rawxml').Json.properties.value | Should -Match '<rate-limit'
        $none = Get-Entity -Path 'apis/catalog/policies/policy' -Query '&format=rawxml'
        $none.Status | Should -Be 404
        $none.Json.error.code | Should -Be 'ResourceNotFound'
    }

    It 'never returns a secret named value''s value on GET, only from POST …/listValue; Key Vault ones carry their secret identifier' {
        $list = (Get-Entity -Path 'namedValues').Json.value
        $secret = $list | Where-Object name -eq 'payments-api-key'
        $secret.properties.secret | Should -BeTrue
        $secret.properties.PSObject.Properties.Name | Should -Not -Contain 'value'
        ($list | Where-Object name -eq 'environment').properties.value | Should -Be 'production'
        ($list | Where-Object name -eq 'partner-cert-password').properties.keyVault.secretIdentifier | Should -Be 'https://contoso-kv.vault.azure.net/secrets/partner-cert-password'
        (Get-Entity -Path 'namedValues/payments-api-key').Json.properties.PSObject.Properties.Name | Should -Not -Contain 'value'
        $value = Invoke-ArmRequest -Method POST -Url "$(Get-ArmServiceUrl -Name 'prod')/namedValues/payments-api-key/listValue?$apiVersion"
        $value.Status | Should -Be 200
        $value.Json.value | Should -Be 'emulator-test-secret-prod-7f3a9c'
    }

    It 'returns subscriptions without keys, their ownerId and scope as full resource ids' {
        $r = Get-Entity -Path 'subscriptions'
        $r.Body | Should -Not -Match 'primaryKey|secondaryKey|emulator-test-subscription-key'
        $r.Json.value[0].properties.scope | Should -Be "$(Get-ApimServiceId -Name 'prod')/products/starter"
        $r.Json.value[0].properties.ownerId | Should -Be "$(Get-ApimServiceId -Name 'prod')/users/partner-dev"
    }

    It 'throttles reads when the read bucket is empty: 429 SubscriptionRequestsThrottled with Retry-After, then answers again' {
        $null = Set-EmulatorSetting @{ readBucketCapacity = 3; readRefillPerSecond = 2 }
        try {
            $answers = 1..6 | ForEach-Object { Get-Entity -Path 'tags' }
            $throttled = @($answers | Where-Object Status -eq 429)
            $throttled.Count | Should -BeGreaterThan 0
            $throttled[0].Json.error.code | Should -Be 'SubscriptionRequestsThrottled'
            [int]$throttled[0].Headers['Retry-After'][0] | Should -BeGreaterOrEqual 1
            Start-Sleep -Seconds ([int]$throttled[0].Headers['Retry-After'][0])
            (Get-Entity -Path 'tags').Status | Should -Be 200
        } finally {
            $null = Set-EmulatorSetting @{ readBucketCapacity = 250; readRefillPerSecond = 25 }
        }
    }

    It 'delays every ARM answer by latencyMilliseconds' {
        $null = Set-EmulatorSetting @{ latencyMilliseconds = 400 }
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            (Get-Entity -Path 'tags').Status | Should -Be 200
            $watch.ElapsedMilliseconds | Should -BeGreaterOrEqual 400
        } finally {
            $null = Set-EmulatorSetting @{ latencyMilliseconds = 0 }
        }
    }

    It 'restores every entity into standby but leaves its hostnames, VNet and cipher settings alone' {
        $null = Set-EmulatorServiceConfiguration -Name 'standby' -Configuration @{ apis = @() }
        $before = Get-ArmService -Name 'standby'
        $post = Start-Action -Service 'standby' -Action restore -Body (New-BackupBody $container $blobName)
        (Wait-Location $post.Headers['Location'][0])[-1].Status | Should -Be 200
        $prodApis = (Get-AllPages "$(Get-ArmServiceUrl -Name 'prod')/apis?$apiVersion" | ForEach-Object { $_.Json.value.properties }) | ConvertTo-Json -Depth 10
        $standbyApis = (Get-AllPages "$(Get-ArmServiceUrl -Name 'standby')/apis?$apiVersion" | ForEach-Object { $_.Json.value.properties }) | ConvertTo-Json -Depth 10
        $standbyApis | Should -Be ($prodApis -replace '/service/prod/', '/service/standby/')
        $after = Get-ArmService -Name 'standby'
        $prod = Get-ArmService -Name 'prod'
        foreach ($name in 'hostnameConfigurations', 'customProperties', 'virtualNetworkType') {
            (ConvertTo-Canonical $after.properties.$name) | Should -Be (ConvertTo-Canonical $before.properties.$name)
            (ConvertTo-Canonical $after.properties.$name) | Should -Not -Be (ConvertTo-Canonical $prod.properties.$name)
        }
        $prod.properties.virtualNetworkConfiguration.subnetResourceId | Should -BeLike '*/virtualNetworks/prod-vnet/subnets/apim'
    }

    It 'generates a large service (apis × operations, each with a policy) through the control surface' {
        $original = Get-EmulatorServiceConfiguration -Name 'standby-standard'
        try {
            $made = Invoke-EmulatorControl -Method POST -Path 'services/standby-standard/generate' -Body @{ apis = 30; operationsPerApi = 4 }
            $made.operations | Should -Be 120
            (Get-Entity -Service 'standby-standard' -Path 'apis').Json.count | Should -Be 30
            (Get-Entity -Service 'standby-standard' -Path 'apis/api-0029/operations').Json.count | Should -Be 4
            (Get-Entity -Service 'standby-standard' -Path 'apis/api-0029/operations/op-003/policies/policy' -Query '&format=rawxml').Status | Should -Be 200
        } finally {
            $null = Set-EmulatorServiceConfiguration -Name 'standby-standard' -Configuration $original
        }
    }
}

Describe 'Emulator: managed identity access to storage' {
    It 'backs prod-msi up with its system-assigned identity, granted on the account, and sends no key' {
        $post = Start-Action -Service 'prod-msi' -Action backup -Body (New-BackupBody $container 'msi.apimbackup' -AccessType 'SystemAssignedManagedIdentity')
        $post.Status | Should -Be 202
        (Wait-Location $post.Headers['Location'][0])[-1].Status | Should -Be 200
        ((Get-TestBlobContent -Container $container -Name 'msi.apimbackup') | ConvertFrom-Json).sourceSku.name | Should -Be 'Developer'
    }

    It 'refuses SystemAssignedManagedIdentity synchronously for a service without that identity' {
        $r = Start-Action -Service 'prod' -Action backup -Body (New-BackupBody $container 'x.apimbackup' -AccessType 'SystemAssignedManagedIdentity')
        $r.Status | Should -Be 400
        $r.Json.error.code | Should -Be 'InvalidParameters'
    }

    It 'fails at the last poll when the identity has no role on the account' {
        $principal = (Get-ArmService 'prod-msi').identity.principalId
        $null = Invoke-EmulatorControl -Method DELETE -Path "storage/$($t.StorageAccountName)/roleAssignments/$principal"
        try {
            $post = Start-Action -Service 'prod-msi' -Action backup -Body (New-BackupBody $container 'denied.apimbackup' -AccessType 'SystemAssignedManagedIdentity')
            $post.Status | Should -Be 202
            $last = (Wait-Location $post.Headers['Location'][0])[-1]
            $last.Status | Should -Be 403
            $last.Json.error.message | Should -Match 'Storage Blob Data Contributor'
            Get-TestBlobContent -Container $container -Name 'denied.apimbackup' | Should -BeNullOrEmpty
        } finally {
            $null = Invoke-EmulatorControl -Method POST -Path "storage/$($t.StorageAccountName)/roleAssignments" -Body @{ principalId = $principal; role = 'Storage Blob Data Contributor' }
        }
    }
    It 'checks a UserAssignedManagedIdentity clientId against the service (sync 400) and its role at the last poll' {
        $body = New-BackupBody $container 'ua.apimbackup' -AccessType 'UserAssignedManagedIdentity'
        $body.clientId = [guid]::NewGuid().ToString()
        $r = Start-Action -Service 'standby-msi' -Action backup -Body $body
        $r.Status | Should -Be 400
        $r.Json.error.message | Should -Match 'Parameter name: clientId'

        $ua = (Get-ArmService 'standby-msi').identity.userAssignedIdentities.PSObject.Properties.Value
        $body.clientId = $ua.clientId
        $post = Start-Action -Service 'standby-msi' -Action backup -Body $body
        $post.Status | Should -Be 202
        (Wait-Location $post.Headers['Location'][0])[-1].Status | Should -Be 403

        $null = Invoke-EmulatorControl -Method POST -Path "storage/$($t.StorageAccountName)/roleAssignments" -Body @{ principalId = $ua.principalId }
        $post = Start-Action -Service 'standby-msi' -Action backup -Body $body
        (Wait-Location $post.Headers['Location'][0])[-1].Status | Should -Be 200
        $null = Invoke-EmulatorControl -Method DELETE -Path "storage/$($t.StorageAccountName)/roleAssignments/$($ua.principalId)"
    }
}

Describe 'Emulator: authentication' {
    It 'answers <Case> with 401 <Code> and WWW-Authenticate' -TestCases @(
        @{ Case = 'no token'; Token = ''; Code = 'InvalidAuthenticationToken' }
        @{ Case = 'a garbage token'; Token = 'not-a-token'; Code = 'InvalidAuthenticationToken' }
        @{ Case = 'a forged JWT'; Token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.AAAA'; Code = 'InvalidAuthenticationToken' }
        @{ Case = 'an expired token'; Token = 'EXPIRED'; Code = 'ExpiredAuthenticationToken' }
        @{ Case = 'a token for another audience'; Token = 'OTHERAUD'; Code = 'InvalidAuthenticationTokenAudience' }
    ) {
        param($Token, $Code)
        if ($Token -eq 'EXPIRED') { $Token = New-EmulatorToken -LifetimeSeconds -60 }
        if ($Token -eq 'OTHERAUD') { $Token = New-EmulatorToken -Audience 'https://management.azure.com/' }
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion" -Token $Token
        $r.Status | Should -Be 401
        $r.Json.error.code | Should -Be $Code
        $r.Headers['WWW-Authenticate'][0] | Should -Match '^Bearer authorization_uri=".+", error="invalid_token"'
    }

    It 'writes its certificate (127.0.0.1 + localhost, no private key) into an OpenSSL hashed directory' {
        $dir = $env:APIMDR_TEST_CERT_DIR
        $pem = Join-Path $dir 'apimdr-emulator.pem'
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $pem))
        $cert.HasPrivateKey | Should -BeFalse
        (Get-Content -Raw $pem) | Should -Not -Match 'PRIVATE KEY'
        $san = $cert.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.17' }
        $san.Format($false) | Should -Match '127\.0\.0\.1'
        $san.Format($false) | Should -Match 'localhost'
        $hashed = @(Get-ChildItem $dir | Where-Object Name -match '^[0-9a-f]{8}\.0$')
        $hashed.Count | Should -Be 1
        if (Get-Command openssl -ErrorAction SilentlyContinue) {
            "$($hashed[0].Name)" | Should -Be "$((& openssl x509 -hash -noout -in $pem).Trim()).0"
        }
        $env:SSL_CERT_DIR.Split([IO.Path]::PathSeparator)[0] | Should -Be $dir
    }

    It 'issues managed identity tokens (App Service 2019 protocol) that the ARM side accepts' {
        $client = [System.Net.Http.HttpClient]::new()
        try {
            $url = "$($e.IdentityEndpoint)?api-version=2019-08-01&resource=$([Uri]::EscapeDataString($e.ArmUrl))"
            $request = [System.Net.Http.HttpRequestMessage]::new('GET', $url)
            $request.Headers.Add('X-IDENTITY-HEADER', $e.IdentityHeader)
            $response = $client.Send($request)
            [int]$response.StatusCode | Should -Be 200
            $token = $response.Content.ReadAsStringAsync().Result | ConvertFrom-Json
            $token.token_type | Should -Be 'Bearer'
            $token.resource | Should -Be $e.ArmUrl
            $token.client_id | Should -Not -BeNullOrEmpty
            [long]$token.expires_on | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.ToUnixTimeSeconds())
            $token.expires_on | Should -BeOfType [string]
            [long]$token.expires_on | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow.AddSeconds((Get-EmulatorSetting).tokenLifetimeSeconds + 5).ToUnixTimeSeconds())

            $bad = [System.Net.Http.HttpRequestMessage]::new('GET', $url)
            $bad.Headers.Add('X-IDENTITY-HEADER', 'wrong')
            [int]$client.Send($bad).StatusCode | Should -Be 401
        } finally { $client.Dispose() }

        Clear-EmulatorRequestLog
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion" -Token $token.access_token
        $r.Status | Should -Be 200
        $entry = @(Get-EmulatorRequestLog | Where-Object listener -eq 'arm')[-1]
        $entry.tokenKind | Should -Be 'issued'
        $entry.principalId | Should -Be (Invoke-EmulatorControl -Path '').hostIdentity.principalId
    }

    It 'honours tokenLifetimeSeconds: a managed identity token dies after it and ARM answers ExpiredAuthenticationToken' {
        $null = Set-EmulatorSetting @{ tokenLifetimeSeconds = 1 }
        try {
            $client = [System.Net.Http.HttpClient]::new()
            $request = [System.Net.Http.HttpRequestMessage]::new('GET', "$($e.IdentityEndpoint)?api-version=2019-08-01&resource=$([Uri]::EscapeDataString($e.ArmUrl))")
            $request.Headers.Add('X-IDENTITY-HEADER', $e.IdentityHeader)
            $token = $client.Send($request).Content.ReadAsStringAsync().Result | ConvertFrom-Json
            $client.Dispose()
            (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion" -Token $token.access_token).Status | Should -Be 200
            Start-Sleep -Milliseconds 2100
            $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion" -Token $token.access_token
            $r.Status | Should -Be 401
            $r.Json.error.code | Should -Be 'ExpiredAuthenticationToken'
        } finally {
            $null = Set-EmulatorSetting @{ tokenLifetimeSeconds = 3600 }
        }
    }

    It 'works with the real Azure.Identity (DefaultAzureCredential, managed identity path) in a fresh pwsh' {
        $deps = Join-Path (Split-Path $t.ModulePath) 'Dependencies'
        $result = Invoke-PwshChild -Parameters @{ Deps = $deps; Url = "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion"; Arm = $e.ArmUrl } -ScriptBlock {
            param($Deps, $Url, $Arm)
            foreach ($n in 'System.ClientModel', 'System.Memory.Data', 'Microsoft.IdentityModel.Abstractions', 'Microsoft.Identity.Client', 'Azure.Core', 'Azure.Identity') {
                $null = [System.Reflection.Assembly]::LoadFrom((Join-Path $Deps "$n.dll"))
            }
            $credential = [Azure.Identity.DefaultAzureCredential]::new([Azure.Identity.DefaultAzureCredentialOptions]::new())
            $token = $credential.GetToken([Azure.Core.TokenRequestContext]::new([string[]]@("$Arm/.default")), [Threading.CancellationToken]::None)
            $client = [System.Net.Http.HttpClient]::new()
            $request = [System.Net.Http.HttpRequestMessage]::new('GET', $Url)
            $request.Headers.Add('Authorization', "Bearer $($token.Token)")
            [int]$client.Send($request).StatusCode
        }
        $result | Should -Be 200
    }
}

Describe 'Emulator: fault injection and request log' {
    AfterEach { Clear-EmulatorFault }

    It 'answers the next N requests on a route with 429 + Retry-After (ARM throttling body), then normally' {
        $null = Add-EmulatorFault -Route service -Kind 429 -Count 2 -RetryAfterSeconds 7
        foreach ($i in 1..2) {
            $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion"
            $r.Status | Should -Be 429
            $r.Headers['Retry-After'][0] | Should -Be '7'
            $r.Json.error.code | Should -Be 'SubscriptionRequestsThrottled'
        }
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion").Status | Should -Be 200
    }

    It 'injects 503 with Retry-After and connection resets' {
        $null = Add-EmulatorFault -Route operationresults -Kind 503 -RetryAfterSeconds 2
        $null = Add-EmulatorFault -Route service -Kind reset
        $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'faults.apimbackup')
        $r = Invoke-ArmRequest -Url $post.Headers['Location'][0]
        $r.Status | Should -Be 503
        $r.Headers['Retry-After'][0] | Should -Be '2'
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion").Status | Should -Be 0
        $null = Wait-Location $post.Headers['Location'][0]
    }

    It 'can fail a POST AFTER accepting it (ambiguous failure): a retry then meets 409' {
        $null = Add-EmulatorFault -Route backup -Kind 500 -When after
        $first = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'ambiguous.apimbackup')
        $first.Status | Should -Be 500
        $retry = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'ambiguous.apimbackup')
        $retry.Status | Should -Be 409
        Start-Sleep -Seconds 3
    }

    It 'logs every request (polls countable, Authorization present but never its value, raw bodies searchable)' {
        Clear-EmulatorRequestLog
        $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'logged.apimbackup')
        $polls = Wait-Location $post.Headers['Location'][0]
        $log = Get-EmulatorRequestLog | Where-Object listener -eq 'arm'
        @($log | Where-Object route -eq 'operationresults').Count | Should -Be $polls.Count
        $log[0].method | Should -Be 'POST'
        $log[0].url | Should -BeLike '*/service/standby/backup?api-version=2024-05-01'
        $log[0].body | Should -Match ([regex]::Escape($t.StorageKeyText.Substring(0, 20)))
        foreach ($entry in $log) {
            $entry.hasAuthorization | Should -BeTrue
            $entry.tokenKind | Should -Be 'static'
        }
        (Get-EmulatorRequestLog | ConvertTo-Json -Depth 10) | Should -Not -Match ([regex]::Escape($e.Token))
    }

    It 'logs the request target as sent (rawUrl) next to the decoded url' {
        Clear-EmulatorRequestLog
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'standby')/operationresults/bm90LWlzc3VlZA%3D%3D?$apiVersion"
        $r.Status | Should -Be 404
        $entry = @(Get-EmulatorRequestLog)[-1]
        $entry.url | Should -BeLike '*/service/standby/operationresults/bm90LWlzc3VlZA==?api-version=2024-05-01'
        $entry.rawUrl | Should -BeLike '*/service/standby/operationresults/bm90LWlzc3VlZA%3D%3D?api-version=2024-05-01'
    }

    It 'answers a streak of <Kind>s on Location polls (when=before) without touching the operation, then polls go on normally' -TestCases @(
        @{ Kind = '500'; Code = 'InternalServerError' }
        @{ Kind = '503'; Code = 'ServiceUnavailable' }
    ) {
        param($Kind, $Code)
        $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container "streak-$Kind.apimbackup")
        $location = $post.Headers['Location'][0]
        Clear-EmulatorRequestLog
        $null = Add-EmulatorFault -Route operationresults -Kind $Kind -Count 3 -RetryAfterSeconds 1
        foreach ($i in 1..3) {
            $r = Invoke-ArmRequest -Url $location
            $r.Status | Should -Be ([int]$Kind)
            $r.Json.error.code | Should -Be $Code
            $r.Headers.ContainsKey('Location') | Should -BeFalse
        }
        (Invoke-EmulatorControl -Path 'faults').faults.Count | Should -Be 0
        $polls = Wait-Location $location
        $polls[0].Status | Should -BeIn 202, 200
        $polls[-1].Status | Should -Be 200
        @(Get-EmulatorRequestLog | Where-Object fault -eq "${Kind}:before").Count | Should -Be 3
    }

    It 'injects ARM''s own 403 AuthorizationFailed naming the caller, the action and the scope; on a poll the operation goes on' {
        $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'forbidden.apimbackup')
        $location = $post.Headers['Location'][0]
        $null = Add-EmulatorFault -Route operationresults -Kind 403
        $r = Invoke-ArmRequest -Url $location
        $r.Status | Should -Be 403
        $r.Json.error.code | Should -Be 'AuthorizationFailed'
        @($r.Json.error.PSObject.Properties.Name) | Should -Be @('code', 'message')
        $oid = @(Get-EmulatorRequestLog)[-1].principalId
        $oid | Should -Not -BeNullOrEmpty
        $r.Json.error.message | Should -BeExactly ("The client '$oid' with object id '$oid' does not have authorization to perform action " +
            "'Microsoft.ApiManagement/service/operationresults/read' over scope '$(([Uri]$location).AbsolutePath)' or the scope is invalid. " +
            'If access was recently granted, please refresh your credentials.')
        (Wait-Location $location)[-1].Status | Should -Be 200

        $null = Add-EmulatorFault -Route backup -Kind 403
        $r = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'forbidden-2.apimbackup')
        $r.Status | Should -Be 403
        $r.Json.error.message | Should -Match ([regex]::Escape("perform action 'Microsoft.ApiManagement/service/backup/action' over scope '$(([Uri](Get-ArmServiceUrl -Name 'standby')).AbsolutePath)'"))
        ((Invoke-EmulatorControl -Path 'services').services | Where-Object name -eq 'standby').activeOperationId | Should -BeNullOrEmpty
    }

    It 'answers a poll of an id it never issued, and the "404" fault on a poll, with the same 404 ResourceNotFound' {
        $unknown = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'standby')/operationresults/bm90LWlzc3VlZA==?$apiVersion"
        $unknown.Status | Should -Be 404
        $unknown.Body | Should -BeExactly '{"error":{"code":"ResourceNotFound","message":"Operation ''bm90LWlzc3VlZA=='' was not found."}}'
        $status = Invoke-ArmRequest -Url "$($e.ArmUrl)/subscriptions/$($e.SubscriptionId)/providers/Microsoft.ApiManagement/locations/westeurope/operationsStatus/bm90LWlzc3VlZA==?$apiVersion"
        $status.Status | Should -Be 404
        $status.Body | Should -BeExactly $unknown.Body

        $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'forgotten.apimbackup')
        $location = $post.Headers['Location'][0]
        $id = ([Uri]$location).AbsolutePath.Split('/')[-1]
        $null = Add-EmulatorFault -Route operationresults -Kind 404
        $r = Invoke-ArmRequest -Url $location
        $r.Status | Should -Be 404
        $r.Body | Should -BeExactly $unknown.Body.Replace('bm90LWlzc3VlZA==', $id)
        (Wait-Location $location)[-1].Status | Should -Be 200
    }

    It 'holds a request (hold, when=<When>) for the given seconds, then answers normally' -TestCases @(
        @{ When = 'before' }
        @{ When = 'after' }
    ) {
        param($When)
        Clear-EmulatorRequestLog
        $null = Add-EmulatorFault -Route service -Kind hold -Seconds 1.5 -When $When
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')?$apiVersion"
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.4
        $r.Status | Should -Be 200
        $r.Json.name | Should -Be 'prod'
        $entry = @(Get-EmulatorRequestLog)[-1]
        $entry.status | Should -Be 200
        $entry.fault | Should -Be "hold:$When"
    }

    It 'with a hold <When> processing, a backup POST <Outcome> while the client waits; a client that gives up is logged with status 0' -TestCases @(
        @{ When = 'after'; Outcome = 'has started' }
        @{ When = 'before'; Outcome = 'has not started' }
    ) {
        param($When)
        Clear-EmulatorRequestLog
        $null = Add-EmulatorFault -Route backup -Kind hold -Seconds 30 -When $When
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, "$(Get-ArmServiceUrl -Name 'standby' -Action backup)?$apiVersion")
        $null = $request.Headers.TryAddWithoutValidation('Authorization', "Bearer $($e.Token)")
        $request.Content = [System.Net.Http.StringContent]::new((New-BackupBody $container "held-$When.apimbackup" | ConvertTo-Json -Compress), [Text.Encoding]::UTF8, 'application/json')
        $client = [System.Net.Http.HttpClient]::new()
        $cancel = [Threading.CancellationTokenSource]::new()
        try {
            $pending = $client.SendAsync($request, $cancel.Token)
            # The fault is consumed when the request arrives: that is how a test knows it is in flight.
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((Invoke-EmulatorControl -Path 'faults').faults.Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Start-Sleep -Milliseconds 300
            $active = ((Invoke-EmulatorControl -Path 'services').services | Where-Object name -eq 'standby').activeOperationId
            if ($When -eq 'after') { $active | Should -Not -BeNullOrEmpty } else { $active | Should -BeNullOrEmpty }
            $pending.IsCompleted | Should -BeFalse
            $cancel.Cancel()
            { $pending.GetAwaiter().GetResult() } | Should -Throw
        } finally {
            $client.Dispose()
            $cancel.Dispose()
        }
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        do {
            Start-Sleep -Milliseconds 100
            $entry = @(Get-EmulatorRequestLog | Where-Object route -eq 'backup')
        } while ($entry.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline)
        $entry.Count | Should -Be 1
        $entry[0].method | Should -Be 'POST'
        $entry[0].status | Should -Be 0
        $entry[0].fault | Should -Be "hold:$When"
        if ($When -eq 'after') {
            $operation = @((Invoke-EmulatorControl -Path 'operations').operations | Where-Object { $_.service -eq 'standby' -and $_.id -eq $active })
            $operation.Count | Should -Be 1
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while (((Invoke-EmulatorControl -Path 'services').services | Where-Object name -eq 'standby').activeOperationId -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 200
            }
            @((Invoke-EmulatorControl -Path 'operations').operations | Where-Object id -eq $active)[0].state | Should -Be 'Succeeded'
        }
    }
}

Describe 'Emulator: a Location that changes on the first poll (locationChangesOnFirstPoll)' {
    BeforeAll { $null = Set-EmulatorSetting @{ locationChangesOnFirstPoll = $true } }
    AfterAll { $null = Set-EmulatorSetting @{ locationChangesOnFirstPoll = $false } }

    It 'hands out …//operationresults/… on the <Action> POST; every 202 poll carries the single-slash Location; both URLs keep answering' -TestCases @(
        @{ Action = 'backup' }
        @{ Action = 'restore' }
    ) {
        param($Action)
        Clear-EmulatorRequestLog
        $blob = if ($Action -eq 'backup') { 'double-slash.apimbackup' } else { $blobName }
        $post = Start-Action -Service 'standby' -Action $Action -Body (New-BackupBody $container $blob)
        $post.Status | Should -Be 202
        $doubled = $post.Headers['Location'][0]
        $doubled | Should -BeLike "$(Get-ArmServiceUrl -Name 'standby')//operationresults/*?api-version=2024-05-01"
        $single = $doubled.Replace('//operationresults/', '/operationresults/')

        $first = Invoke-ArmRequest -Url $doubled
        $first.Status | Should -Be 202
        $first.Body | Should -BeExactly ''
        $first.Headers['Location'][0] | Should -BeExactly $single
        $first.Headers['Retry-After'][0] | Should -Be '1'
        (Invoke-ArmRequest -Url $doubled).Headers['Location'][0] | Should -BeExactly $single
        $polls = Wait-Location $single
        foreach ($p in $polls | Where-Object Status -eq 202) { $p.Headers['Location'][0] | Should -BeExactly $single }
        $polls[-1].Status | Should -Be 200
        (Invoke-ArmRequest -Url $doubled).Status | Should -Be 200

        $log = @(Get-EmulatorRequestLog | Where-Object listener -eq 'arm')
        @($log | Where-Object { $_.method -eq 'POST' -and $_.route -eq $Action }).Count | Should -Be 1
        $doubledPath = $doubled.Substring($e.ArmUrl.Length)
        $polled = @($log | Where-Object route -eq 'operationresults')
        @($polled | Where-Object url -ceq $doubledPath).Count | Should -Be 3
        @($polled | Where-Object rawUrl -ceq $doubledPath).Count | Should -Be 3
        @($polled | Where-Object url -ceq $single.Substring($e.ArmUrl.Length)).Count | Should -Be $polls.Count
    }
}

Describe 'Emulator: service PUT (Azure-AsyncOperation style) and settings' {
    It 'creates a service with 201, Azure-AsyncOperation and Location naming one status URL that answers 200 InProgress then Succeeded' {
        $name = New-TestName 'svc'
        $r = Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name $name)?$apiVersion" -Body @{
            location = 'West Europe'; sku = @{ name = 'Developer'; capacity = 1 }
            identity = @{ type = 'SystemAssigned' }
            properties = @{ publisherEmail = 'ops@contoso.example'; publisherName = 'Contoso' } }
        $r.Status | Should -Be 201
        $r.Headers['Azure-AsyncOperation'][0] | Should -Be $r.Headers['Location'][0]
        $status = Invoke-ArmRequest -Url $r.Headers['Azure-AsyncOperation'][0]
        $status.Status | Should -Be 200
        $status.Json.status | Should -Be 'InProgress'
        Start-Sleep -Seconds 2.5
        (Invoke-ArmRequest -Url $r.Headers['Azure-AsyncOperation'][0]).Json.status | Should -Be 'Succeeded'
        $svc = Get-ArmService $name
        $svc.properties.provisioningState | Should -Be 'Succeeded'
        $svc.identity.type | Should -Be 'SystemAssigned'
        $svc.identity.principalId | Should -Not -BeNullOrEmpty
    }

    It 'applies operation duration and Retry-After settings to new operations' {
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 1; retryAfterSeconds = 3 }
        try {
            $post = Start-Action -Service 'standby' -Action backup -Body (New-BackupBody $container 'settings.apimbackup')
            $post.Headers['Retry-After'][0] | Should -Be '3'
            Start-Sleep -Seconds 1.5
            (Invoke-ArmRequest -Url $post.Headers['Location'][0]).Status | Should -Be 200
        } finally {
            $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
        }
    }
}

Describe 'Emulator: regions (a second Azurite, regional outages)' {
    BeforeAll {
        Assert-TestVariable 'APIMDR_TEST_REPLICA_ACCOUNT', 'APIMDR_TEST_REPLICA_KEY', 'APIMDR_TEST_REPLICA_BLOB_ENDPOINT', 'APIMDR_TEST_REPLICA_BLOB_SERVICE_URL'
        $script:west = $t.StorageLocation
        $script:north = $t.ReplicaLocation
        function script:New-ReplicaBody {
            param([string] $Container, [string] $Blob)
            return [ordered]@{ storageAccount = $t.ReplicaAccountName; containerName = $Container; backupName = $Blob; accessKey = $t.ReplicaKeyText }
        }
        function script:Get-ArmServiceIn {
            param([string] $Name)
            return Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name $Name)?$apiVersion"
        }
    }

    AfterEach {
        foreach ($r in @(Get-EmulatorRegion | Where-Object down)) { $null = Stop-EmulatorRegionOutage -Location $r.name }
    }

    It 'puts the seed''s services and storage accounts in regions; the replica account is in the second region''s own Azurite' {
        $west | Should -Be 'West Europe'
        $north | Should -Be 'North Europe'
        $regions = Get-EmulatorRegion
        $w = $regions | Where-Object name -eq $west
        $n = $regions | Where-Object name -eq $north
        $w.services | Should -Contain 'prod'
        $n.services | Should -Contain 'standby-ne'
        $w.storageAccounts.name | Should -Contain $t.StorageAccountName
        $n.storageAccounts.name | Should -Be @($t.ReplicaAccountName)
        $t.ReplicaBlobEndpoint | Should -Be "$($t.ReplicaBlobServiceUrl)/$($t.ReplicaAccountName)"
        $t.ReplicaBlobServiceUrl | Should -Not -Be $env:APIMDR_TEST_BLOB_SERVICE_URL
        # Two Azurites: each holds only its region's accounts (behind the emulator's gates, on different upstreams).
        @($w.storageAccounts.upstream | Select-Object -Unique).Count | Should -Be 1
        $n.storageAccounts[0].upstream | Should -Not -Be $w.storageAccounts[0].upstream
        (Get-ArmServiceIn 'standby-ne').Json.location | Should -Be $north
        (Get-ArmServiceIn 'standby-ne').Json.sku.name | Should -Be 'Premium'
    }

    It 'backs prod up into the replica account: the blob lands in the second Azurite, and restores into standby-ne from there' {
        $container = New-TestName 'rep'
        $post = Start-Action -Service 'prod' -Action backup -Body (New-ReplicaBody $container 'prod-replica.apimbackup')
        $post.Status | Should -Be 202
        (Wait-Location $post.Headers['Location'][0])[-1].Status | Should -Be 200
        $blob = Get-TestBlobContent -Container $container -Name 'prod-replica.apimbackup' -Account Replica
        $blob | Should -Not -BeNullOrEmpty
        ($blob | ConvertFrom-Json -Depth 20).sourceServiceId | Should -BeLike '*/service/prod'
        # Not in the first region's Azurite.
        Get-TestBlobContent -Container $container -Name 'prod-replica.apimbackup' | Should -BeNullOrEmpty
        # The failover restore: standby-ne (North Europe, Premium) from the replica account.
        $restore = Start-Action -Service 'standby-ne' -Action restore -Body (New-ReplicaBody $container 'prod-replica.apimbackup')
        $restore.Status | Should -Be 202
        (Wait-Location $restore.Headers['Location'][0])[-1].Status | Should -Be 200
        (ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name 'standby-ne')) | Should -Be (ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name 'prod'))
    }

    It 'takes a region down: its services'' ARM calls answer 503 ServiceUnavailable, the other region works, its storage refuses connections' {
        $container = New-TestName 'out'
        New-TestContainer -Name $container
        New-TestBlob -Container $container -Name 'before-outage.txt' -Content 'still here'
        # A backup of prod is running when the region goes down; its Location is polled during the outage.
        $running = Start-Action -Service 'prod' -Action backup -Body (New-ReplicaBody $container 'during.apimbackup')
        $running.Status | Should -Be 202
        (Test-LoopbackConnection $env:APIMDR_TEST_BLOB_SERVICE_URL) | Should -Be 'Connected'

        $outage = Start-EmulatorRegionOutage -Location $west
        $outage.down | Should -BeTrue
        $outage.outage.mode | Should -Be '503'
        $outage.storageAccounts | ForEach-Object { $_.reachable | Should -BeFalse }

        $get = Get-ArmServiceIn 'prod'
        $get.Status | Should -Be 503
        $get.Json.error.code | Should -Be 'ServiceUnavailable'
        $get.Json.error.message | Should -Match 'West Europe'
        $get.Headers['Retry-After'][0] | Should -Be '1'
        (Invoke-ArmRequest -Url $running.Headers['Location'][0]).Status | Should -Be 503
        (Start-Action -Service 'prod' -Action backup -Body (New-BackupBody $container 'x.apimbackup')).Status | Should -Be 503
        (Start-Action -Service 'prod-msi' -Action restore -Body (New-BackupBody $container 'x.apimbackup')).Status | Should -Be 503
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod')/apis?$apiVersion").Status | Should -Be 503
        (Invoke-ArmRequest -Url "$($e.ArmUrl)/subscriptions/$($e.SubscriptionId)/providers/Microsoft.ApiManagement/locations/westeurope/operationsStatus/x?$apiVersion").Status | Should -Be 503
        # Creating a service in the region is refused too (its location is in the body).
        (Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name 'new-in-west')?$apiVersion" -Body @{
            location = $west; sku = @{ name = 'Developer'; capacity = 1 }; properties = @{ publisherEmail = 'a@b.example'; publisherName = 'p' } }).Status | Should -Be 503

        # The other region is untouched.
        (Get-ArmServiceIn 'standby-ne').Status | Should -Be 200
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'standby')/apis?$apiVersion").Status | Should -Be 200
        (Test-LoopbackConnection $t.ReplicaBlobServiceUrl) | Should -Be 'Connected'
        # The region's storage refuses connections: a real refused TCP connection, and an Azurite call fails.
        (Test-LoopbackConnection $env:APIMDR_TEST_BLOB_SERVICE_URL) | Should -Be 'Refused'
        { Get-TestBlobContent -Container $container -Name 'before-outage.txt' } | Should -Throw

        # Every ARM request about the lost region after the outage began was refused, none processed.
        $after = @(Get-EmulatorRequestLog -Since $outage.outage.sequence | Where-Object listener -eq 'arm')
        $lost = @($after | Where-Object region -eq $west)
        $lost.Count | Should -Be 7
        $lost | ForEach-Object { $_.status | Should -Be 503; $_.fault | Should -Be 'outage' }
        @($after | Where-Object region -eq $north).Count | Should -Be 2
        @($after | Where-Object { $_.region -eq $north -and $_.status -ne 200 }).Count | Should -Be 0

        # Back up: the same port answers again, the blobs are still there, the services answer.
        $back = Stop-EmulatorRegionOutage -Location $west
        $back.down | Should -BeFalse
        (Test-LoopbackConnection $env:APIMDR_TEST_BLOB_SERVICE_URL) | Should -Be 'Connected'
        Get-TestBlobContent -Container $container -Name 'before-outage.txt' | Should -Be 'still here'
        (Get-ArmServiceIn 'prod').Status | Should -Be 200
        $null = Wait-Location $running.Headers['Location'][0]
    }

    It 'with -Mode reset, drops the connection of every ARM call about the region (logged with status 0)' {
        $outage = Start-EmulatorRegionOutage -Location 'westeurope' -Mode reset
        $outage.name | Should -Be $west
        $r = Get-ArmServiceIn 'prod'
        $r.Status | Should -Be 0
        (Get-ArmServiceIn 'standby').Status | Should -Be 200
        $entry = @(Get-EmulatorRequestLog -Since $outage.outage.sequence | Where-Object { $_.region -eq $west })[-1]
        $entry.status | Should -Be 0
        $entry.fault | Should -Be 'outage'
    }

    It 'fails a backup of a healthy region''s service at its last poll when the target storage''s region is down' {
        $container = New-TestName 'dead'
        $post = Start-Action -Service 'standby-ne' -Action backup -Body (New-BackupBody $container 'to-dead-region.apimbackup')
        $post.Status | Should -Be 202
        $null = Start-EmulatorRegionOutage -Location $west
        $last = (Wait-Location $post.Headers['Location'][0])[-1]
        $last.Status | Should -Be 500
        $last.Json.error.message | Should -Match 'devstoreaccount1'
    }
}

Describe 'Emulator: soft delete (deletedservices, undelete, purge, 48 h)' {
    BeforeAll {
        $script:deletedList = "$($e.ArmUrl)/subscriptions/$($e.SubscriptionId)/providers/Microsoft.ApiManagement/deletedservices?$apiVersion"
        function script:Get-DeletedUrl { param([string] $Name, [string] $Location = 'westeurope') "$($e.ArmUrl)/subscriptions/$($e.SubscriptionId)/providers/Microsoft.ApiManagement/locations/$Location/deletedservices/${Name}?$apiVersion" }
        function script:Remove-Service {
            param([string] $Name)
            $d = Invoke-ArmRequest -Method DELETE -Url "$(Get-ArmServiceUrl -Name $Name)?$apiVersion"
            $d.Status | Should -Be 202
            $polls = Wait-Location $d.Headers['Location'][0]
            $polls[-1].Status | Should -Be 200
            return $d
        }
        function script:New-Service {
            param([string] $Name)
            return Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name $Name)?$apiVersion" -Body @{
                location = 'West Europe'; sku = @{ name = 'Developer'; capacity = 1 }; properties = @{ publisherEmail = 'a@b.example'; publisherName = 'p' } }
        }
    }

    AfterAll {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }

    It 'answers DELETE with 202, the service (targetProvisioningState Deleting) and a Location; then lists it as deleted for 48 h' {
        $before = [DateTimeOffset]::Parse((Invoke-EmulatorControl -Path 'clock').now, [Globalization.CultureInfo]::InvariantCulture)
        $d = Remove-Service 'consumption'
        $d.Json.name | Should -Be 'consumption'
        $d.Json.properties.targetProvisioningState | Should -Be 'Deleting'
        $d.Headers['Location'][0] | Should -BeLike "$(Get-ArmServiceUrl -Name 'consumption')/operationresults/*?api-version=2024-05-01"
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'consumption')?$apiVersion").Status | Should -Be 404

        $list = Invoke-ArmRequest -Url $deletedList
        $list.Status | Should -Be 200
        $entry = @($list.Json.value | Where-Object name -eq 'consumption')
        $entry.Count | Should -Be 1
        $entry[0].type | Should -Be 'Microsoft.ApiManagement/deletedservices'
        $entry[0].location | Should -Be 'West Europe'
        $entry[0].id | Should -Be "/subscriptions/$($e.SubscriptionId)/providers/Microsoft.ApiManagement/locations/westeurope/deletedservices/consumption"
        $entry[0].properties.serviceId | Should -Be (Get-ApimServiceId 'consumption')
        $deleted = [DateTimeOffset]::Parse($entry[0].properties.deletionDate, [Globalization.CultureInfo]::InvariantCulture)
        $purge = [DateTimeOffset]::Parse($entry[0].properties.scheduledPurgeDate, [Globalization.CultureInfo]::InvariantCulture)
        $deleted | Should -BeGreaterOrEqual $before.AddSeconds(-1)
        ($purge - $deleted) | Should -Be ([TimeSpan]::FromHours(48))

        $one = Invoke-ArmRequest -Url (Get-DeletedUrl 'consumption')
        $one.Status | Should -Be 200
        $one.Json.properties.serviceId | Should -Be (Get-ApimServiceId 'consumption')
        $wrong = Invoke-ArmRequest -Url (Get-DeletedUrl 'consumption' -Location 'northeurope')
        $wrong.Status | Should -Be 404
        $wrong.Json.error.code | Should -Be 'ServiceNotFound'
    }

    It 'refuses a new service with a soft-deleted name: 409 ServiceAlreadyExistsInSoftDeletedState' {
        $r = New-Service 'consumption'
        $r.Status | Should -Be 409
        $r.Json.error.code | Should -Be 'ServiceAlreadyExistsInSoftDeletedState'
        $r.Json.error.message | Should -Match 'undelete the service or purge it'
    }

    It 'undeletes with PUT properties.restore=true: 201 Created/Activating, Azure-AsyncOperation InProgress then Succeeded, configuration intact' {
        $config = Get-EmulatorServiceConfiguration -Name 'prod-msi'
        $null = Remove-Service 'prod-msi'
        $u = Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name 'prod-msi')?$apiVersion" -Body @{ properties = @{ restore = $true } }
        $u.Status | Should -Be 201
        $u.Json.properties.provisioningState | Should -Be 'Created'
        $u.Json.properties.targetProvisioningState | Should -Be 'Activating'
        $status = $u.Headers['Azure-AsyncOperation'][0]
        $status | Should -BeLike "$(Get-ArmServiceUrl -Name 'prod-msi')/operationresults/*?api-version=2024-05-01&asyncResponse"
        $u.Headers['Location'][0] | Should -Be $status
        (Invoke-ArmRequest -Url $status).Json.status | Should -Be 'InProgress'
        Start-Sleep -Seconds 3
        (Invoke-ArmRequest -Url $status).Json.status | Should -Be 'Succeeded'
        $svc = Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'prod-msi')?$apiVersion"
        $svc.Status | Should -Be 200
        $svc.Json.properties.provisioningState | Should -Be 'Succeeded'
        $svc.Json.identity.principalId | Should -Be '0a5e11d0-7c3b-4e2a-9f1d-00000000a151'
        (ConvertTo-Canonical (Get-EmulatorServiceConfiguration -Name 'prod-msi')) | Should -Be (ConvertTo-Canonical $config)
        @((Invoke-ArmRequest -Url $deletedList).Json.value | Where-Object name -eq 'prod-msi').Count | Should -Be 0
        # Nothing left to undelete.
        (Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name 'never-deleted')?$apiVersion" -Body @{ properties = @{ restore = $true } }).Status | Should -Be 404
    }

    It 'purges with DELETE on the deletedservices URL: 202, the deleted service, a Location that answers 200; then 404 and the name is free' {
        $p = Invoke-ArmRequest -Method DELETE -Url (Get-DeletedUrl 'consumption')
        $p.Status | Should -Be 202
        $p.Json.type | Should -Be 'Microsoft.ApiManagement/deletedservices'
        $p.Json.properties.serviceId | Should -Be (Get-ApimServiceId 'consumption')
        $p.Headers['Location'][0] | Should -BeLike "$($e.ArmUrl)/subscriptions/$($e.SubscriptionId)/resourceGroups/$($e.ResourceGroup)/providers/Microsoft.ApiManagement/locations/westeurope/deletedservices/consumption/operationresults/*?api-version=2024-05-01"
        (Invoke-ArmRequest -Url $p.Headers['Location'][0]).Status | Should -Be 200
        $gone = Invoke-ArmRequest -Url (Get-DeletedUrl 'consumption')
        $gone.Status | Should -Be 404
        $gone.Json.error.code | Should -Be 'ServiceNotFound'
        (Invoke-ArmRequest -Method DELETE -Url (Get-DeletedUrl 'consumption')).Status | Should -Be 404
        (New-Service 'consumption').Status | Should -Be 201
    }

    It 'forgets a deleted service once 48 h of the emulator clock have passed (not at 47 h)' {
        $null = Remove-Service 'standby-v2'
        $null = Move-EmulatorClock -Hours 47
        (Invoke-ArmRequest -Url (Get-DeletedUrl 'standby-v2' -Location 'northeurope')).Status | Should -Be 200
        (New-Service 'standby-v2').Status | Should -Be 409
        $null = Move-EmulatorClock -Hours 1 -Seconds 1
        (Invoke-ArmRequest -Url (Get-DeletedUrl 'standby-v2' -Location 'northeurope')).Status | Should -Be 404
        @((Invoke-ArmRequest -Url $deletedList).Json.value | Where-Object name -eq 'standby-v2').Count | Should -Be 0
        (Invoke-ArmRequest -Method PUT -Url "$(Get-ArmServiceUrl -Name 'standby-v2')?$apiVersion" -Body @{ properties = @{ restore = $true } }).Status | Should -Be 404
        (New-Service 'standby-v2').Status | Should -Be 201
    }

    It 'is cleared by a reset, with outages: the seed''s services are back, nothing is deleted, every region is up' {
        $null = Remove-Service 'standby-standard'
        $null = Start-EmulatorRegionOutage -Location 'North Europe'
        (Test-LoopbackConnection $t.ReplicaBlobServiceUrl) | Should -Be 'Refused'
        Reset-Emulator
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'standby-standard')?$apiVersion").Status | Should -Be 200
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'standby')?$apiVersion").Status | Should -Be 200
        @((Invoke-ArmRequest -Url $deletedList).Json.value).Count | Should -Be 0
        @(Get-EmulatorRegion | Where-Object down).Count | Should -Be 0
        (Test-LoopbackConnection $t.ReplicaBlobServiceUrl) | Should -Be 'Connected'
        (Invoke-ArmRequest -Url "$(Get-ArmServiceUrl -Name 'consumption')?$apiVersion").Json.sku.name | Should -Be 'Consumption'
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
    }
}

Describe 'Emulator: start and stop of the pair' {
    It 'starts and stops Azurite + emulator from a fresh pwsh, listening only on 127.0.0.1, leaving no process' {
        $services = Join-Path $PSScriptRoot 'TestServices.psm1'
        $result = Invoke-PwshChild -Parameters @{ Services = $services } -ScriptBlock {
            param($Services)
            Import-Module $Services
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $logs = Join-Path ([IO.Path]::GetTempPath()) "apimdr-startstop-$PID"
            $s = Start-ApimDrTestServices -LogDirectory $logs
            $started = $sw.Elapsed.TotalSeconds
            # Listening sockets owned by our two processes, from /proc (Linux): inode → local address.
            $inodes = foreach ($p in $s.Processes) {
                Get-ChildItem "/proc/$($p.Id)/fd" -ErrorAction SilentlyContinue | ForEach-Object {
                    $target = $_.LinkTarget
                    if ($target -match '^socket:\[(\d+)\]$') { $Matches[1] }
                }
            }
            $listening = foreach ($file in '/proc/net/tcp', '/proc/net/tcp6') {
                Get-Content $file | Select-Object -Skip 1 | ForEach-Object {
                    $f = $_.Trim() -split '\s+'
                    if ($f[3] -eq '0A' -and $inodes -contains $f[9]) { $f[1].Split(':')[0] }
                }
            }
            $sw.Restart()
            Stop-ApimDrTestServices -Services $s
            $stopped = $sw.Elapsed.TotalSeconds
            Remove-Item -Recurse -Force $logs -ErrorAction SilentlyContinue
            [pscustomobject]@{
                Started   = $started
                Stopped   = $stopped
                Listening = @($listening)
                Alive     = @($s.Processes | Where-Object { Get-Process -Id $_.Id -ErrorAction SilentlyContinue }).Count
                CertDir   = Test-Path $s.Emulator.certDir
            }
        }
        Write-Host "    pair start $([math]::Round($result.Started, 2)) s, stop $([math]::Round($result.Stopped, 2)) s"
        # A hang guard, not a timing target (performance belongs in build.ps1 -Task Bench): a loaded 2-core machine took 17 s.
        ($result.Started + $result.Stopped) | Should -BeLessThan 90
        $result.Listening.Count | Should -BeGreaterOrEqual 3   # Azurite blob, emulator HTTPS, emulator http
        foreach ($address in $result.Listening) { $address | Should -BeIn @('0100007F', '0000000000000000FFFF00000100007F') }
        $result.Alive | Should -Be 0
        $result.CertDir | Should -BeFalse
    }

    It 'exits by itself (removing its certificate directory) when the --parent-pid process ends' {
        $dll = Join-Path $PSScriptRoot 'ApimDr.Emulator/bin/Release/net10.0/ApimDr.Emulator.dll'
        if (-not (Test-Path $dll)) { $dll = Join-Path $PSScriptRoot 'ApimDr.Emulator/bin/Debug/net10.0/ApimDr.Emulator.dll' }
        $parent = [System.Diagnostics.Process]::Start('sleep', '2')
        $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @($dll, '--parent-pid', "$($parent.Id)")) { $info.ArgumentList.Add($a) }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $emulator = [System.Diagnostics.Process]::Start($info)
        try {
            $null = $emulator.StandardError.ReadToEndAsync()
            $start = $emulator.StandardOutput.ReadLine() | ConvertFrom-Json
            Test-Path $start.certDir | Should -BeTrue
            $emulator.WaitForExit(10000) | Should -BeTrue
            $parent.HasExited | Should -BeTrue
            Test-Path $start.certDir | Should -BeFalse
        } finally {
            if (-not $emulator.HasExited) { $emulator.Kill($true) }
            if (-not $parent.HasExited) { $parent.Kill() }
        }
    }
}
