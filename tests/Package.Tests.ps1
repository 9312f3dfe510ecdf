#Requires -Modules Pester
# The packages of build.ps1 -Task Package as users get them: Install-PSResource from the local repository
# (out/packages), import BY NAME in a fresh pwsh, help, one backup against the emulator; the Automation zip.
BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix pkg
    if (-not $env:APIMDR_TEST_PACKAGE_DIR) { throw "APIMDR_TEST_PACKAGE_DIR is not set: run the suites through 'dotnet pwsh ./build.ps1 -Task Test'." }
    $script:packageDir = $env:APIMDR_TEST_PACKAGE_DIR
    $script:version = (Test-ModuleManifest -Path $t.ModulePath -ErrorAction Stop).Version.ToString()
    $script:temp = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'pkg')
    # On Linux and macOS PSResourceGet installs CurrentUser modules under $HOME/.local/share/powershell/Modules and
    # keeps its repositories under XDG_DATA_HOME (else $HOME/.local/share); pwsh's user module path follows
    # XDG_DATA_HOME. The children get a temporary HOME and XDG_DATA_HOME, so registering and installing never touch
    # the user's own. The folder must exist: .NET answers "" for a missing LocalApplicationData, and PSResourceGet
    # would then keep its repositories under the current directory.
    $script:homeDir = Join-Path $temp 'home'
    $script:dataHome = Join-Path $homeDir '.local/share'
    $null = New-Item -ItemType Directory -Force -Path $dataHome
    $script:userPaths = @(
        (Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'PSResourceGet/PSResourceRepository.xml'),
        (Join-Path $HOME '.local/share/powershell/Modules/ApimDr'),
        (Join-Path (Get-Location) 'PSResourceGet'))
    function script:Get-UserState { $userPaths | ForEach-Object { if (Test-Path $_ -PathType Leaf) { (Get-FileHash $_).Hash } else { Test-Path $_ } } }
    $script:userStateBefore = Get-UserState
    # Any request beyond loopback (PSGallery, a dependency lookup) would go to this proxy, which nobody may use.
    $script:proxy = New-TrapListener

    function script:Invoke-PackageChild {
        <# Invoke-PwshChild with the temporary XDG_DATA_HOME (and -Proxy: the trap as proxy) set for the child only. #>
        param([scriptblock] $ScriptBlock, [hashtable] $Parameters = @{}, [switch] $Proxy)
        $environment = @{ HOME = $homeDir; XDG_DATA_HOME = $dataHome }
        if ($Proxy) { foreach ($name in 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy') { $environment[$name] = "http://$($proxy.Authority)" } }
        $saved = @{}
        foreach ($name in $environment.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $environment[$name]) }
        try { return Invoke-PwshChild -ScriptBlock $ScriptBlock -Parameters $Parameters }
        finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
    }

    $script:install = Invoke-PackageChild -Proxy -Parameters @{ PackageDir = $packageDir; Version = $version } -ScriptBlock {
        param($PackageDir, $Version)
        $ErrorActionPreference = 'Stop'
        Register-PSResourceRepository -Name ApimDrLocal -Uri $PackageDir -Trusted
        $installed = Install-PSResource -Name ApimDr -Version $Version -Repository ApimDrLocal -Scope CurrentUser -TrustRepository -Quiet -PassThru
        [pscustomobject]@{
            Name         = $installed.Name
            Version      = "$($installed.Version)"
            Location     = $installed.InstalledLocation
            Repositories = @(Get-PSResourceRepository | ForEach-Object Name)
        }
    }
    $script:installedDir = Join-Path $dataHome "powershell/Modules/ApimDr/$version"
}

AfterAll {
    $proxy.Stop()
    Remove-Item -Recurse -Force $temp -ErrorAction SilentlyContinue
}

