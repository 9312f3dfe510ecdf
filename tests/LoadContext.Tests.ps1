#Requires -Modules Pester
# ApimDr must work whether an older Azure.Core (as Az.Accounts ships) was loaded before it, after
# it, or not at all. Each case runs in its own fresh pwsh.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:t = Get-TestEnvironment
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $script:oldAzureCore = Get-ChildItem -Path (Join-Path $nugetRoot 'azure.core/1.38.0/lib') -Recurse -Filter Azure.Core.dll |
        Where-Object { $_.Directory.Name -like 'net6*' -or $_.Directory.Name -like 'net8*' } | Select-Object -First 1 -ExpandProperty FullName
    $script:container = New-TestName 'alc'
    New-TestContainer -Name $container
    New-TestBlob -Container $container -Name 'prod-1.apimbackup' -SizeBytes 10
    $script:common = @{
        Path = $t.ModulePath; OldCore = $oldAzureCore; Endpoint = $t.BlobEndpoint
        Account = $t.StorageAccountName; Key = $t.StorageKeyText; Container = $container
    }
    # Run inside the child: list backups, then describe every Azure.Core loaded and where.
    $script:probe = {
        param($Path, $OldCore, $Endpoint, $Account, $Key, $Container, [string] $Order)
        $ErrorActionPreference = 'Stop'
        $key = ConvertTo-SecureString $Key -AsPlainText -Force
        if ($Order -eq 'Before') { Add-Type -Path $OldCore }
        Import-Module $Path
        if ($Order -eq 'AfterImport') { Add-Type -Path $OldCore }
        $first = @(Get-ApimBackup -StorageAccountName $Account -ContainerName $Container -StorageAccountKey $key -BlobEndpoint $Endpoint)
        if ($Order -eq 'AfterUse') { Add-Type -Path $OldCore }
        $second = @(Get-ApimBackup -StorageAccountName $Account -ContainerName $Container -StorageAccountKey $key -BlobEndpoint $Endpoint)
        [pscustomobject]@{
            Names  = @($first.BackupName) + @($second.BackupName)
            Loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Azure.Core' } | ForEach-Object {
                    [pscustomobject]@{
                        Version  = $_.GetName().Version.ToString()
                        Location = $_.Location
                        Context  = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name
                    }
                })
            # The public record types: loaded once, in the default context, the same type the engine returns.
            ModelContexts = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'ApimDr.Model' } |
                ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name })
            BackupType = @($first)[0].GetType().AssemblyQualifiedName
            EngineContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(
                ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'ApimDr.Engine' })).Name
        }
    }
}

Describe 'Assembly isolation from other Azure.Core versions' {
    It 'finds the restored Azure.Core 1.38.0 to compete with' {
        $oldAzureCore | Should -Exist
    }

    It 'works with Azure.Core 1.38.0 loaded BEFORE Import-Module' {
        $r = Invoke-PwshChild -ScriptBlock $probe -Parameters ($common + @{ Order = 'Before' })
        $r.Names | Should -Be @('prod-1.apimbackup', 'prod-1.apimbackup')
        ($r.Loaded | Where-Object Version -eq '1.38.0.0').Context | Should -Be 'Default'
        $ours = $r.Loaded | Where-Object Context -eq 'ApimDr'
        $ours.Version | Should -Be '1.64.0.0'
        $r.ModelContexts | Should -Be @('Default')
    }

    It 'works with Azure.Core 1.38.0 loaded AFTER Import-Module' {
        $r = Invoke-PwshChild -ScriptBlock $probe -Parameters ($common + @{ Order = 'AfterImport' })
        $r.Names | Should -Be @('prod-1.apimbackup', 'prod-1.apimbackup')
        @($r.Loaded).Count | Should -Be 2
    }

    It 'works with Azure.Core 1.38.0 loaded after ApimDr already used its own copy' {
        $r = Invoke-PwshChild -ScriptBlock $probe -Parameters ($common + @{ Order = 'AfterUse' })
        $r.Names | Should -Be @('prod-1.apimbackup', 'prod-1.apimbackup')
        @($r.Loaded).Count | Should -Be 2
    }

    It 'uses the 1.64 copy from Dependencies/ in its private load context' {
        $r = Invoke-PwshChild -ScriptBlock $probe -Parameters ($common + @{ Order = 'None' })
        $r.EngineContext | Should -Be 'ApimDr'
        # The public record types are NOT isolated: one ApimDr.Model, in the default context, from the module root.
        $r.ModelContexts | Should -Be @('Default')
        $r.BackupType | Should -BeLike 'ApimDr.ApimBackup, ApimDr.Model,*'
        @($r.Loaded).Count | Should -Be 1
        $r.Loaded[0].Version | Should -Be '1.64.0.0'
        $r.Loaded[0].Context | Should -Be 'ApimDr'
        $r.Loaded[0].Location | Should -Be (Join-Path (Split-Path $t.ModulePath) 'Dependencies/Azure.Core.dll')
    }
}
