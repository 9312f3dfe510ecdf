#Requires -Modules Pester
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:t = Get-TestEnvironment
    $script:moduleDir = Split-Path $t.ModulePath
}

Describe 'The built module folder' {
    It 'has a manifest that passes Test-ModuleManifest' {
        $m = Test-ModuleManifest -Path $t.ModulePath
        $m.Name | Should -Be 'ApimDr'
        $m.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        # PowerShell 7 reads the Core branch (7.4: ApimDr.dll is net8.0); Windows PowerShell 5.1 the other (not runnable here: checked as text).
        $m.PowerShellVersion | Should -Be ([version]'7.4')
        (Get-Content -Raw $t.ModulePath) | Should -Match ([regex]::Escape("PowerShellVersion      = if (`$PSEdition -eq 'Core') { '7.4' } else { '5.1' }"))
    }

    It 'refuses a PowerShell 7 older than its minimum with PowerShell''s own message, before any ApimDr assembly is loaded' {
        # This PowerShell (7.6) stands in for an older one (7.2, .NET 6): the copy's Core minimum is raised above the running version.
        $copy = Join-Path $TestDrive 'old-pwsh/ApimDr'
        $null = New-Item -ItemType Directory -Force -Path $copy
        Copy-Item -Recurse -Path (Join-Path $moduleDir '*') -Destination $copy
        $manifest = Join-Path $copy 'ApimDr.psd1'
        $newer = "$($PSVersionTable.PSVersion.Major + 1).0"
        $text = Get-Content -Raw $manifest
        $raised = $text.Replace("{ '7.4' } else { '5.1' }", "{ '$newer' } else { '5.1' }")
        $raised | Should -Not -Be $text
        Set-Content -Path $manifest -Value $raised -NoNewline
        $r = Invoke-PwshChild -Parameters @{ Path = $manifest } -ScriptBlock {
            param($Path)
            $message = try { Import-Module $Path -ErrorAction Stop; 'imported' } catch { "$_" }
            # PowerShell itself maps the root module's file while it reads the manifest (metadata only: no ApimDr code runs);
            # nothing the module needs is loaded and no cmdlet exists.
            [pscustomobject]@{ Message = $message; Module = @(Get-Module ApimDr).Count; Commands = @(Get-Command -Module ApimDr -ErrorAction SilentlyContinue).Count
                Loaded = @([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $_.GetName().Name } | Where-Object { $_ -like 'ApimDr.*' -or $_ -like 'Azure.*' }) }
        }
        $r.Message | Should -Match ([regex]::Escape("requires a minimum PowerShell version of '$newer'"))
        $r.Module | Should -Be 0
        $r.Commands | Should -Be 0
        $r.Loaded | Should -BeNullOrEmpty
    }

    It 'names the binary module for the edition as its root module, no script module in between (import cost, docs/benchmarks.md)' {
        (Test-ModuleManifest -Path $t.ModulePath).RootModule | Should -Be 'ApimDr.dll'
        # Windows PowerShell 5.1 takes the other branch (not runnable here): its dll must be where that branch says.
        (Get-Content -Raw $t.ModulePath) | Should -Match ([regex]::Escape("RootModule             = if (`$PSEdition -eq 'Core') { 'ApimDr.dll' } else { 'net472/ApimDr.dll' }"))
        Join-Path $moduleDir 'net472/ApimDr.dll' | Should -Exist
        Get-ChildItem -Path $moduleDir -Filter *.psm1 | Should -BeNullOrEmpty
        $type = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath } -ScriptBlock { param($Path) Import-Module $Path; "$((Get-Module ApimDr).ModuleType)" }
        $type | Should -Be 'Binary'
    }

    It 'carries the version of Directory.Build.props (the one version source) in the manifest and the dlls' {
        [xml] $props = Get-Content -Raw (Join-Path (Split-Path $PSScriptRoot) 'Directory.Build.props')
        $version = [version]$props.SelectSingleNode('/Project/PropertyGroup/Version').InnerText
        (Get-Content -Raw $t.ModulePath) | Should -Match ("ModuleVersion\s*=\s*'" + [regex]::Escape($version.ToString()) + "'")
        (Test-ModuleManifest -Path $t.ModulePath).Version | Should -Be $version
        foreach ($dll in 'ApimDr.dll', 'net472/ApimDr.dll', 'Dependencies/ApimDr.Engine.dll') {
            [Reflection.AssemblyName]::GetAssemblyName((Join-Path $moduleDir $dll)).Version.ToString(3) | Should -Be $version.ToString(3) -Because $dll
        }
    }

    It 'keeps Azure, MSAL and System.* dlls out of the module root (only in Dependencies/); the public types beside the manifest, never isolated' {
        $rootDlls = Get-ChildItem -Path $moduleDir -Filter *.dll | ForEach-Object Name | Sort-Object
        $rootDlls | Should -Be @('ApimDr.dll', 'ApimDr.Model.dll')
        (Get-ChildItem -Path (Join-Path $moduleDir 'Dependencies') -Filter 'ApimDr.Model.dll') | Should -BeNullOrEmpty
        $deps = Get-ChildItem -Path (Join-Path $moduleDir 'Dependencies') -Filter *.dll | ForEach-Object Name
        $deps | Should -Contain 'ApimDr.Engine.dll'
        $deps | Should -Contain 'Azure.Core.dll'
        $deps | Should -Contain 'Azure.Identity.dll'
        $deps | Should -Contain 'Azure.Storage.Blobs.dll'
        $deps | Should -Contain 'Microsoft.Identity.Client.dll'
        (Get-ChildItem -Path (Join-Path $moduleDir 'net472') -Filter *.dll | ForEach-Object Name) | Should -Be @('ApimDr.dll')
    }

    It 'exports exactly the manifest''s CmdletsToExport, each with an OutputType' {
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath } -ScriptBlock {
            param($Path)
            Import-Module $Path
            $manifest = @{ CmdletsToExport = @((Test-ModuleManifest -Path $Path -ErrorAction Stop).ExportedCmdlets.Keys) }
            [pscustomobject]@{
                Exported    = @(Get-Command -Module ApimDr | ForEach-Object Name | Sort-Object)
                Manifest    = @($manifest.CmdletsToExport | Sort-Object)
                NoOutput    = @(Get-Command -Module ApimDr | Where-Object { $_.OutputType.Count -eq 0 } | ForEach-Object Name)
                Functions   = @((Get-Module ApimDr).ExportedFunctions.Keys)
            }
        }
        $r.Exported | Should -Be $r.Manifest
        $r.NoOutput | Should -BeNullOrEmpty
        $r.Functions | Should -BeNullOrEmpty
    }

    It 'keeps every cmdlet class at most two levels below PSCmdlet (what they share is composed, docs/design.md)' {
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath } -ScriptBlock {
            param($Path)
            Import-Module $Path
            foreach ($c in Get-Command -Module ApimDr) {
                $depth = 0
                for ($type = $c.ImplementingType; $type -ne [System.Management.Automation.PSCmdlet]; $type = $type.BaseType) { $depth++ }
                [pscustomobject]@{ Name = $c.Name; Depth = $depth }
            }
        }
        @($r).Count | Should -BeGreaterThan 5
        foreach ($c in $r) { $c.Depth | Should -BeLessOrEqual 2 -Because $c.Name }
    }

    It 'loads no Azure assembly and not the engine at import (they load lazily on first use)' {
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath } -ScriptBlock {
            param($Path)
            Import-Module $Path
            [AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $_.GetName().Name } |
                Where-Object { $_ -like 'Azure.*' -or $_ -like 'Microsoft.Identity*' -or $_ -eq 'ApimDr.Engine' }
        }
        $r | Should -BeNullOrEmpty
    }

    It 'completes -Environment with the three clouds' {
        $r = Invoke-PwshChild -Parameters @{ Path = $t.ModulePath } -ScriptBlock {
            param($Path)
            Import-Module $Path
            $line = 'Get-ApimBackup -Environment Azure'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        }
        $r | Should -Be @('AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment')
    }
}
