# The set-up the end-to-end Pester suites share. Dot-source it at the top of a suite's BeforeAll:
#
#     BeforeAll {
#         . (Join-Path $PSScriptRoot 'common.ps1') -ContainerPrefix dr
#         …what only this suite needs…
#     }
#
# It imports tests/TestHelpers.psm1 and the BUILT module (APIMDR_TEST_MODULE_PATH), and sets these
# script variables for the calling suite:
#
#   $t          Get-TestEnvironment: the module path and Azurite (StorageAccountName, StorageKey, …)
#   $e          Get-EmulatorEnvironment: the ARM emulator (ArmUrl, Token, SubscriptionId, …)
#   $token      the emulator's token as a SecureString
#   $arm        @{ ResourceManagerUrl; AccessToken }, to splat into the cmdlets
#   $sub, $rg   the emulator's subscription id and resource group
#   $prod       @{ SubscriptionId; ResourceGroupName; Name = 'prod' }, the seeded service
#   $container  a fresh container name starting with -ContainerPrefix (not created here)
#   $storage    @{ StorageAccountName; ContainerName = $container; StorageAccountKey; BlobEndpoint }
#
# Suites that must not load ApimDr in the Pester process (Module, LoadContext, Emulator) do not use it.
param([string] $ContainerPrefix = 't')

Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
$script:t = Get-TestEnvironment
$script:e = Get-EmulatorEnvironment
Import-Module $t.ModulePath -Force
$script:token = ConvertTo-SecureString $e.Token -AsPlainText -Force
$script:arm = @{ ResourceManagerUrl = $e.ArmUrl; AccessToken = $token }
$script:sub = $e.SubscriptionId
$script:rg = $e.ResourceGroup
$script:prod = @{ SubscriptionId = $sub; ResourceGroupName = $rg; Name = 'prod' }
$script:container = New-TestName $ContainerPrefix
$script:storage = @{ StorageAccountName = $t.StorageAccountName; ContainerName = $container; StorageAccountKey = $t.StorageKey; BlobEndpoint = $t.BlobEndpoint }
