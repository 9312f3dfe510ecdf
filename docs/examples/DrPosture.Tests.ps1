<#
A Pester check of the DR posture to adapt: every service in the container has a backup within the RPO target,
a verified replica in the second region, a passed Test-ApimBackup within the test target, and enough
restorable life left. Storage reads only (Get-ApimDrStatus). Run it with your own values:

    $data = @{ Posture = @{ StorageAccountName = 'drstoreweu'; ContainerName = 'apim'
                            ReplicaStorageAccountName = 'drstorenoe'; ReplicaContainerName = 'apim'
                            MaxBackupAge = '1.02:00:00'; MaxTestAge = '8.00:00:00'; MinRestorableDays = 7 } }
    Invoke-Pester -Container (New-PesterContainer -Path ./DrPosture.Tests.ps1 -Data $data) -Output Detailed

Optional keys: StorageAccountKey, BlobEndpoint, ReplicaStorageAccountKey, ReplicaBlobEndpoint, ServiceName.
Without ReplicaStorageAccountName no replica is required.
#>
param([Parameter(Mandatory)][hashtable] $Posture)

BeforeAll {
    Import-Module ApimDr -ErrorAction SilentlyContinue
    $script:query = @{}
    foreach ($k in 'StorageAccountName', 'ContainerName', 'StorageAccountKey', 'BlobEndpoint', 'ReplicaStorageAccountName', 'ReplicaContainerName',
        'ReplicaStorageAccountKey', 'ReplicaBlobEndpoint', 'ServiceName', 'MinRestorableDays') {
        if ($null -ne $Posture[$k]) { $query[$k] = $Posture[$k] }
    }
    foreach ($k in 'MaxBackupAge', 'MaxTestAge') { if ($Posture[$k]) { $query[$k] = [timespan]$Posture[$k] } }
    if ($Posture.ReplicaStorageAccountName) { $query.RequireReplica = $true }
    $script:rows = @(Get-ApimDrStatus @query)
}

Describe 'APIM DR posture' {
    It 'knows at least one service with backups' {
        $rows.Count | Should -BeGreaterThan 0
    }

    It 'meets every target for every service' {
        $issues = @($rows | Where-Object { -not $_.IsHealthy } | ForEach-Object { "$($_.SourceServiceName): $($_.Issues -join '; ')" })
        $issues | Should -BeNullOrEmpty
    }
}
