using System;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using ApimDr.Engine.Workflow;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Workflow
{
    /// <summary>
    /// Without a storage key the SERVICE reaches storage as its managed identity: a service without one of the
    /// kind asked for is ManagedIdentityNotConfigured before the POST (it used to be ARM's raw 400 under
    /// ApimOperationFailed). Identity shapes as in the 2024-05-01 example ApiManagementServiceGetService.json.
    /// </summary>
    public class ManagedIdentityPreflightTests
    {
        private const string AttachedClientId = "8d9791f2-0cdf-41f4-9e66-cdc39b496789";
        private const string OtherClientId = "0b7e7f1e-5a4b-4c3d-9e2f-1a2b3c4d5e6f";
        private const string BothKinds = "{\"type\":\"SystemAssigned, UserAssigned\",\"principalId\":\"306205e7-b21a-41bf-92e2-3e28af30041e\",\"tenantId\":\"f686d426-8d16-42db-81b7-ab578e110ccd\"," +
            "\"userAssignedIdentities\":{\"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ogf-identity\":" +
            "{\"principalId\":\"713784d2-ee37-412a-95f0-3768f397f82d\",\"clientId\":\"" + AttachedClientId + "\"}}}";
        private const string UserAssignedOnly = "{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"/subscriptions/x/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a\":{\"principalId\":\"p\",\"clientId\":\"" + AttachedClientId + "\"}}}";

        private static BackupRestoreRequest IdentityRequest(StorageAccessType accessType, string? clientId = null)
        {
            BackupRestoreRequest request = KeyRequest();
            // Without a key ApimDr would need a Storage token: over plain http it refuses before any connection (no credential probes anything).
            request.Location = new ApimDr.Engine.Storage.StorageLocation("backupstore", "apim-backups", ApimDr.Engine.Clouds.CloudEnvironment.AzureCloud, new Uri("http://127.0.0.1:9/backupstore"));
            request.AccessType = accessType;
            request.ClientId = clientId;
            return request;
        }

        private static (VirtualClock Clock, FakeArmTransport Transport, ArmClient Client) Arm(string? identity)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => r.Method == "GET" ? Reply.Of(200, ServiceJson(identity: identity)) : Accepted(Location()));
            return (clock, transport, Client(clock, transport));
        }

        private static Task<ApimOperation> Restore(VirtualClock clock, ArmClient client, BackupRestoreRequest request, bool skipPreflight = false)
            => Run(clock, RestoreAsync(client, request, skipPreflight));

        private static async Task<ApimOperation> RestoreAsync(ArmClient client, BackupRestoreRequest request, bool skipPreflight)
        {
            string? sku = skipPreflight ? null : await DrWorkflow.PreflightRestoreAsync(client, Service(), request, null, null, default);
            return await DrWorkflow.StartRestoreAsync(client, Service(), request, sku, Array.Empty<string>(), null, _ => { }, default);
        }

        public static TheoryData<string?, StorageAccessType, string?, string> Missing => new()
        {
            { null, StorageAccessType.SystemAssignedManagedIdentity, null, "no system-assigned managed identity (identity type 'None')" },
            { "{\"type\":\"None\"}", StorageAccessType.SystemAssignedManagedIdentity, null, "no system-assigned managed identity (identity type 'None')" },
            { UserAssignedOnly, StorageAccessType.SystemAssignedManagedIdentity, null, "no system-assigned managed identity (identity type 'UserAssigned')" },
            { "{\"type\":\"SystemAssigned\",\"principalId\":\"p\"}", StorageAccessType.UserAssignedManagedIdentity, AttachedClientId, "it has no user-assigned managed identity" },
            { BothKinds, StorageAccessType.UserAssignedManagedIdentity, OtherClientId, $"no user-assigned identity with client id '{OtherClientId}' is attached to it (attached: {AttachedClientId})" },
        };

        [Theory]
        [MemberData(nameof(Missing))]
        public async Task AServiceWithoutTheIdentityAskedForIsRefusedBeforeTheBackupOrRestorePost(string? identity, StorageAccessType accessType, string? clientId, string why)
        {
            var (clock, transport, client) = Arm(identity);
            using (client)
            {
                var backup = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock,
                    DrWorkflow.StartBackupAsync(client, Service(), IdentityRequest(accessType, clientId), false, false, Array.Empty<string>(), null, _ => { }, default)));
                var restore = await Assert.ThrowsAsync<ApimDrException>(() => Restore(clock, client, IdentityRequest(accessType, clientId)));

                foreach (ApimDrException ex in new[] { backup, restore })
                {
                    Assert.Equal(ErrorIds.ManagedIdentityNotConfigured, ex.ErrorId);
                    Assert.Equal(ApimErrorCategory.InvalidOperation, ex.Category);
                    Assert.Contains(why, ex.Message);
                    Assert.Contains("-StorageAccountKey", ex.Message);
                    Assert.Contains("-AccessType", ex.Message);
                    Assert.Contains("-IdentityClientId", ex.Message);
                    Assert.Equal(ServicePath(), ex.Target);
                }
                Assert.Contains("Cannot back up 'contoso-apim'", backup.Message);
                Assert.Contains("Cannot restore into 'contoso-apim'", restore.Message);
                Assert.DoesNotContain(transport.Requests, r => r.Method == "POST");
            }
        }

        [Theory]
        [InlineData(StorageAccessType.SystemAssignedManagedIdentity, null)]
        [InlineData(StorageAccessType.UserAssignedManagedIdentity, AttachedClientId)]
        [InlineData(StorageAccessType.UserAssignedManagedIdentity, "8D9791F2-0CDF-41F4-9E66-CDC39B496789")]   // GUIDs compare without case
        public async Task AServiceWithTheIdentityAskedForIsSent(StorageAccessType accessType, string? clientId)
        {
            var (clock, transport, client) = Arm(BothKinds);
            using (client)
            {
                ApimOperation op = await Restore(clock, client, IdentityRequest(accessType, clientId));

                Assert.Equal(accessType.ToString(), op.AccessType);
                Assert.Single(transport.Requests, r => r.Method == "POST");
            }
        }

        [Fact]
        public async Task AKeyNeedsNoIdentity()
        {
            var (clock, transport, client) = Arm(identity: null);
            using (client)
            {
                await Restore(clock, client, KeyRequest());

                Assert.Single(transport.Requests, r => r.Method == "POST");
            }
        }

        [Fact]
        public async Task SkipPreflightSkipsTheIdentityCheckToo()
        {
            var (clock, transport, client) = Arm(identity: null);
            using (client)
            {
                await Restore(clock, client, IdentityRequest(StorageAccessType.SystemAssignedManagedIdentity), skipPreflight: true);

                Assert.DoesNotContain(transport.Requests, r => r.Method == "GET");
                Assert.Single(transport.Requests, r => r.Method == "POST");
            }
        }
    }
}
