using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Errors;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;

namespace ApimDr.Engine.Storage
{
    /// <summary>How a replica's bytes got there: ServerSide (Copy Blob From URL / Copy Blob: no backup byte passes through ApimDr) or Streamed.</summary>
    public enum CopyMethod
    {
        AlreadyThere,
        ServerSide,
        Streamed,
    }

    /// <summary>
    /// Copies a backup — blob, configuration snapshot, manifest — to another account/container and verifies it
    /// (docs/design.md, "Replicas"). Order: the blob, its bytes checked against the MD5 recorded in the source's
    /// manifest, the snapshot, the replica's manifest LAST, so a replica without its manifest is never listed
    /// as verified; then the source's manifest records the replica.
    /// </summary>
    public static class BackupCopier
    {
        /// <summary>Blobs up to this size go by Copy Blob From URL (synchronous); larger ones by Copy Blob (asynchronous), polled.</summary>
        private const long SyncCopyLimit = 256L * 1024 * 1024;

        /// <summary>The streamed copy moves this much at a time (bounded memory, whatever the backup's size).</summary>
        private const int StreamChunk = 2 * 1024 * 1024;

        private static readonly TimeSpan CopyPollInterval = TimeSpan.FromSeconds(2);

        public static async Task<(ApimBackup Replica, CopyMethod Method)> CopyAsync(StorageLocation source, string backupName, StorageLocation destination,
            Action<string> warn, CancellationToken cancellationToken)
        {
            source.ValidateCredentials();
            destination.ValidateCredentials();
            ApimBackup original = await BackupCatalog.GetAsync(source, backupName, cancellationToken).ConfigureAwait(false);   // BackupNotFound
            string md5 = original.ContentMd5 ?? await RecordContentMd5Async(source, original, warn, cancellationToken).ConfigureAwait(false);
            string from = $"{source.AccountName}/{source.ContainerName}/{backupName}";

            ApimBackupManifest? existing = await BackupCatalog.ReadManifestAsync(destination, backupName, cancellationToken).ConfigureAwait(false);
            bool blobThere = await BackupCatalog.BlobExistsAsync(destination, backupName, cancellationToken).ConfigureAwait(false);
            CopyMethod method;
            if (blobThere || existing != null)
            {
                // Copying again onto the same backup completes it; onto a different one is refused (never overwrite a backup).
                bool same = existing?.ReplicaOf == from && existing.ContentMd5 == md5 || blobThere && existing == null && await ContentMd5Async(destination, backupName, cancellationToken).ConfigureAwait(false) == md5;
                if (!same)
                {
                    throw new ApimDrException(ErrorIds.BackupExists, ApimErrorCategory.ResourceExists,
                        $"Container '{destination.ContainerName}' of storage account '{destination.AccountName}' already holds a different backup named '{backupName}'; it was not overwritten. Copy into another container, or remove that backup first.", backupName);
                }
                method = CopyMethod.AlreadyThere;
            }
            else
            {
                method = await CopyBlobAsync(source, destination, backupName, original.SizeBytes, cancellationToken).ConfigureAwait(false);
            }

            // The check: the replica's bytes against the MD5 of the source's (read back, streaming).
            string copied = await ContentMd5Async(destination, backupName, cancellationToken).ConfigureAwait(false);
            if (copied != md5)
            {
                throw new ApimDrException(ErrorIds.BackupIntegrityFailed, ApimErrorCategory.InvalidData,
                    $"The copy of '{backupName}' in '{destination.AccountName}/{destination.ContainerName}' does not match the source's bytes (MD5 {copied}, expected {md5}); it has no manifest, so it is not listed as a verified replica. Copy it again.", backupName);
            }

            if (original.HasSnapshot)
            {
                ApimConfiguration? snapshot = await BackupCatalog.ReadSnapshotAsync(source, backupName, cancellationToken).ConfigureAwait(false);
                if (snapshot != null) await BackupCatalog.WriteSnapshotAsync(destination, backupName, snapshot, cancellationToken).ConfigureAwait(false);
            }

            ApimBackupManifest replica = ReplicaManifest(original, md5, from);
            await BackupCatalog.WriteManifestAsync(destination, replica, cancellationToken).ConfigureAwait(false);   // last: now it is a verified replica
            await RecordReplicaAsync(source, original, destination, warn, cancellationToken).ConfigureAwait(false);
            return (await BackupCatalog.GetAsync(destination, backupName, cancellationToken).ConfigureAwait(false), method);
        }

        /// <summary>The replica's manifest: the source's facts (service, SKU, capacity, location, the ORIGINAL creation time) and where it came from.</summary>
        private static ApimBackupManifest ReplicaManifest(ApimBackup original, string md5, string from)
        {
            ApimBackupManifest manifest = original.Manifest != null
                ? BackupManifest.Parse(BackupManifest.ToJson(original.Manifest))!   // a copy, through the one factory
                : new ApimBackupManifest { BackupName = original.BackupName, SourceServiceId = original.SourceServiceId ?? string.Empty, SourceServiceName = original.SourceServiceName ?? string.Empty, SourceSku = original.SourceSku };
            manifest.Status = original.Status ?? ApimOperation.Succeeded;
            manifest.FollowUps = Array.Empty<string>();   // the source's wait owns them
            manifest.ContentMd5 = md5;
            manifest.BackupCreated = original.Created;
            manifest.ReplicaOf = from;
            manifest.ReplicatedAt = DateTime.UtcNow;
            manifest.Replicas = Array.Empty<string>();
            return manifest;
        }

