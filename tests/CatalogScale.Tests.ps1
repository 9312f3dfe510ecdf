#Requires -Modules Pester
# The catalog at scale (issue 20, item 3): Get-ApimBackup and Remove-ApimBackup read a container of a few hundred
# backups in one listing — each manifest's record rides on its blob metadata — and download only the manifests an
# earlier ApimDr wrote (no metadata), which still list with every field. Requests are counted by a loopback relay in
# front of Azurite (tests/StorageRequestCounter.cs). Not timed.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix scale
    Reset-Emulator
    $null = Set-EmulatorSetting @{ backupDurationSeconds = 0; retryAfterSeconds = 0 }
    New-TestContainer -Name $container
    $script:direct = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }

    # Two real backups (the write path: BackupCatalog.WriteManifestAsync at the start and for the recorded end).
    $script:real = @('real-1', 'real-2') | ForEach-Object { New-BackupName "$_-" }
    foreach ($name in $real) { $null = Backup-ApimService @prod -BackupName $name @direct @arm -ErrorAction Stop }

    # Generated: $withMetadata manifests as this version writes them, $old as an earlier version wrote them (JSON only).
    $script:withMetadata = 300
    $script:old = 12
    function script:New-Manifest([string] $Name, [int] $I) {
        $m = [ApimDr.ApimBackupManifest]::new()
        $m.BackupName = $Name
        $m.SourceServiceId = Get-ApimServiceId ('svc-{0}' -f ($I % 7))
        $m.SourceServiceName = 'svc-{0}' -f ($I % 7)
        $m.SourceSku = @('Developer', 'Premium', 'Standard')[$I % 3]
        $m.SourceCapacity = 1 + $I % 2
        $m.Location = 'West Europe'
        $m.StartTime = [DateTime]::UtcNow.AddMinutes(-10)
        $m.Status = @('Succeeded', 'Failed', 'InProgress')[$I % 3]
        if ($m.Status -ne 'InProgress') { $m.EndTime = $m.StartTime.AddMinutes(2) }
        $m.CorrelationId = [guid]::NewGuid().ToString()
        $m.ContentMd5 = 'q1Lq7m0i8bGmA9Vq1xM1Ug=='
        $m.Replicas = @("replica$I/backups")
        $m.FollowUps = @(if ($I % 5 -eq 0) { 'RecordEnd' })
        return $m
    }
    for ($i = 1; $i -le $withMetadata; $i++) { New-TestCatalogEntry -Container $container -Manifest (New-Manifest ('gen-{0:d4}.apimbackup' -f $i) $i) }
    for ($i = 1; $i -le $old; $i++) { New-TestCatalogEntry -Container $container -Manifest (New-Manifest ('old-{0:d4}.apimbackup' -f $i) $i) -WithoutMetadata }
    # The same record twice, once with metadata and once without: both must list the same.
    $script:twin = New-Manifest 'twin-meta.apimbackup' 4
    New-TestCatalogEntry -Container $container -Manifest $twin
    $twin.BackupName = 'twin-json.apimbackup'
    New-TestCatalogEntry -Container $container -Manifest $twin -WithoutMetadata
    $script:total = $real.Count + $withMetadata + $old + 2
    $script:manifestsWithoutMetadata = $old + 1

    $script:counter = Start-StorageRequestCounter
    $script:counted = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $counter.BlobEndpoint }
    $null = Get-ApimBackup @counted -BackupName 'nothing-*'   # a first request through the relay (connection set up), not counted
    $counter.Reset()
}

AfterAll {
    if ($counter) { $counter.Dispose() }
    Reset-Emulator
}

