using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Tests.Fakes;
using ApimDr.Engine.Workflow;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Workflow
{
    /// <summary>
    /// Restore pre-flight against a storage account that says no: a refused KEY stops the restore (the same key
    /// would go to ARM); a refusal about network or rights stays a warning (APIM may be let in where we are not).
    /// </summary>
    public class RestorePreflightTests
    {
        private static (VirtualClock Clock, FakeArmTransport Transport, ArmClient Client) Arm()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => r.Method == "GET" ? Reply.Of(200, ServiceJson()) : Accepted(Location()));
            return (clock, transport, Client(clock, transport));
        }

        private static StorageLocation Storage(Uri endpoint, bool withKey = true)
        {
            var location = new StorageLocation("backupstore", "apim-backups", CloudEnvironment.AzureCloud, endpoint);
            if (withKey) location.AccountKey = Secure(StorageKey);
            return location;
        }

        /// <summary>What Restore-ApimService does: read the backup (pre-flight), then check and POST.</summary>
        private static async Task<ApimOperation> Restore(ArmClient client, BackupRestoreRequest request, StorageLocation storage, Action<string> warn)
        {
            request.Location = storage;   // where the restore reads and marks the backup: the stand-in, never a real host
            ApimBackup? backup = await DrWorkflow.ReadBackupAsync(storage, request.BackupName, warn, default);
            string? sku = await DrWorkflow.PreflightRestoreAsync(client, Service(), request, backup, null, default);
            return await DrWorkflow.StartRestoreAsync(client, Service(), request, sku, Array.Empty<string>(), null, warn, default);
        }

        [Fact]
        public async Task AKeyTheAccountRejectsStopsTheRestoreBeforeThePost()
        {
            using var blobs = new FakeBlobServer(403, "AuthenticationFailed");
            var (clock, transport, client) = Arm();
            using (client)
            {
                var warnings = new List<string>();

                var ex = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock,
                    Restore(client, KeyRequest(), Storage(blobs.Endpoint("backupstore")), warnings.Add)));

                Assert.Equal(ErrorIds.StorageAccessDenied, ex.ErrorId);
                Assert.Equal(ApimErrorCategory.PermissionDenied, ex.Category);
                Assert.Contains("refused the access key", ex.Message);
                Assert.Contains("restore was not started", ex.Message);
                Assert.DoesNotContain(StorageKey, ex.ToString());
                Assert.Equal(403, ex.HttpStatus);
                Assert.Equal("AuthenticationFailed", ex.ArmCode);
                Assert.Single(blobs.Requests);
                Assert.DoesNotContain(transport.Requests, r => r.Method == "POST");
                Assert.Empty(warnings);
            }
        }

        [Theory]
        [InlineData("AuthorizationFailure")]
        [InlineData("AuthorizationPermissionMismatch")]
        [InlineData("AuthorizationSourceIPMismatch")]
        [InlineData(null)]
        public async Task ARefusalAboutNetworkOrRightsStaysAWarning(string? code)
        {
            using var blobs = new FakeBlobServer(403, code);
            var (clock, transport, client) = Arm();
            using (client)
            {
                var warnings = new List<string>();

                ApimOperation op = await Run(clock,
                    Restore(client, KeyRequest(), Storage(blobs.Endpoint("backupstore")), warnings.Add));

                Assert.Equal("Restore", op.Kind);
                Assert.Equal(2, warnings.Count);
                Assert.Contains("skipping the blob checks", warnings[0]);
                Assert.Contains("could not mark backup", warnings[1]);   // the same refusal, for the in-use mark: the restore goes on
                Assert.DoesNotContain(ApimFollowUp.ReleaseBackup, op.FollowUps);
                Assert.Single(transport.Requests, r => r.Method == "POST");
            }
        }

        [Fact]
        public void OnlyARefusedKeyCountsAsAKeyRejection()
        {
            var withKey = Storage(new Uri("https://backupstore.blob.core.windows.net/"));
            var withToken = Storage(new Uri("https://backupstore.blob.core.windows.net/"), withKey: false);
            ApimDrException Refusal(int status, string code) => new ApimDrException(ErrorIds.StorageAccessDenied, ApimErrorCategory.PermissionDenied, "no") { HttpStatus = status, ArmCode = code };

            Assert.True(DrWorkflow.IsKeyRejected(Refusal(403, "AuthenticationFailed"), withKey));
            Assert.False(DrWorkflow.IsKeyRejected(Refusal(403, "AuthenticationFailed"), withToken));
            Assert.False(DrWorkflow.IsKeyRejected(Refusal(403, "AuthorizationFailure"), withKey));
            Assert.False(DrWorkflow.IsKeyRejected(Refusal(403, "AuthorizationPermissionMismatch"), withKey));
            Assert.False(DrWorkflow.IsKeyRejected(Refusal(404, "AuthenticationFailed"), withKey));
        }

        [Fact]
        public async Task ATokenOverPlainHttpIsRefusedBeforeAnyRequest()
        {
            using var blobs = new FakeBlobServer(200, null);
            var (clock, transport, client) = Arm();
            using (client)
            {
                BackupRestoreRequest request = KeyRequest();
                request.Location.AccountKey = null;
                request.AccessType = StorageAccessType.SystemAssignedManagedIdentity;

                var ex = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock,
                    Restore(client, request, Storage(blobs.Endpoint("backupstore"), withKey: false), _ => { })));

                Assert.Equal(ErrorIds.InvalidBlobEndpoint, ex.ErrorId);
                Assert.Empty(transport.Requests);
                Assert.Empty(blobs.Requests);
            }
        }
    }
}