        /// <summary>The MD5 of a backup's bytes, computed once (streaming) and recorded in its manifest when it has one.</summary>
        private static async Task<string> RecordContentMd5Async(StorageLocation source, ApimBackup original, Action<string> warn, CancellationToken cancellationToken)
        {
            string md5 = await ContentMd5Async(source, original.BackupName, cancellationToken).ConfigureAwait(false);
            if (original.Manifest != null)
            {
                original.Manifest.ContentMd5 = md5;
                await TryUpdateSourceManifestAsync(source, original.Manifest, warn, cancellationToken).ConfigureAwait(false);
            }
            return md5;
        }

        /// <summary>The source's manifest lists the verified replica (retention on the primary can then tell what exists elsewhere).</summary>
        private static async Task RecordReplicaAsync(StorageLocation source, ApimBackup original, StorageLocation destination, Action<string> warn, CancellationToken cancellationToken)
        {
            ApimBackupManifest? manifest = await BackupCatalog.ReadManifestAsync(source, original.BackupName, cancellationToken).ConfigureAwait(false);
            if (manifest == null) return;
            string where = $"{destination.AccountName}/{destination.ContainerName}";
            if (manifest.Replicas.Contains(where, StringComparer.Ordinal) && manifest.ContentMd5 != null) return;
            manifest.Replicas = manifest.Replicas.Concat(new[] { where }).Distinct(StringComparer.Ordinal).ToArray();
            manifest.ContentMd5 ??= original.ContentMd5;
            await TryUpdateSourceManifestAsync(source, manifest, warn, cancellationToken).ConfigureAwait(false);
        }

        private static async Task TryUpdateSourceManifestAsync(StorageLocation source, ApimBackupManifest manifest, Action<string> warn, CancellationToken cancellationToken)
        {
            try
            {
                await BackupCatalog.WriteManifestAsync(source, manifest, cancellationToken).ConfigureAwait(false);
            }
            catch (ApimDrException ex)
            {
                warn($"The source manifest of '{manifest.BackupName}' could not be updated ({ex.ErrorId}: {ex.Message}); the replica itself is verified, but Remove-ApimBackup -OnlyIfReplicated will not count it.");
            }
        }

        /// <summary>Server-side when the source can be read by the destination's service (a read SAS from the source key); else streamed.</summary>
        private static async Task<CopyMethod> CopyBlobAsync(StorageLocation source, StorageLocation destination, string backupName, long size, CancellationToken cancellationToken)
        {
            BlobClient from = BackupCatalog.CreateContainerClient(source).GetBlobClient(backupName);
            BlobClient to = BackupCatalog.CreateContainerClient(destination).GetBlobClient(backupName);
            await BackupCatalog.EnsureContainerAsync(destination, cancellationToken).ConfigureAwait(false);
            if (from.CanGenerateSasUri)
            {
                // A read SAS for this one blob, valid one hour; never logged (the SDK's logging is off, and ApimDr prints URLs through SafeUrl).
                Uri readable = from.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
                try
                {
                    if (size <= SyncCopyLimit)
                    {
                        await to.SyncCopyFromUriAsync(readable, new BlobCopyFromUriOptions(), cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        CopyFromUriOperation copy = await to.StartCopyFromUriAsync(readable, new BlobCopyFromUriOptions(), cancellationToken).ConfigureAwait(false);
                        await copy.WaitForCompletionAsync(CopyPollInterval, cancellationToken).ConfigureAwait(false);
                    }
                    return CopyMethod.ServerSide;
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    // The destination's service cannot read the source (another Azurite instance, a firewall, a network rule), or the
                    // copy failed: stream it. Nothing of this failure is shown: its text may carry the SAS URL of the source.
                    await to.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
            await BackupCatalog.CallAsync(destination, async _ =>
            {
                await StreamAsync(from, to, cancellationToken).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            return CopyMethod.Streamed;
        }

        /// <summary>Reads the source and writes the destination in fixed chunks: memory stays bounded whatever the size.</summary>
        private static async Task StreamAsync(BlobClient from, BlobClient to, CancellationToken cancellationToken)
        {
            using Stream read = await from.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = StreamChunk }, cancellationToken).ConfigureAwait(false);
            var options = new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions { MaximumConcurrency = 1, InitialTransferSize = StreamChunk, MaximumTransferSize = StreamChunk },
            };
            await to.UploadAsync(read, options, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The MD5 of a blob's bytes (base64), read in chunks.</summary>
        public static Task<string> ContentMd5Async(StorageLocation location, string backupName, CancellationToken cancellationToken)
            => BackupCatalog.ReadBlobAsync(location, backupName, async stream =>
            {
                using var md5 = MD5.Create();
                byte[] buffer = new byte[81920];
                int read;
                while ((read = await stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    md5.TransformBlock(buffer, 0, read, null, 0);
                }
                md5.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                return Convert.ToBase64String(md5.Hash!);
            }, cancellationToken);
    }
}
