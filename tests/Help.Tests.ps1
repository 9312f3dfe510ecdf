#Requires -Modules Pester
# Drift checks: the help built from docs/en-US (tools/HelpGen) against the cmdlets as they really are.
BeforeDiscovery {
    $cmdlets = @((Test-ModuleManifest -Path $env:APIMDR_TEST_MODULE_PATH -ErrorAction Stop).ExportedCmdlets.Keys | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix help
    $script:moduleDir = Split-Path $t.ModulePath
    $script:docsDir = Join-Path (Split-Path $PSScriptRoot) 'docs/en-US'
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters
    $script:apimDr = @{}
    foreach ($c in Get-Command -Module ApimDr) { $apimDr[$c.Name] = $c }

    function script:Get-ParameterNames([string] $Name) {
        <# Get-Command's parameters without the common ones (-WhatIf/-Confirm stay: they are documented per cmdlet). #>
        @($apimDr[$Name].Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
    }

    function script:Get-HelpText($Description) { (@($Description | ForEach-Object Text) -join "`n").Trim() }

    function script:Get-ExampleProblem([string] $Code) {
        <# What is wrong with an example: parse errors, or a parameter that no ApimDr cmdlet it calls has (names and aliases, exact). #>
        $tokens = $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        if ($errors) { return @($errors | ForEach-Object { "parse: $($_.Message)" }) }
        foreach ($call in $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $command = $apimDr[[string]$call.GetCommandName()]
            if (-not $command) { continue }   # Get-AzApiManagement, Export-Clixml…: not ours to check
            $known = @($command.Parameters.Values | ForEach-Object { $_.Name; $_.Aliases })
            foreach ($p in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                if ($p.ParameterName -notin $known) { "$($command.Name) has no parameter -$($p.ParameterName)" }
            }
        }
    }
}

Describe 'Help (docs/en-US built into MAML) for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:help = Get-Help $Name -Full
    }

    It 'documents exactly the parameters Get-Command shows (none missing, none stale)' {
        @($help.parameters.parameter.name | Sort-Object) | Should -Be (Get-ParameterNames $Name)
    }

    It 'has a description for every parameter' {
        $undescribed = @($help.parameters.parameter | Where-Object { -not (Get-HelpText $_.description) } | ForEach-Object name)
        $undescribed | Should -BeNullOrEmpty
    }

    It 'has a synopsis, a description, inputs, outputs, notes and related links' {
        # Without MAML, Get-Help's synopsis is the syntax line.
        $help.Synopsis | Should -Not -Match ([regex]::Escape("$Name "))
        $help.Synopsis | Should -Not -BeNullOrEmpty
        Get-HelpText $help.description | Should -Not -BeNullOrEmpty
        @($help.inputTypes.inputType).Count | Should -BeGreaterThan 0
        @($help.returnValues.returnValue).Count | Should -BeGreaterThan 0
        Get-HelpText $help.alertSet.alert | Should -Not -BeNullOrEmpty
        @($help.relatedLinks.navigationLink.linkText) | Should -Contain 'about_ApimDr'
    }

    It 'has at least 3 examples, each calling the cmdlet, parsing, and using only parameters the ApimDr cmdlets have' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 3
        foreach ($example in $examples) {
            $example.code | Should -Match ([regex]::Escape($Name)) -Because $example.title
            Get-ExampleProblem $example.code | Should -BeNullOrEmpty -Because $example.title
            Get-HelpText $example.remarks | Should -Not -BeNullOrEmpty -Because $example.title
        }
    }

    It 'keeps the SYNTAX block of its markdown equal to Get-Command -Syntax (tools/HelpGen/Update-SyntaxBlocks.ps1 rewrites it)' {
        $markdown = Get-Content -Raw (Join-Path $docsDir "$Name.md")
        $block = [regex]::Match($markdown, '(?s)## SYNTAX\s*```\r?\n(.*?)\r?\n```').Groups[1].Value
        $normalize = { param($s) @($s -split '\r?\n' | ForEach-Object Trim | Where-Object { $_ }) }
        & $normalize $block | Should -Be (& $normalize (Get-Command $Name -Syntax))
    }

    It 'shows content with Get-Help -Full, -Examples and -Parameter' {
        $full = Get-Help $Name -Full | Out-String
        $full | Should -Match 'DESCRIPTION'
        $full | Should -Match ([regex]::Escape(@($help.examples.example)[0].title.Trim('- ')))
        (Get-Help $Name -Examples | Out-String) | Should -Match 'Example 3'
        foreach ($parameter in Get-ParameterNames $Name) {
            $text = Get-Help $Name -Parameter $parameter | Out-String
            $text | Should -Match "-$parameter"
            $first = (Get-HelpText (Get-Help $Name -Parameter $parameter).description).Split("`n")[0]
            $text | Should -Match ([regex]::Escape($first.Substring(0, [Math]::Min(20, $first.Length))))
        }
    }
}

Describe 'Help files in the built module' {
    It 'puts the same MAML beside each ApimDr.dll (root for PowerShell 7, net472 for Windows PowerShell), named ApimDr.dll-Help.xml' {
        $core = Join-Path $moduleDir 'en-US/ApimDr.dll-Help.xml'
        $desktop = Join-Path $moduleDir 'net472/en-US/ApimDr.dll-Help.xml'
        (Get-FileHash $desktop).Hash | Should -Be (Get-FileHash $core).Hash
        ([xml](Get-Content -Raw $core)).helpItems.command.details.name | Sort-Object | Should -Be @($apimDr.Keys | Sort-Object)
    }

    It 'is the file Get-Help resolves for the cmdlets (beside the dll that defines them, on PowerShell 7)' {
        $null = Get-Help Backup-ApimService
        $command = Get-Command Backup-ApimService
        $command.HelpFile | Should -Be (Join-Path (Split-Path $command.DLL) 'en-US/ApimDr.dll-Help.xml')
        Split-Path $command.DLL | Should -Be $moduleDir
    }

    It 'has a markdown page for every exported cmdlet and no page for a cmdlet that does not exist' {
        $pages = @(Get-ChildItem $docsDir -Filter '*.md' | Where-Object Name -NotLike 'about_*' | ForEach-Object BaseName | Sort-Object)
        $pages | Should -Be @($apimDr.Keys | Sort-Object)
    }

    It 'shows about_ApimDr with each topic the issue asks for' {
        $about = Get-Help about_ApimDr | Out-String
        foreach ($topic in 'SHORT DESCRIPTION', 'Authentication order', 'Storage access types', 'Resumable operations and runbooks',
            'Backups expire after 30 days', 'What a backup does not contain', 'ErrorIds', 'Performance') {
            $about | Should -Match ([regex]::Escape($topic))
        }
        $about | Should -Match 'Storage Blob Data Contributor'
    }
}
