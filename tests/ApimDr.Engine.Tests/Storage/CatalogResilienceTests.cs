using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Errors;
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

        private static string Blob(string name, string created, string? metadata = null, bool encoded = false)
            => $"<Blob><Name{(encoded ? " Encoded=\"true\"" : string.Empty)}>{name}</Name><Properties><Creation-Time>{created}</Creation-Time><Last-Modified>{created}</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties>"
               + (metadata == null ? "<Metadata />" : $"<Metadata><other>x</other>{metadata}</Metadata>") + "</Blob>";

        private static string Page(string nextMarker, params string[] blobs)
            => "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1/backupstore\" ContainerName=\"apim\"><MaxResults>5000</MaxResults><Blobs>"
               + string.Concat(blobs) + $"</Blobs><NextMarker>{nextMarker}</NextMarker></EnumerationResults>";

        private static string MetadataOf(string manifestJson)
        {
            KeyValuePair<string, string> meta = Assert.Single(BackupManifest.ToMetadata(BackupManifest.Parse(manifestJson)!)!);
            return $"<{meta.Key}>{meta.Value}</{meta.Key}>";
        }

        [Fact]
        public async Task AListingOfTwoPagesWhoseSecondIsCutOffListsEveryBackupOnceFromTheListingAlone()
        {
            // Issue 20: the listing is read as it arrives, page by page (NextMarker); a page whose body breaks off is
            // read again from its marker, and the blobs it had handed over already are not handed twice.
            string ofA = ManifestOfB.Replace("b.apimbackup", "a.apimbackup").Replace("service/prod", "service/test").Replace("\"prod\"", "\"test\"");
            string first = Page("page-2", Blob("a.apimbackup", "Sun, 06 Dec 2026 01:00:00 GMT"), Blob("a.apimbackup.apimdr.json", "Sun, 06 Dec 2026 01:00:00 GMT", MetadataOf(ofA)));
            string second = Page(string.Empty, Blob("b.apimbackup", "Sun, 06 Dec 2026 02:00:00 GMT"), Blob("c.apimbackup", "Sun, 06 Dec 2026 03:00:00 GMT"),
                Blob("b.apimbackup.apimdr.json", "Sun, 06 Dec 2026 02:00:00 GMT", MetadataOf(ManifestOfB)));
            int secondPageReads = 0;
            using var blobs = new FakeBlobServer((method, path, query) =>
                !query.Contains("comp=list") ? (404, "BlobNotFound", null)
                : query.Contains("marker=page-2") ? (200, null, second)
                : (200, null, first))
            {
                CutOff = query => query.Contains("marker=page-2") && System.Threading.Interlocked.Increment(ref secondPageReads) == 1,
            };
            var location = new StorageLocation("backupstore", "apim", CloudEnvironment.AzureCloud, blobs.Endpoint("backupstore")) { AccountKey = Secure(StorageKey) };
            var warnings = new List<string>();

            IReadOnlyList<ApimBackup> listed = await BackupCatalog.ListAsync(location, null, default, warnings.Add);

            Assert.Empty(warnings);
            Assert.Equal(new[] { "c.apimbackup", "b.apimbackup", "a.apimbackup" }, listed.Select(b => b.BackupName));
            Assert.Equal(("prod", "Premium", ApimOperation.Succeeded), (listed[1].SourceServiceName, listed[1].SourceSku, listed[1].Status));
            Assert.Equal(("test", "Premium", ApimOperation.Succeeded), (listed[2].SourceServiceName, listed[2].SourceSku, listed[2].Status));
            Assert.False(listed[0].HasManifest);
            Assert.Equal(new DateTime(2026, 12, 6, 2, 0, 0, DateTimeKind.Utc), listed[1].Created);
            Assert.Equal(10, listed[1].SizeBytes);
            Assert.Equal(2, secondPageReads);
            Assert.Equal(new[] { "GET /backupstore/apim", "GET /backupstore/apim", "GET /backupstore/apim" }, blobs.Requests.ToArray());
        }

        [Fact]
        public async Task AnEncodedBlobNameListsAsItsName()
        {
            using var blobs = new FakeBlobServer((method, path, query) => (200, null, Page(string.Empty, Blob("x%20y.apimbackup", "Sun, 06 Dec 2026 01:00:00 GMT", encoded: true))));
            var location = new StorageLocation("backupstore", "apim", CloudEnvironment.AzureCloud, blobs.Endpoint("backupstore")) { AccountKey = Secure(StorageKey) };

            ApimBackup listed = Assert.Single(await BackupCatalog.ListAsync(location, null, default));

            Assert.Equal("x y.apimbackup", listed.BackupName);
            Assert.EndsWith("/apim/x%20y.apimbackup", listed.Uri!.AbsoluteUri);
        }

        [Fact]
        public async Task AListingCutOffEveryTimeIsAStorageErrorWithoutTheListingsSignature()
        {
            using var blobs = new FakeBlobServer((method, path, query) => (200, null, Page(string.Empty, Blob("a.apimbackup", "Sun, 06 Dec 2026 01:00:00 GMT"), Blob("b.apimbackup", "Sun, 06 Dec 2026 01:00:00 GMT"))))
            {
                CutOff = query => true,
            };
            var location = new StorageLocation("backupstore", "apim", CloudEnvironment.AzureCloud, blobs.Endpoint("backupstore")) { AccountKey = Secure(StorageKey) };

            var ex = await Assert.ThrowsAsync<ApimDrException>(() => BackupCatalog.ListAsync(location, null, default));

            Assert.Equal(ErrorIds.StorageUnreachable, ex.ErrorId);
            Assert.Equal(3, blobs.Requests.Count);
            Assert.DoesNotContain("sig=", ex.ToString());
            Assert.DoesNotContain(StorageKey, ex.ToString());
        }

        [Fact]
        public async Task ARefusedListingIsStorageAccessDeniedWithoutTheListingsSignature()
        {
            using var blobs = new FakeBlobServer(403, "AuthenticationFailed");
            var location = new StorageLocation("backupstore", "apim", CloudEnvironment.AzureCloud, blobs.Endpoint("backupstore")) { AccountKey = Secure(StorageKey) };

            var ex = await Assert.ThrowsAsync<ApimDrException>(() => BackupCatalog.ListAsync(location, null, default));

            Assert.Equal(ErrorIds.StorageAccessDenied, ex.ErrorId);
            Assert.Equal(("AuthenticationFailed", 403), (ex.ArmCode, ex.HttpStatus));
            Assert.DoesNotContain("sig=", ex.ToString());
        }
    }
}