Describe 'The catalog in a handful of requests' {
    It 'writes every manifest with its record as blob metadata (what the listing reads)' {
        $listing = [xml](Invoke-AzuriteRequest -Method GET -Path "/$container" -Query "restype=container&comp=list&include=metadata&prefix=$($real[0])")
        $blob = @($listing.EnumerationResults.Blobs.Blob | Where-Object Name -eq "$($real[0]).apimdr.json")
        $blob.Count | Should -Be 1
        $value = $blob[0].Metadata.apimdrmanifest
        $value | Should -Match '^[A-Za-z0-9+/=]+$'
        $record = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($value)) | ConvertFrom-Json
        $json = Get-TestBlobContent -Container $container -Name "$($real[0]).apimdr.json" | ConvertFrom-Json
        $record.status | Should -Be 'Succeeded'   # the recorded end, rewritten with the manifest
        ($record | ConvertTo-Json -Compress) | Should -Be ($json | ConvertTo-Json -Compress)
    }

    It 'lists a few hundred backups with one list request, downloading only the manifests an earlier version wrote' {
        $counter.Reset()
        $b = @(Get-ApimBackup @counted -IncludeInProgress)
        $b.Count | Should -Be $total
        $requests = @($counter.Requests)
        $lists = @($requests | Where-Object { $_ -match '^GET [^?]+\?.*comp=list' })
        $gets = @($requests | Where-Object { $_ -notmatch 'comp=list' })
        $lists.Count | Should -Be 1   # ceil(blobs / 5000)
        $gets.Count | Should -Be $manifestsWithoutMetadata
        $gets | ForEach-Object { $_ | Should -Match '^GET /[^/]+/[^/]+/(old-\d{4}|twin-json)\.apimbackup\.apimdr\.json$' }
        $counter.Count | Should -Be (1 + $manifestsWithoutMetadata)
        @($b | Where-Object { -not $_.HasManifest }).Count | Should -Be 0
    }

    It 'lists a manifest from its metadata exactly as from its JSON, and old manifests with every field' {
        $b = @(Get-ApimBackup @counted -IncludeInProgress)
        $meta = $b | Where-Object BackupName -eq 'twin-meta.apimbackup'
        $json = $b | Where-Object BackupName -eq 'twin-json.apimbackup'
        foreach ($p in 'SourceServiceId', 'SourceServiceName', 'SourceSku', 'SourceCapacity', 'Status', 'StartTime', 'EndTime', 'CorrelationId', 'ContentMd5', 'HasManifest', 'HasSnapshot', 'ActiveRestores', 'SizeBytes') {
            $meta.$p | Should -Be $json.$p -Because $p
        }
        $meta.Replicas | Should -Be $json.Replicas
        $meta.FollowUps | Should -Be $json.FollowUps
        $meta.Manifest.BackupName = $json.Manifest.BackupName
        ($meta.Manifest | ConvertTo-Json -Compress) | Should -Be ($json.Manifest | ConvertTo-Json -Compress)

        $o = $b | Where-Object BackupName -eq 'old-0004.apimbackup'
        $o.SourceServiceName | Should -Be 'svc-4'
        $o.SourceSku | Should -Be 'Premium'
        $o.SourceCapacity | Should -Be 1
        $o.Status | Should -Be 'Failed'
        $o.Replicas | Should -Be @('replica4/backups')
        $o.HasManifest | Should -BeTrue
        $g = $b | Where-Object BackupName -eq 'gen-0007.apimbackup'
        $g.SourceServiceName | Should -Be 'svc-0'
        $g.SourceSku | Should -Be 'Premium'
        $g.SourceCapacity | Should -Be 2
        $g.Status | Should -Be 'Failed'
        $g.Replicas | Should -Be @('replica7/backups')
    }

    It 'Remove-ApimBackup retention: one listing, the old manifests, then three deletes per backup removed' {
        $counter.Reset()
        $removed = @(Remove-ApimBackup @counted -BackupNamePattern 'gen-000*' -Force -PassThru)
        $removed.Count | Should -Be 9
        $counter.Count | Should -Be (1 + $manifestsWithoutMetadata + 3 * $removed.Count)
        @($counter.Requests | Where-Object { $_ -like 'DELETE *' }).Count | Should -Be (3 * $removed.Count)
        @(Get-ApimBackup @direct -IncludeInProgress).Count | Should -Be ($total - 9)
    }
}
