using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Json;
using ApimDr.Engine.Security;
using Azure;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace ApimDr.Engine.Storage
{
    /// <summary>The backup catalog: what backups exist in a container, read with Azure.Storage.Blobs.</summary>
    public static class BackupCatalog
    {
        /// <summary>At most this many manifests are downloaded at once.</summary>
        private const int ManifestReadsInFlight = 8;

        /// <summary>
        /// The catalog under <paramref name="prefix"/>, newest first: every backup blob joined with its
        /// manifest, plus (no <see cref="ApimBackup.Uri"/>) manifests whose backup blob does not exist yet.
        /// Manifests are never entries of their own.
        /// </summary>
        public static Task<IReadOnlyList<ApimBackup>> ListAsync(StorageLocation location, string? prefix, CancellationToken cancellationToken, Action<string>? warn = null)
            => CallAsync(location, async container =>
            {
                var backups = new List<ApimBackup>();
                var manifests = new List<string>();
                var carried = new Dictionary<string, ApimBackupManifest>(StringComparer.Ordinal);   // manifests the listing's metadata carries: no download
                var snapshots = new HashSet<string>(StringComparer.Ordinal);
                var markers = new List<string>();
                var shared = new SharedText();
                string blobUriPrefix = container.Uri.AbsoluteUri.TrimEnd('/') + "/";
                // One pass over the listing's pages as they stream in; only what is kept here outlives its page.
                await BlobListing.ReadAsync(location, container, ClientOptions(), prefix, ListedMetadata, item =>
                {
                    if (BackupTestHistory.IsHistoryName(item.Name)) return;   // the drill history is not a backup
                    if (BackupManifest.IsManifestName(item.Name))
                    {
                        manifests.Add(item.Name);
                        if (BackupManifest.FromMetadata(item.Metadata) is ApimBackupManifest fromListing) carried[item.Name] = fromListing;
                    }
                    else if (BackupManifest.IsSnapshotName(item.Name)) snapshots.Add(item.Name);
                    else if (BackupManifest.BackupNameOfRestoreMarker(item.Name) is string marked) markers.Add(marked);
                    else backups.Add(ToBackup(location, blobUriPrefix, item));
                }, cancellationToken).ConfigureAwait(false);
                var byName = backups.ToDictionary(b => b.BackupName, StringComparer.Ordinal);
                using var gate = new SemaphoreSlim(ManifestReadsInFlight);
                // Only manifests without that metadata (written by an earlier ApimDr) are downloaded, at most 8 at once.
                ApimBackupManifest?[] read = await Task.WhenAll(manifests.Select(async name =>
                {
                    if (carried.TryGetValue(name, out ApimBackupManifest? listed)) return listed;
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        return await TryReadManifestAsync(location, container, name, warn, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        gate.Release();
                    }
                })).ConfigureAwait(false);
                for (int i = 0; i < manifests.Count; i++)
                {
                    string backupName = BackupManifest.BackupNameOf(manifests[i]);
                    if (!byName.TryGetValue(backupName, out ApimBackup? entry))
                    {
                        if (read[i] == null) continue;
                        entry = new ApimBackup { StorageAccountName = location.AccountName, ContainerName = location.ContainerName, BackupName = backupName, BlobEndpoint = location.BlobEndpoint };   // no Uri: no blob yet
                        backups.Add(entry);
                    }
                    Join(entry, shared.Share(read[i], entry.BackupName));
                }
                foreach (ApimBackup legacy in backups.Where(b => b.Manifest == null)) Join(legacy, null);
                foreach (ApimBackup entry in backups) entry.HasSnapshot = snapshots.Contains(BackupManifest.SnapshotNameFor(entry.BackupName));
                foreach (string marked in markers)
                {
                    if (byName.TryGetValue(marked, out ApimBackup? inUse)) inUse.ActiveRestores++;
                }
                return (IReadOnlyList<ApimBackup>)backups.OrderByDescending(b => b.Created).ThenBy(b => b.BackupName, StringComparer.Ordinal).ToList();
            });

        /// <summary>Whether a backup of this name — its blob, or its manifest (a backup still running) — is already in the container.</summary>
        public static Task<bool> ExistsAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
            => CallAsync(location, async container =>
            {
                Task<Response<bool>> blob = container.GetBlobClient(backupName).ExistsAsync(cancellationToken);
                Task<Response<bool>> manifest = container.GetBlobClient(BackupManifest.NameFor(backupName)).ExistsAsync(cancellationToken);
                return (await blob.ConfigureAwait(false)).Value || (await manifest.ConfigureAwait(false)).Value;
            });

        /// <summary>
        /// Marks the backup a restore reads as in use (docs/design.md, "Never remove a backup in use"): the blob
        /// <c>&lt;backup&gt;.apimdr-restore-&lt;correlation id&gt;.json</c> holding the restore's record, so any
        /// machine's Remove-ApimBackup spares the backup until a wait sees the restore end and removes the mark.
        /// </summary>
        public static Task WriteRestoreMarkerAsync(StorageLocation location, ApimOperation restore, CancellationToken cancellationToken)
            => UploadAsync(location, BackupManifest.RestoreMarkerNameFor(restore.BackupName, restore.CorrelationId), System.Text.Json.JsonSerializer.Serialize(restore), cancellationToken);

        /// <summary>Removes a restore's in-use mark (gone already is fine).</summary>
        public static Task DeleteRestoreMarkerAsync(StorageLocation location, ApimOperation restore, CancellationToken cancellationToken)
            => CallAsync(location, container => container.GetBlobClient(BackupManifest.RestoreMarkerNameFor(restore.BackupName, restore.CorrelationId))
                .DeleteIfExistsAsync(cancellationToken: cancellationToken));

        /// <summary>The restores that marked a backup as in use (their records, read through ApimOperation.FromProperties).</summary>
        public static Task<IReadOnlyList<ApimOperation>> ReadRestoreMarkersAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
            => CallAsync(location, async container =>
            {
                var restores = new List<ApimOperation>();
                await foreach (BlobItem item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, backupName, cancellationToken).ConfigureAwait(false))
                {
                    if (BackupManifest.BackupNameOfRestoreMarker(item.Name) != backupName) continue;
                    string? text = await TryDownloadTextAsync(container.GetBlobClient(item.Name), cancellationToken).ConfigureAwait(false);
                    if (text == null) continue;   // removed between the listing and the read
                    restores.Add(JsonRead.ToRecord(text, ApimOperation.FromProperties) ?? new ApimOperation { Kind = "Restore", BackupName = backupName, Status = ApimOperation.Unknown });   // a torn mark still marks
                }
                return (IReadOnlyList<ApimOperation>)restores;
            });

        /// <summary>Whether the backup blob itself exists.</summary>
        public static Task<bool> BlobExistsAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
            => CallAsync(location, async container => (await container.GetBlobClient(backupName).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value);

        /// <summary>Creates the container when it is missing (a backup creates it too).</summary>
        public static Task EnsureContainerAsync(StorageLocation location, CancellationToken cancellationToken)
            => CallAsync(location, container => container.CreateIfNotExistsAsync(cancellationToken: cancellationToken));

        /// <summary>Reads a blob's bytes as a stream (BackupNotFound when there is none).</summary>
        public static async Task<T> ReadBlobAsync<T>(StorageLocation location, string blobName, Func<Stream, Task<T>> read, CancellationToken cancellationToken)
        {
            try
            {
                return await CallAsync(location, async container =>
                {
                    using Stream stream = await container.GetBlobClient(blobName).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 1024 * 1024 }, cancellationToken).ConfigureAwait(false);
                    return await read(stream).ConfigureAwait(false);
                }).ConfigureAwait(false);
            }
            catch (ApimDrException ex) when (ex.HttpStatus == 404 && ex.ErrorId != ErrorIds.ContainerNotFound)
            {
                throw new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup '{blobName}' was not found in container '{location.ContainerName}' of storage account '{location.AccountName}'.", blobName, ex);
            }
        }

        /// <summary>
        /// Writes (or replaces) a backup's manifest blob, with the same record as its metadata (<see cref="BackupManifest.ToMetadata"/>)
        /// in the same request, so a listing reads every manifest without downloading one.
        /// </summary>
        public static Task WriteManifestAsync(StorageLocation location, ApimBackupManifest manifest, CancellationToken cancellationToken)
            => UploadAsync(location, BackupManifest.NameFor(manifest.BackupName), BackupManifest.ToJson(manifest), cancellationToken, BackupManifest.ToMetadata(manifest));

        /// <summary>A backup's manifest as stored now; null when there is none (or it is not one).</summary>
        public static Task<ApimBackupManifest?> ReadManifestAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
            => CallAsync(location, async container =>
                await TryDownloadTextAsync(container.GetBlobClient(BackupManifest.NameFor(backupName)), cancellationToken).ConfigureAwait(false) is string text ? BackupManifest.Parse(text) : null);

        /// <summary>
        /// Writes a JSON blob beside a backup. A missing container is created, as the backup itself creates
        /// it (docs/emulator.md, "backup … creates a missing container").
        /// </summary>
        private static Task UploadAsync(StorageLocation location, string blobName, string json, CancellationToken cancellationToken, IDictionary<string, string>? metadata = null)
            => CallAsync(location, async container =>
            {
                BlobClient blob = container.GetBlobClient(blobName);
                var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" }, Metadata = metadata };
                try
                {
                    return await blob.UploadAsync(BinaryData.FromString(json), options, cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException ex) when (ex.ErrorCode == "ContainerNotFound")
                {
                    await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    return await blob.UploadAsync(BinaryData.FromString(json), options, cancellationToken).ConfigureAwait(false);
                }
            });

        /// <summary>Appends one Test-ApimBackup result to the drill history beside the backups (a new blob each time; no secret in it).</summary>
        public static Task WriteTestResultAsync(StorageLocation location, ApimBackupTestResult result, CancellationToken cancellationToken)
            => UploadAsync(location, BackupTestHistory.NameFor(result, Guid.NewGuid()), BackupTestHistory.ToJson(result), cancellationToken);

        /// <summary>
        /// The newest recorded test of each source folder of the drill history (names sort by time, so one
        /// listing and one download per source); a result that cannot be read is skipped for the one before it.
        /// An empty list when there is no history (or no container).
        /// </summary>
        public static Task<IReadOnlyList<ApimBackupTestResult>> ReadLastTestsAsync(StorageLocation location, CancellationToken cancellationToken)
            => ReadTestsAsync(location, null, 1, cancellationToken);

        /// <summary>
        /// Up to <paramref name="perSource"/> newest recorded tests of each source folder (of one source when
        /// <paramref name="sourceServiceName"/> is given), newest first per source; unreadable results are skipped.
        /// </summary>
        public static Task<IReadOnlyList<ApimBackupTestResult>> ReadTestsAsync(StorageLocation location, string? sourceServiceName, int perSource, CancellationToken cancellationToken)
            => CallAsync(location, async container =>
            {
                string prefix = sourceServiceName == null ? BackupTestHistory.Prefix : BackupTestHistory.FolderFor(sourceServiceName);
                var names = new List<string>();
                try
                {
                    await foreach (BlobItem item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).ConfigureAwait(false)) names.Add(item.Name);
                }
                catch (RequestFailedException ex) when (ex.ErrorCode == "ContainerNotFound")
                {
                    return (IReadOnlyList<ApimBackupTestResult>)Array.Empty<ApimBackupTestResult>();
                }
                var found = new List<ApimBackupTestResult>();
                foreach (IGrouping<string?, string> folder in names.GroupBy(BackupTestHistory.SourceOf, StringComparer.OrdinalIgnoreCase).Where(g => g.Key != null))
                {
                    int taken = 0;
                    foreach (string name in folder.OrderByDescending(n => n, StringComparer.Ordinal))
                    {
                        if (taken >= perSource) break;
                        if (await TryDownloadTextAsync(container.GetBlobClient(name), cancellationToken).ConfigureAwait(false) is string text && BackupTestHistory.Parse(text) is ApimBackupTestResult result)
                        {
                            found.Add(result);
                            taken++;
                        }
                    }
                }
                return (IReadOnlyList<ApimBackupTestResult>)found;
            });

        /// <summary>Stores the configuration snapshot taken for a backup beside it (JSON, no secret: secrets are salted HMACs).</summary>
        public static Task WriteSnapshotAsync(StorageLocation location, string backupName, ApimConfiguration snapshot, CancellationToken cancellationToken)
            => UploadAsync(location, BackupManifest.SnapshotNameFor(backupName), ConfigurationJson.Serialize(snapshot), cancellationToken);

        /// <summary>The configuration snapshot stored beside a backup; null when there is none.</summary>
        public static Task<ApimConfiguration?> ReadSnapshotAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
        {
            string name = BackupManifest.SnapshotNameFor(backupName);
            return CallAsync(location, async container =>
                await TryDownloadTextAsync(container.GetBlobClient(name), cancellationToken).ConfigureAwait(false) is string text ? ConfigurationJson.Parse(text, name) : null);
        }

        /// <summary>
        /// Fills an entry from its manifest (else the blob metadata earlier versions wrote after a success).
        /// Status: what the manifest recorded when a wait saw the end; a manifest still InProgress whose
        /// backup blob was written after the backup started is Succeeded — APIM commits the backup blob as
        /// the operation's last step and writes none for a failed one (docs/design.md, "Backup manifest").
        /// </summary>
        private static void Join(ApimBackup entry, ApimBackupManifest? manifest)
        {
            bool exists = entry.Uri != null;
            entry.Manifest = manifest;
            entry.HasManifest = manifest != null;
            if (manifest == null)
            {
                entry.SourceServiceName = entry.SourceServiceId?.Substring(entry.SourceServiceId.LastIndexOf('/') + 1);
                entry.Status = entry.SourceServiceId != null ? ApimOperation.Succeeded : null;
                entry.ExpiresOn = entry.Created + BackupMetadata.Lifetime;
                return;
            }
            entry.SourceServiceId = manifest.SourceServiceId;
            entry.SourceServiceName = manifest.SourceServiceName.Length > 0 ? manifest.SourceServiceName : manifest.SourceServiceId.Substring(manifest.SourceServiceId.LastIndexOf('/') + 1);
            entry.SourceSku = manifest.SourceSku ?? entry.SourceSku;
            entry.SourceCapacity = manifest.SourceCapacity;
            entry.PollUrl = manifest.PollUrl;
            entry.StartTime = manifest.StartTime;
            entry.EndTime = manifest.EndTime;
            entry.CorrelationId = manifest.CorrelationId;
            entry.FollowUps = manifest.FollowUps;
            entry.ReplicaOf = manifest.ReplicaOf;
            entry.Replicas = manifest.Replicas;
            entry.ContentMd5 = manifest.ContentMd5;
            if (!exists) entry.Created = DateTime.SpecifyKind(manifest.StartTime, DateTimeKind.Utc);
            if (manifest.BackupCreated is DateTime original) entry.Created = original;   // a replica: the 30 days run from the original backup
            entry.ExpiresOn = entry.Created + BackupMetadata.Lifetime;
            bool recordedEnd = !string.Equals(manifest.Status, ApimOperation.InProgress, StringComparison.OrdinalIgnoreCase);
            if (recordedEnd) entry.Status = manifest.Status;
            else if (exists && entry.Created >= manifest.StartTime - ClockSkew) entry.Status = ApimOperation.Succeeded;
            else entry.Status = ApimOperation.InProgress;
        }

        /// <summary>
        /// One string for each text the manifests of a listing repeat (the source, its SKU and region, the status, the
        /// format and version stamps; the backup's name, which the entry holds already): 5,000 backups of a few services
        /// then hold a few copies of each, not 5,000 (docs/design.md, "The catalog's memory").
        /// </summary>
        private sealed class SharedText
        {
            private readonly Dictionary<string, string> _seen = new Dictionary<string, string>(StringComparer.Ordinal);

            public ApimBackupManifest? Share(ApimBackupManifest? manifest, string backupName)
            {
                if (manifest == null) return null;
                if (manifest.BackupName == backupName) manifest.BackupName = backupName;
                manifest.Schema = Of(manifest.Schema);
                manifest.SourceServiceId = Of(manifest.SourceServiceId);
                manifest.SourceServiceName = Of(manifest.SourceServiceName);
                manifest.SourceSku = OfAny(manifest.SourceSku);
                manifest.Location = OfAny(manifest.Location);
                manifest.PlatformVersion = OfAny(manifest.PlatformVersion);
                manifest.Status = Of(manifest.Status);
                manifest.ErrorCode = OfAny(manifest.ErrorCode);
                manifest.ApimDrVersion = Of(manifest.ApimDrVersion);
                return manifest;
            }

            private string Of(string text)
            {
                if (_seen.TryGetValue(text, out string? first)) return first;
                _seen.Add(text, text);
                return text;
            }

            private string? OfAny(string? text) => text == null ? null : Of(text);
        }

        /// <summary>How far storage's clock and the clock that stamped the manifest may disagree.</summary>
        private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

        /// <summary>
        /// One manifest of a listing: null when it is gone, not a manifest, or cannot be downloaded — then with a
        /// warning: that entry lists without its manifest's fields, the other backups still list.
        /// </summary>
        private static async Task<ApimBackupManifest?> TryReadManifestAsync(StorageLocation location, BlobContainerClient container, string manifestName, Action<string>? warn, CancellationToken cancellationToken)
        {
            try
            {
                return await TryDownloadTextAsync(container.GetBlobClient(manifestName), cancellationToken).ConfigureAwait(false) is string text ? BackupManifest.Parse(text) : null;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) && (ex is RequestFailedException || ex is AggregateException))
            {
                ApimDrException error = Map(ex, location);
                warn?.Invoke($"The manifest '{manifestName}' could not be read ({error.ErrorId}: {error.Message}); that backup lists without its source, SKU and status.");
                return null;
            }
        }

        /// <summary>A blob's text; null when it does not exist (404).</summary>
        private static async Task<string?> TryDownloadTextAsync(BlobClient blob, CancellationToken cancellationToken)
        {
            try
            {
                return (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToString();
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }

        /// <summary>Reads one backup's properties and metadata (BackupNotFound when it does not exist).</summary>
        public static async Task<ApimBackup> GetAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
        {
            try
            {
                return await CallAsync(location, async container =>
                {
                    BlobClient blob = container.GetBlobClient(backupName);
                    BlobProperties p = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                    var entry = new ApimBackup
                    {
                        StorageAccountName = location.AccountName,
                        ContainerName = location.ContainerName,
                        BackupName = backupName,
                        Created = p.CreatedOn.UtcDateTime,
                        SizeBytes = p.ContentLength,
                        SourceServiceId = Lookup(p.Metadata, BackupMetadata.SourceServiceId),
                        SourceSku = Lookup(p.Metadata, BackupMetadata.SourceSku),
                        BlobEndpoint = location.BlobEndpoint,
                        Uri = blob.Uri,
                    };
                    Join(entry, await TryReadManifestAsync(location, container, BackupManifest.NameFor(backupName), null, cancellationToken).ConfigureAwait(false));
                    entry.HasSnapshot = (await container.GetBlobClient(BackupManifest.SnapshotNameFor(backupName)).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;
                    return entry;
                }).ConfigureAwait(false);
            }
            catch (ApimDrException ex) when (ex.HttpStatus == 404 && ex.ErrorId != ErrorIds.ContainerNotFound)
            {
                throw new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup '{backupName}' was not found in container '{location.ContainerName}' of storage account '{location.AccountName}'.", backupName, ex)
                {
                    HttpStatus = ex.HttpStatus,
                    ArmCode = ex.ArmCode,
                };
            }
        }

        /// <summary>Deletes one backup blob with its snapshots, then its manifest; a blob already gone is not an error.</summary>
        public static Task<bool> DeleteAsync(StorageLocation location, string backupName, CancellationToken cancellationToken)
            => CallAsync(location, async container =>
            {
                Response<bool> deleted = await container.GetBlobClient(backupName).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
                await container.GetBlobClient(BackupManifest.NameFor(backupName)).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                await container.GetBlobClient(BackupManifest.SnapshotNameFor(backupName)).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                return deleted.Value;
            });

        /// <summary>
        /// Every storage call of the catalog: the container client (credentials checked), and ONE mapping of what
        /// Azure.Storage.Blobs throws to ApimDr ErrorIds — no token, a refusal, a 5xx, storage unreachable (the
        /// SDK's retries give up with an AggregateException) — so no .NET exception reaches the user.
        /// </summary>
        internal static async Task<T> CallAsync<T>(StorageLocation location, Func<BlobContainerClient, Task<T>> call)
        {
            BlobContainerClient container = CreateContainerClient(location);
            try
            {
                return await call(container).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuthenticationFailedException || ex is RequestFailedException || ex is AggregateException)
            {
                throw Map(ex, location);
            }
        }

        private static ApimDrException Map(Exception ex, StorageLocation location) => ex switch
        {
            AuthenticationFailedException auth => NoStorageToken(auth, location),
            RequestFailedException failed when failed.Status != 0 => MapStorageError(failed, location),
            AggregateException many when many.InnerExceptions.Count == 1 && !(many.InnerExceptions[0] is AggregateException) => Map(many.InnerExceptions[0], location),
            _ => new ApimDrException(ErrorIds.StorageUnreachable, ApimErrorCategory.ConnectionError,
                $"Storage account '{location.AccountName}' could not be reached at {SafeUrl.Origin(location.BlobEndpoint)} ({Innermost(ex).Message}). Check the endpoint, the network path and the account's firewall.", location.AccountName, ex),
        };

        private static Exception Innermost(Exception ex)
        {
            while (ex.InnerException != null) ex = ex.InnerException;
            return ex;
        }

        internal static BlobContainerClient CreateContainerClient(StorageLocation location)
        {
            location.ValidateCredentials();   // never a Storage token over plain http
            BlobClientOptions options = ClientOptions();
            Uri containerUri = location.ContainerUri;
            if (location.AccountKey != null)
            {
                var key = new StorageSharedKeyCredential(location.AccountName, SecureStrings.ToPlainText(location.AccountKey));
                return new BlobContainerClient(containerUri, key, options);
            }
            return new BlobContainerClient(containerUri, CredentialFactory.GetShared(location.Credentials, location.Cloud), options);
        }

        /// <summary>The storage client's options, also those of the catalog's own listing requests (<see cref="BlobListing"/>).</summary>
        private static BlobClientOptions ClientOptions()
        {
            var options = new BlobClientOptions();
            options.Retry.MaxRetries = 3;
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
            // Diagnostics go through ApimDr's own redacting logger, never Azure's event source.
            options.Diagnostics.IsLoggingEnabled = false;
            options.Diagnostics.IsTelemetryEnabled = false;
            options.Diagnostics.IsDistributedTracingEnabled = false;   // no DiagnosticListener/ActivitySource per client
            return options;
        }

        /// <summary>The blob metadata the catalog reads in its listing: the manifest's record, and what ApimDr 0.1 wrote on a backup blob.</summary>
        private static readonly string[] ListedMetadata = { BackupManifest.MetadataName, BackupMetadata.SourceServiceId, BackupMetadata.SourceSku };

        private static ApimBackup ToBackup(StorageLocation location, string blobUriPrefix, ListedBlob item)
        {
            IDictionary<string, string>? metadata = item.Metadata;
            return new ApimBackup
            {
                StorageAccountName = location.AccountName,
                ContainerName = location.ContainerName,
                BackupName = item.Name,
                Created = item.Created,
                SizeBytes = item.SizeBytes,
                SourceServiceId = Lookup(metadata, BackupMetadata.SourceServiceId),
                SourceSku = Lookup(metadata, BackupMetadata.SourceSku),
                BlobEndpoint = location.BlobEndpoint,
                Uri = new Uri(blobUriPrefix + Uri.EscapeDataString(item.Name).Replace("%2F", "/")),
            };
        }

        private static string? Lookup(IDictionary<string, string>? metadata, string key)
        {
            if (metadata == null) return null;
            foreach (var pair in metadata)
            {
                if (string.Equals(pair.Key, key, StringComparison.OrdinalIgnoreCase)) return pair.Value;
            }
            return null;
        }

        /// <summary>No Storage token could be had (no key given, no usable identity): an error, not a .NET exception.</summary>
        internal static ApimDrException NoStorageToken(AuthenticationFailedException ex, StorageLocation location)
            => new ApimDrException(ErrorIds.AuthenticationFailed, ApimErrorCategory.AuthenticationError,
                $"No storage account key was given for '{location.AccountName}' and ApimDr could not get a Storage token: {ex.Message} Pass -StorageAccountKey, or sign in (Connect-AzAccount) with an identity that has 'Storage Blob Data Reader' or better.",
                location.AccountName, ex);

        internal static ApimDrException MapStorageError(RequestFailedException ex, StorageLocation location)
        {
            string code = ex.ErrorCode ?? string.Empty;
            string where = SafeUrl.Render(location.ContainerUri);
            ApimDrException error;
            if (code == "ContainerNotFound")
            {
                error = new ApimDrException(ErrorIds.ContainerNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Container '{location.ContainerName}' does not exist in storage account '{location.AccountName}' ({where}).", location.ContainerName, ex);
            }
            else if (code == "BlobNotFound")
            {
                error = new ApimDrException(ErrorIds.BackupNotFound, ApimErrorCategory.ObjectNotFound,
                    $"Backup blob not found in container '{location.ContainerName}' of storage account '{location.AccountName}'.", location.ContainerName, ex);
            }
            else if (ex.Status == 401 || ex.Status == 403)
            {
                error = new ApimDrException(ErrorIds.StorageAccessDenied, ApimErrorCategory.PermissionDenied,
                    $"Storage account '{location.AccountName}' refused access to container '{location.ContainerName}' ({ex.Status} {code}). Check the account key, or that the identity has 'Storage Blob Data Reader' or better.", location.ContainerName, ex);
            }
            else
            {
                error = new ApimDrException(ErrorIds.StorageRequestFailed, ApimErrorCategory.NotSpecified,
                    $"Storage request to '{where}' failed: {ex.Status} {code}.", location.ContainerName, ex);
            }
            error.HttpStatus = ex.Status;
            error.ArmCode = code;
            return error;
        }
    }
}
