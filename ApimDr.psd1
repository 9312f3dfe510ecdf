@{
    # The binary module for the edition, named directly (no script module in between: a psm1 root cost a PowerShell 7
    # start about 60 ms of CPU, docs/benchmarks.md "Import cost"). PowerShell 7: ApimDr.dll beside this manifest;
    # Windows PowerShell 5.1: net472/ApimDr.dll. $PSEdition is one of the variables a manifest may read.
    RootModule             = if ($PSEdition -eq 'Core') { 'ApimDr.dll' } else { 'net472/ApimDr.dll' }
    # A placeholder: build.ps1 writes <Version> from Directory.Build.props (the one version source) into out/ApimDr/ApimDr.psd1.
    ModuleVersion          = '0.0.0'
    GUID                   = '6c0e6c1e-4f55-4c55-9a3e-0a7d5d3f2b61'
    Author                 = 'ApimDr contributors'
    CompanyName            = 'ApimDr'
    Copyright              = '(c) ApimDr contributors. MIT License.'
    Description            = 'Disaster recovery for Azure API Management: back up, restore and wait on long-running APIM backup/restore operations over ARM, with a backup catalog in Azure Blob storage. Resumable waits, Retry-After honoured, isolated Azure SDK dependencies that coexist with Az.Accounts.'
    # The supported versions, per edition (README "Requirements", about_ApimDr): PowerShell 7.4+ (ApimDr.dll is net8.0,
    # which PowerShell 7.0-7.3 on .NET Core 3.1/5/6/7 cannot load) and Windows PowerShell 5.1 (net472). An older
    # PowerShell 7 gets PowerShell's own "requires a minimum PowerShell version of '7.4'" before any dll is loaded.
    PowerShellVersion      = if ($PSEdition -eq 'Core') { '7.4' } else { '5.1' }
    CompatiblePSEditions   = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    # The public record types (ApimOperation, ApimBackup): default load context, shared with the isolated engine.
    RequiredAssemblies     = @('ApimDr.Model.dll')
    FormatsToProcess       = @('ApimDr.Format.ps1xml')
    # A comma list, not @( one name per line ): @() around several statements is evaluated through a dynamic
    # site at every import, the list literal is a constant (docs/benchmarks.md, "Where the import goes").
    CmdletsToExport        = 'Backup-ApimService',
                             'Copy-ApimBackup',
                             'Compare-ApimConfiguration',
                             'Get-ApimBackup',
                             'Get-ApimConfiguration',
                             'Get-ApimDrStatus',
                             'Get-ApimOperation',
                             'Remove-ApimBackup',
                             'Restore-ApimService',
                             'Test-ApimBackup',
                             'Wait-ApimOperation'
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Azure', 'APIM', 'ApiManagement', 'Backup', 'Restore', 'DisasterRecovery', 'DR', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            ReleaseNotes = 'See README.md.'
        }
    }
}
