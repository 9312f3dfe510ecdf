# Loads the binary module built for this edition. The engine and its Azure dependencies are NOT
# loaded here: ApimDr.dll's module initializer resolves them lazily, in isolation, on first use.
$dll = if ($PSEdition -eq 'Core') {
    [IO.Path]::Combine($PSScriptRoot, 'ApimDr.dll')
} else {
    [IO.Path]::Combine($PSScriptRoot, 'net472', 'ApimDr.dll')
}
$binary = Import-Module -Name $dll -PassThru -ErrorAction Stop
Export-ModuleMember -Cmdlet @($binary.ExportedCmdlets.Keys)
