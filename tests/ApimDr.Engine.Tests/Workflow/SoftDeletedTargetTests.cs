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
    /// A restore target that does not exist because a soft-deleted service holds its name (48 h): the pre-flight
    /// says so with the purge date and the commands, never purges or undeletes. Shapes from the 2024-05-01 example
    /// ApiManagementDeletedServicesListBySubscription.json.
    /// </summary>
    public class SoftDeletedTargetTests
    {
        private static string DeletedList(string name) =>
            "{\"value\":[{\"id\":\"/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.ApiManagement/locations/westeurope/deletedservices/" + name + "\"," +
            "\"name\":\"" + name + "\",\"type\":\"Microsoft.ApiManagement/deletedservices\",\"location\":\"West Europe\",\"properties\":{" +
            "\"serviceId\":\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ApiManagement/service/" + name + "\"," +
            "\"scheduledPurgeDate\":\"2026-12-08T10:00:00.0000000Z\",\"deletionDate\":\"2026-12-06T10:00:00.0000000Z\"}}]}";

        private static async Task<ApimDrException> PreflightAgainst(string deletedName)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r =>
                r.Url.Contains("/deletedservices", StringComparison.Ordinal) ? Reply.Of(200, DeletedList(deletedName))
                : r.Method == "GET" ? Reply.ArmError(404, "ResourceNotFound", "The Resource was not found.")
                : Accepted(Location()));
            using ArmClient client = Client(clock, transport);
            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, DrWorkflow.PreflightRestoreAsync(client, Service(), KeyRequest(), null, null, default)));
            Assert.DoesNotContain(transport.Requests, r => r.Method != "GET");   // nothing purged, undeleted or restored
            return error;
        }

        [Fact]
        public async Task ATargetWhoseNameASoftDeletedServiceHoldsSaysSoWithThePurgeDateAndTheCommands()
        {
            ApimDrException error = await PreflightAgainst(Service().Name);

            Assert.Equal(ErrorIds.ServiceSoftDeleted, error.ErrorId);
            Assert.Contains("2026-12-08 10:00:00Z", error.Message);
            Assert.Contains("West Europe", error.Message);
            Assert.Contains("az apim deletedservice purge", error.Message);
            Assert.Contains("restore", error.Message);
        }

        [Fact]
        public async Task AnotherDeletedServiceLeavesServiceNotFound()
            => Assert.Equal(ErrorIds.ServiceNotFound, (await PreflightAgainst("someone-else")).ErrorId);
    }
}
