using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Storage
{
    public class CatalogResilienceTests
    {
        private const string Listing = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1/backupstore\" ContainerName=\"apim\"><Blobs>" +
            "<Blob><Name>a.apimbackup</Name><Properties><Creation-Time>Sun, 06 Dec 2026 01:00:00 GMT</Creation-Time><Last-Modified>Sun, 06 Dec 2026 01:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata /></Blob>" +
            "<Blob><Name>a.apimbackup.apimdr.json</Name><Properties><Creation-Time>Sun, 06 Dec 2026 01:00:00 GMT</Creation-Time><Last-Modified>Sun, 06 Dec 2026 01:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata /></Blob>" +
            "<Blob><Name>b.apimbackup</Name><Properties><Creation-Time>Sun, 06 Dec 2026 02:00:00 GMT</Creation-Time><Last-Modified>Sun, 06 Dec 2026 02:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata /></Blob>" +
            "<Blob><Name>b.apimbackup.apimdr.json</Name><Properties><Creation-Time>Sun, 06 Dec 2026 02:00:00 GMT</Creation-Time><Last-Modified>Sun, 06 Dec 2026 02:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata /></Blob>" +
            "</Blobs><NextMarker /></EnumerationResults>";

        private const string ManifestOfB = "{\"schema\":\"apimdr-backup-manifest/1\",\"backupName\":\"b.apimbackup\",\"sourceServiceId\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/prod\",\"sourceServiceName\":\"prod\",\"sourceSku\":\"Premium\",\"startTime\":\"2026-12-06T01:59:00Z\",\"status\":\"Succeeded\"}";

        [Fact]
        public async Task ManifestsWithMetadataListFromTheListingAloneOnlyOldOnesAreDownloaded()
        {
            // Issue 20: b's manifest carries its record as metadata (what WriteManifestAsync writes), a's is an
            // earlier version's (no metadata): the catalog is one list request plus one GET, for a only.
            ApimBackupManifest ofB = BackupManifest.Parse(ManifestOfB)!;
            KeyValuePair<string, string> meta = Assert.Single(BackupManifest.ToMetadata(ofB)!);
            string listing = Listing.Replace("<Name>b.apimbackup.apimdr.json</Name><Properties><Creation-Time>Sun, 06 Dec 2026 02:00:00 GMT</Creation-Time><Last-Modified>Sun, 06 Dec 2026 02:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata />",
                $"<Name>b.apimbackup.apimdr.json</Name><Properties><Creation-Time>Sun, 06 Dec 2026 02:00:00 GMT</Creation-Time><Last-Modified>Sun, 06 Dec 2026 02:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties><Metadata><{meta.Key}>{meta.Value}</{meta.Key}></Metadata>");
            Assert.NotEqual(Listing, listing);
            const string ManifestOfA = "{\"schema\":\"apimdr-backup-manifest/1\",\"backupName\":\"a.apimbackup\",\"sourceServiceId\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/test\",\"sourceServiceName\":\"test\",\"sourceSku\":\"Developer\",\"startTime\":\"2026-12-06T00:59:00Z\",\"status\":\"Succeeded\"}";
            using var blobs = new FakeBlobServer((method, path, query) =>
                query.Contains("comp=list") ? (200, null, listing)
                : path.EndsWith("/a.apimbackup.apimdr.json", StringComparison.Ordinal) ? (200, null, ManifestOfA)
                : (404, "BlobNotFound", null));
            var location = new StorageLocation("backupstore", "apim", CloudEnvironment.AzureCloud, blobs.Endpoint("backupstore")) { AccountKey = Secure(StorageKey) };
            var warnings = new List<string>();

            IReadOnlyList<ApimBackup> listed = await BackupCatalog.ListAsync(location, null, default, warnings.Add);

            Assert.Empty(warnings);
            Assert.Equal(new[] { "b.apimbackup", "a.apimbackup" }, listed.Select(b => b.BackupName));
            Assert.Equal(("prod", "Premium", ApimOperation.Succeeded), (listed[0].SourceServiceName, listed[0].SourceSku, listed[0].Status));
            Assert.Equal(("test", "Developer", ApimOperation.Succeeded), (listed[1].SourceServiceName, listed[1].SourceSku, listed[1].Status));
            Assert.True(listed[0].HasManifest && listed[1].HasManifest);
            Assert.Equal(new[] { "GET /backupstore/apim", "GET /backupstore/apim/a.apimbackup.apimdr.json" }, blobs.Requests.ToArray());
        }

        [Fact]
        public async Task AManifestThatCannotBeReadOnlyEmptiesItsEntryWithAWarningTheOthersStillList()
        {
            // Before: one manifest download that failed failed the whole listing.
            using var blobs = new FakeBlobServer((method, path, query) =>
                query.Contains("comp=list") ? (200, null, Listing)
                : path.EndsWith("/a.apimbackup.apimdr.json", StringComparison.Ordinal) ? (403, "AuthorizationPermissionMismatch", null)
                : path.EndsWith("/b.apimbackup.apimdr.json", StringComparison.Ordinal) ? (200, null, ManifestOfB)
                : (404, "BlobNotFound", null));
            var location = new StorageLocation("backupstore", "apim", CloudEnvironment.AzureCloud, blobs.Endpoint("backupstore")) { AccountKey = Secure(StorageKey) };
            var warnings = new List<string>();

            IReadOnlyList<ApimBackup> listed = await BackupCatalog.ListAsync(location, null, default, warnings.Add);

            Assert.Equal(new[] { "b.apimbackup", "a.apimbackup" }, listed.Select(b => b.BackupName));
            Assert.Equal("prod", listed[0].SourceServiceName);
            Assert.Null(listed[1].SourceServiceName);
            Assert.False(listed[1].HasManifest);
            string warning = Assert.Single(warnings);
            Assert.Contains("a.apimbackup.apimdr.json", warning);
            Assert.Contains("StorageAccessDenied", warning);
        }
    }
}
