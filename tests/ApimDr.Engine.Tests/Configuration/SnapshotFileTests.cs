using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;

namespace ApimDr.Engine.Tests.Configuration
{
    /// <summary>
    /// Reading a snapshot FILE (Compare-ApimConfiguration): before, File.ReadAllText read /dev/zero until an
    /// OutOfMemoryException at 4.4 GB, and a directory was "does not exist".
    /// </summary>
    public sealed class SnapshotFileTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "apimdr-snapshot-" + Guid.NewGuid().ToString("N"));

        public SnapshotFileTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static async Task<string> SnapshotJson()
        {
            var clock = new VirtualClock();
            FakeApim apim = ConfigurationReaderTests.Sample();
            return ConfigurationJson.Serialize(await ConfigurationReaderTests.Read(clock, new FakeArmTransport(clock, apim.Handle), null, name: apim.Name));
        }

        private static ApimDrException Refused(string path, long maxBytes = ConfigurationJson.MaxFileBytes)
        {
            var error = Assert.Throws<ApimDrException>(() => ConfigurationJson.ReadFile(path, maxBytes));
            Assert.Equal(ErrorIds.InvalidConfigurationSnapshot, error.ErrorId);
            return error;
        }

        [Fact]
        public async Task ASnapshotFileReadsBackAlsoWithAByteOrderMark()
        {
            string json = await SnapshotJson();
            string plain = Path.Combine(_dir, "plain.json");
            string bom = Path.Combine(_dir, "bom.json");
            File.WriteAllText(plain, json);
            File.WriteAllText(bom, json, new UnicodeEncoding(bigEndian: false, byteOrderMark: true));
            Assert.Empty(ConfigurationComparer.Compare(ConfigurationJson.ReadFile(plain), ConfigurationJson.ReadFile(bom)));
        }

        [Fact]
        public async Task AFileAboveTheCapIsRefusedBeforeItIsRead()
        {
            string json = await SnapshotJson();
            string path = Path.Combine(_dir, "big.json");
            File.WriteAllText(path, json);
            Assert.Contains("more than the", Refused(path, maxBytes: json.Length - 1).Message);
            Assert.NotNull(ConfigurationJson.ReadFile(path, maxBytes: new FileInfo(path).Length));   // exactly the cap is fine
        }

        [Fact]
        public void TheDocumentedCapIs256MegabytesAndASparseFileAboveItIsNeverRead()
        {
            Assert.Equal(256L * 1024 * 1024, ConfigurationJson.MaxFileBytes);
            string path = Path.Combine(_dir, "sparse.json");
            using (var stream = new FileStream(path, FileMode.CreateNew)) stream.SetLength(ConfigurationJson.MaxFileBytes + 1);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Refused(path);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "the file's content was read");
        }

        [Fact]
        public void ADirectoryIsInvalidNotMissing() => Assert.Contains("directory", Refused(_dir).Message);

        [Fact]
        public void AnEmptyFileIsInvalid()
        {
            string path = Path.Combine(_dir, "empty.json");
            File.WriteAllText(path, string.Empty);
            Refused(path);
        }

        [Fact]
        public void AMissingFileIsSnapshotNotFound()
            => Assert.Equal(ErrorIds.SnapshotNotFound, Assert.Throws<ApimDrException>(() => ConfigurationJson.ReadFile(Path.Combine(_dir, "none.json"))).ErrorId);

        [Fact]
        public void ADeviceIsRefusedWithoutReadingIt()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;   // no /dev/zero
            Assert.Contains("not a regular file", Refused("/dev/zero").Message);
        }

        [Fact]
        public async Task AFifoIsRefusedWithoutOpeningIt()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;   // no mkfifo
            string fifo = Path.Combine(_dir, "fifo.json");
            using (Process mkfifo = Process.Start("mkfifo", fifo)!) mkfifo.WaitForExit();
            Assert.True(File.Exists(fifo));
            // Opening a FIFO for reading blocks until a writer comes: a refusal within seconds proves it was not opened.
            Task<ApimDrException> refused = Task.Run(() => Refused(fifo));
            Assert.Same(refused, await Task.WhenAny(refused, Task.Delay(TimeSpan.FromSeconds(20))));
            Assert.Contains("not a regular file", (await refused).Message);
        }
    }
}