Describe 'The nupkg (Install-PSResource from out/packages)' {
    It 'is versioned and holds the module with LICENSE and the help' {
        $nupkg = Join-Path $packageDir "ApimDr.$version.nupkg"
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg)
        try { $entries = @($zip.Entries | ForEach-Object FullName) } finally { $zip.Dispose() }
        foreach ($file in 'ApimDr.psd1', 'ApimDr.dll', 'net472/ApimDr.dll', 'Dependencies/ApimDr.Engine.dll', 'LICENSE',
            'en-US/ApimDr.dll-Help.xml', 'net472/en-US/ApimDr.dll-Help.xml', 'en-US/about_ApimDr.help.txt') {
            $entries | Should -Contain $file
        }
    }

    It 'installs into the temporary module path in the ApimDr/<version> layout, contacting nothing beyond loopback' {
        $install.Name | Should -Be 'ApimDr'
        $install.Version | Should -Be $version
        $install.Repositories | Should -Contain 'ApimDrLocal'
        foreach ($file in 'ApimDr.psd1', 'LICENSE', 'en-US/ApimDr.dll-Help.xml', 'net472/en-US/ApimDr.dll-Help.xml', 'en-US/about_ApimDr.help.txt') {
            Join-Path $installedDir $file | Should -Exist
        }
        $proxy.Pending() | Should -BeFalse -Because 'no request went to PSGallery or anywhere else off the machine'
    }

    It 'leaves the user''s own PSResourceGet repositories and module path alone' {
        Get-UserState | Should -Be $userStateBefore
        Join-Path $dataHome 'PSResourceGet/PSResourceRepository.xml' | Should -Exist
    }

    It 'carries ReleaseNotes from CHANGELOG.md and no invented LicenseUri or ProjectUri' {
        $psData = (Test-ModuleManifest -Path (Join-Path $installedDir 'ApimDr.psd1') -ErrorAction Stop).PrivateData.PSData
        $psData.ReleaseNotes | Should -Match 'First release'
        (Get-Content -Raw (Join-Path (Split-Path $PSScriptRoot) 'CHANGELOG.md')) | Should -Match ([regex]::Escape(($psData.ReleaseNotes -split '\r?\n')[0]))
        $psData.Keys | Should -Not -Contain 'LicenseUri'
        $psData.Keys | Should -Not -Contain 'ProjectUri'
    }

    It 'imports BY NAME in a fresh pwsh, from the installed copy, with full help' {
        $r = Invoke-PackageChild -ScriptBlock {
            Import-Module ApimDr -ErrorAction Stop
            [pscustomobject]@{
                ModuleBase = (Get-Module ApimDr).ModuleBase
                Examples   = Get-Help Backup-ApimService -Examples | Out-String -Width 200
                Full       = Get-Help Restore-ApimService -Full | Out-String -Width 200
                Parameters = @(Get-Help Restore-ApimService -Full).parameters.parameter | ForEach-Object { [pscustomobject]@{ Name = $_.name; Text = ($_.description | ForEach-Object Text) -join ' ' } }
                About      = Get-Help about_ApimDr | Out-String
            }
        }
        $r.ModuleBase | Should -Be $installedDir
        $r.Examples | Should -Match 'Example 3'
        $r.Examples | Should -Match 'Get-AzApiManagement'
        $r.Full | Should -Match 'Restores an API Management backup'
        $r.Full | Should -Match 'pre-flight'
        $r.Full | Should -Match 'Example 1'
        @($r.Parameters).Count | Should -BeGreaterThan 10
        @($r.Parameters | Where-Object { -not $_.Text }) | Should -BeNullOrEmpty
        $r.About | Should -Match 'Authentication order'
    }

    It 'backs up against the emulator from the installed copy' {
        Reset-Emulator
        $null = Set-EmulatorSetting @{ operationDurationSeconds = 2; retryAfterSeconds = 1 }
        $name = New-BackupName
        # The child reads the key and the token from its environment (inherited): never from a file.
        $r = Invoke-PackageChild -Parameters @{ Container = $container; BackupName = $name } -ScriptBlock {
            param($Container, $BackupName)
            Import-Module ApimDr -ErrorAction Stop
            $op = Backup-ApimService -SubscriptionId $env:APIMDR_TEST_SUBSCRIPTION_ID -ResourceGroupName $env:APIMDR_TEST_RESOURCE_GROUP -Name prod `
                -StorageAccountName $env:APIMDR_TEST_STORAGE_ACCOUNT -ContainerName $Container -BlobEndpoint $env:APIMDR_TEST_BLOB_ENDPOINT -BackupName $BackupName `
                -StorageAccountKey (ConvertTo-SecureString $env:APIMDR_TEST_STORAGE_KEY -AsPlainText -Force) `
                -ResourceManagerUrl $env:APIMDR_TEST_ARM_URL -AccessToken (ConvertTo-SecureString $env:APIMDR_TEST_ARM_TOKEN -AsPlainText -Force)
            [pscustomobject]@{ Status = $op.Status; BackupName = $op.BackupName; Dll = (Get-Command Backup-ApimService).DLL }
        }
        $r.Status | Should -Be 'Succeeded'
        $r.BackupName | Should -Be $name
        $r.Dll | Should -Be (Join-Path $installedDir 'ApimDr.dll')
        (Get-ApimBackup -StorageAccountName $t.StorageAccountName -ContainerName $container -StorageAccountKey $t.StorageKey -BlobEndpoint $t.BlobEndpoint -BackupName $name).SourceServiceId |
            Should -Be (Get-ApimServiceId 'prod')
    }
}

Describe 'The Azure Automation zip (out/packages/ApimDr.zip)' {
    It 'expands to one folder, ApimDr, that passes Test-ModuleManifest and holds LICENSE and the help' {
        $expanded = Join-Path $temp 'automation'
        Expand-Archive -Path (Join-Path $packageDir 'ApimDr.zip') -DestinationPath $expanded
        @(Get-ChildItem $expanded | ForEach-Object Name) | Should -Be @('ApimDr')
        $manifest = Test-ModuleManifest -Path (Join-Path $expanded 'ApimDr/ApimDr.psd1')
        $manifest.Name | Should -Be 'ApimDr'
        $manifest.Version | Should -Be ([version]$version)
        foreach ($file in 'LICENSE', 'en-US/ApimDr.dll-Help.xml', 'net472/en-US/ApimDr.dll-Help.xml', 'en-US/about_ApimDr.help.txt', 'Dependencies/ApimDr.Engine.dll') {
            Join-Path $expanded "ApimDr/$file" | Should -Exist
        }
    }
}
