using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    /// <summary>
    /// A 404 at a poll (ARM forgot the operation). Before: always OperationNotFound, "resume with Wait-ApimOperation",
    /// and every resume met the same 404. Now: what can be seen is checked once (provisioningState; the backup blob),
    /// Failed only when that proves it, otherwise OperationNotFound saying what was found, without inviting a resume.
    /// </summary>
    public class PollNotFoundTests
    {
        private static async Task<(ApimOperation Op, Recorder Recorder, FakeArmTransport Transport, int BlobChecks)> NotFoundWith(
            string provisioningState, bool? blobExists, bool restore = false, bool checkBlob = true)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => r.Method == "POST" ? Accepted(Location(), 10)
                : r.Url.Contains("/operationresults/") ? Reply.ArmError(404, "ResourceNotFound", "The operation was not found.")
                : Reply.Of(200, ServiceJson(state: provisioningState)));
            using ArmClient client = Client(clock, transport);
            ApimOperation op = await Run(clock, restore ? client.StartRestoreAsync(Service(), KeyRequest(), default) : client.StartBackupAsync(Service(), KeyRequest(), default));
            int checks = 0;
            var recorder = new Recorder();
            if (checkBlob)
            {
                recorder.BackupBlobExists = (o, ct) =>
                {
                    Interlocked.Increment(ref checks);
                    Assert.Equal("contoso-2026-01-01.apimbackup", o.BackupName);
                    return Task.FromResult(blobExists);
                };
            }
            await WaitAsync(clock, client, new[] { op }, recorder);
            return (op, recorder, transport, checks);
        }

        [Fact]
        public async Task ABackupOnAnIdleServiceWithNoBlobIsProvenFailed()
        {
            var (op, recorder, transport, checks) = await NotFoundWith("Succeeded", blobExists: false);
            Assert.Equal(ApimOperation.Failed, op.Status);
            Assert.Equal(ErrorIds.BackupNotCreated, op.ErrorId);
            Assert.Equal(404, op.HttpStatus);
            Assert.Contains("did not complete", op.ErrorMessage);
            Assert.Equal(ErrorIds.BackupNotCreated, Operations.ToException(op)!.ErrorId);
            Assert.Single(recorder.Completed);
            Assert.Empty(recorder.Abandoned);
            Assert.Equal(1, checks);
            Assert.Single(transport.Requests, r => r.Url.Contains("/operationresults/"));   // one poll, then the checks
        }

        [Theory]
        [InlineData("Succeeded", true, "most likely succeeded")]          // the blob is there: not a failure
        [InlineData("Updating", false, "may still be running")]           // still busy: no proof either way
        [InlineData("Succeeded", null, "could not be checked")]           // no storage access: no proof
        public async Task ABackupIsOperationNotFoundWithWhatWasFoundUnlessProvenFailed(string state, bool? blob, string finding)
        {
            var (op, recorder, transport, _) = await NotFoundWith(state, blob);
            Assert.Equal(ApimOperation.InProgress, op.Status);
            ApimDrException error = recorder.Abandoned[op];
            Assert.Equal(ErrorIds.OperationNotFound, error.ErrorId);
            Assert.Contains($"provisioningState is '{state}'", error.Message);
            Assert.Contains(finding, error.Message);
            Assert.Contains("no longer resumable", error.Message);
            Assert.DoesNotContain("resume the wait with", error.Message);
            Assert.Single(transport.Requests, r => r.Url.Contains("/operationresults/"));
        }

        [Fact]
        public async Task ARestoreIsNeverFailedByTheseChecks()
        {
            var (op, recorder, _, checks) = await NotFoundWith("Succeeded", blobExists: false, restore: true);
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Equal(ErrorIds.OperationNotFound, recorder.Abandoned[op].ErrorId);
            Assert.Contains("no backup blob", recorder.Abandoned[op].Message);
            Assert.Equal(1, checks);
        }

        [Fact]
        public async Task WithoutAWayToReachStorageTheBlobIsNotCheckedAndNothingIsProven()
        {
            var (op, recorder, _, _) = await NotFoundWith("Succeeded", blobExists: false, checkBlob: false);
            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Contains("could not be checked", recorder.Abandoned[op].Message);
        }
    }
}
