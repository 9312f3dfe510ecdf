using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Journal;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Tests.Fakes;
using ApimDr.Engine.Workflow;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Journal
{
    /// <summary>The operation journal: nothing started is lost; entries end when seen terminal; no secret.</summary>
    public sealed class OperationJournalTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "apimdr-journal-" + Guid.NewGuid().ToString("n"));

        private OperationJournal NewJournal(TimeProvider? time = null) => new OperationJournal(Path.Combine(_dir, "operations.jsonl"), time);

        private readonly FakeBlobServer _blobs = new FakeBlobServer(201, null);

        private BackupRestoreRequest At(BackupRestoreRequest request)
        {
            request.Location = ManifestStore();
            return request;
        }

        /// <summary>Where the backup's manifest goes: a loopback stand-in that takes every write.</summary>
        private StorageLocation ManifestStore() => new StorageLocation("backupstore", "apim-backups", ApimDr.Engine.Clouds.CloudEnvironment.AzureCloud, _blobs.Endpoint("backupstore"))
        {
            AccountKey = Secure(StorageKey),
        };

        public void Dispose()
        {
            _blobs.Dispose();
            if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        }

        private static (ArmClient Client, FakeArmTransport Transport, VirtualClock Clock) Arm(Func<RecordedRequest, Reply> post)
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => r.Method == "GET" ? Reply.Of(200, ServiceJson()) : post(r));
            return (Client(clock, transport), transport, clock);
        }

        [Fact]
        public async Task AStartedBackupIsJournaledWithItsPollUrlAndNoSecret()
        {
            var journal = NewJournal();
            var (client, _, clock) = Arm(r => Accepted(Location()));
            ApimOperation op = (await Run(clock, DrWorkflow.StartBackupAsync(client, Service(), At(KeyRequest()), false, false, Array.Empty<string>(), journal, _ => { }, default)));

            JournalEntry entry = Assert.Single(journal.Read());
            Assert.Equal(OperationJournal.Running, entry.State);
            Assert.Equal(op.PollUrl, entry.Operation.PollUrl);
            Assert.Equal(Service().ResourceId, entry.Operation.ResourceId);
            Assert.Equal("Backup", entry.Operation.Kind);
            string text = File.ReadAllText(journal.Path);
            Assert.DoesNotContain(StorageKey, text);
            Assert.DoesNotContain(StaticToken, text);
        }

        [Fact]
        public async Task APostWithAnUnknownOutcomeStaysJournaledAsUnknown()
        {
            var journal = NewJournal();
            var (client, transport, clock) = Arm(r => Reply.Of(500));
            var error = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, DrWorkflow.StartBackupAsync(client, Service(), At(KeyRequest()), false, false, Array.Empty<string>(), journal, _ => { }, default)));

            Assert.Equal(ErrorIds.OperationOutcomeUnknown, error.ErrorId);
            Assert.Single(transport.Requests, r => r.Method == "POST");
            JournalEntry entry = Assert.Single(journal.Read());
            Assert.Equal(OperationJournal.Unknown, entry.State);
            Assert.Equal("contoso-2026-01-01.apimbackup", entry.Operation.BackupName);
        }

        [Fact]
        public async Task ARefusedPostLeavesNothingAndABusyOneNamesTheKnownOperation()
        {
            var journal = NewJournal();
            int posts = 0;
            var (client, _, clock) = Arm(r => ++posts == 1 ? Accepted(Location()) : Reply.ArmError(409, "Conflict", "busy"));
            await Run(clock, DrWorkflow.StartBackupAsync(client, Service(), At(KeyRequest()), false, false, Array.Empty<string>(), journal, _ => { }, default));

            var busy = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, DrWorkflow.StartBackupAsync(client, Service(), At(KeyRequest("second.apimbackup")), false, false, Array.Empty<string>(), journal, _ => { }, default)));

            Assert.Equal(ErrorIds.ServiceBusy, busy.ErrorId);
            Assert.Contains("Get-ApimOperation -Name contoso-apim", busy.Message);
            Assert.Single(journal.Read());   // the refused one is gone, the running one stays
        }

        [Fact]
        public void RemovedAndWeekOldEntriesArePrunedAndTheFileCompacted()
        {
            var clock = new VirtualClock();
            var journal = NewJournal(clock);
            ApimOperation Op(string id) => new ApimOperation { CorrelationId = id, ResourceId = Service().ResourceId, Name = "contoso-apim", PollUrl = new Uri(Location()) };
            journal.RecordStarted(Op("old"));
            clock.Advance(TimeSpan.FromDays(8));
            journal.RecordStarted(Op("done"));
            journal.RecordStarted(Op("live"));
            journal.Remove(Op("done"));

            Assert.Equal(new[] { "live" }, journal.Read().Select(e => e.Operation.CorrelationId));
            Assert.Single(File.ReadAllLines(journal.Path));
        }

        [Fact]
        public void ATornLineIsSkipped()
        {
            var journal = NewJournal();
            journal.RecordStarted(new ApimOperation { CorrelationId = "a", PollUrl = new Uri(Location()) });
            File.AppendAllText(journal.Path, "{\"state\":\"InPro");
            Assert.Single(journal.Read());
        }

        [Fact]
        public async Task AnUnwritableJournalIsAWarningNeverAFailedBackup()
        {
            Directory.CreateDirectory(_dir);
            string blocker = Path.Combine(_dir, "file");
            File.WriteAllText(blocker, "x");
            var journal = new OperationJournal(Path.Combine(blocker, "operations.jsonl"));   // a path under a FILE
            var warnings = new System.Collections.Generic.List<string>();
            var (client, _, clock) = Arm(r => Accepted(Location()));

            ApimOperation op = (await Run(clock, DrWorkflow.StartBackupAsync(client, Service(), At(KeyRequest()), false, false, Array.Empty<string>(), journal, warnings.Add, default)));

            Assert.Equal(ApimOperation.InProgress, op.Status);
            Assert.Contains(warnings, w => w.Contains("APIMDR_JOURNAL"));   // (the stand-in storage also answers the existence check oddly: another warning)
        }

        /// <summary>A journal path that cannot hold the file: the path is a folder, or a parent is a file.</summary>
        private OperationJournal Unusable(string kind)
        {
            Directory.CreateDirectory(_dir);
            if (kind == "folder")
            {
                string folder = Path.Combine(_dir, "operations.jsonl");
                Directory.CreateDirectory(folder);
                return new OperationJournal(folder);
            }
            string blocker = Path.Combine(_dir, "file");
            File.WriteAllText(blocker, "x");
            return new OperationJournal(Path.Combine(blocker, "sub", "operations.jsonl"));
        }

        [Theory]
        [InlineData("folder", "the path is a folder, not a file")]
        [InlineData("file-as-parent", "is a file, so the journal's folder cannot be created")]
        public async Task AJournalThatCannotBeReadIsJournalUnreadableNeverAnEmptyAnswer(string kind, string why)
        {
            OperationJournal journal = Unusable(kind);

            var read = Assert.Throws<ApimDrException>(() => journal.Read());
            var forResource = Assert.Throws<ApimDrException>(() => journal.ForResource(Service().ResourceId));

            foreach (ApimDrException ex in new[] { read, forResource })
            {
                Assert.Equal(ErrorIds.JournalUnreadable, ex.ErrorId);
                Assert.Equal(ApimErrorCategory.ReadError, ex.Category);
                Assert.Contains(why, ex.Message);
                Assert.Contains("unknown here, not absent", ex.Message);
                Assert.Contains("APIMDR_JOURNAL", ex.Message);
            }
            // The write side says the same as a warning; a busy service's answer says the journal could not be consulted.
            Assert.Contains(why, journal.RecordStarted(new ApimOperation { CorrelationId = "a", PollUrl = new Uri(Location()) }));
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Reply.Of(200, ServiceJson(state: "Updating", target: "Succeeded")));
            using ArmClient client = Client(clock, transport);
            var busy = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, DrWorkflow.StartBackupAsync(client, Service(), At(KeyRequest()), false, false, Array.Empty<string>(), journal, _ => { }, default)));
            Assert.Equal(ErrorIds.ServiceBusy, busy.ErrorId);
            Assert.Contains("operation journal could not be read", busy.Message);
        }

        [Fact]
        public void AJournalWhoseLockStaysHeldIsJournalUnreadableNeverAnEmptyAnswer()
        {
            var journal = NewJournal();
            journal.RecordStarted(new ApimOperation { CorrelationId = "a", PollUrl = new Uri(Location()) });
            using (new FileStream(journal.Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                var ex = Assert.Throws<ApimDrException>(() => journal.Read());   // waits its 5 s for the lock first

                Assert.Equal(ErrorIds.JournalUnreadable, ex.ErrorId);
                Assert.Contains("held by another process", ex.Message);
            }
            Assert.Single(journal.Read());   // released: the entry was there all along
        }
    }
}
