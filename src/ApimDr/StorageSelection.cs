using System;
using System.Collections.Generic;
using System.Security;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Storage;

namespace ApimDr
{
    /// <summary>The storage parameters a cmdlet binds (from the command line, or by property name from piped objects).</summary>
    internal interface IStorageSelection
    {
        string StorageAccountName { get; }
        string ContainerName { get; }
        SecureString? StorageAccountKey { get; }
        Uri? BlobEndpoint { get; }
    }

    /// <summary>
    /// Where the backups are — the twin of <see cref="ServiceSelection"/>, and the ONE place any cmdlet turns
    /// storage parameters, piped objects or a saved operation into a validated <see cref="StorageLocation"/>:
    /// names checked, a blob endpoint read from data used only when it is the account's standard host in the
    /// cloud (else UntrustedEndpoint: nothing is sent there), the account key when given, else a Storage token
    /// from the identity order — never the ARM -AccessToken (wrong audience, wrong host).
    /// </summary>
    internal static class StorageSelection
    {
        /// <summary>One input of a cmdlet: <paramref name="line"/> holds the parameters typed on the command line.</summary>
        public static StorageLocation Select(IStorageSelection input, ISet<string> line, CloudEnvironment cloud, CommandSession session)
            => At(input.StorageAccountName, input.ContainerName, input.BlobEndpoint, line.Contains(nameof(IStorageSelection.BlobEndpoint)), input.StorageAccountKey, cloud, session);

        /// <summary>
        /// The replica container of -ReplicaStorageAccountName/-ReplicaContainerName (+ key, endpoint typed on the
        /// command line): null when none of the four is given; ReplicaRequiresLocation when the key or endpoint
        /// comes without both names (Backup-ApimService, Test-ApimBackup, Get-ApimDrStatus).
        /// </summary>
        /// <summary>
        /// Where a CopyTo follow-up reaches a replica container (account, container come from the follow-up): the
        /// endpoint the user typed, else the account's standard host; the key, else a Storage token.
        /// </summary>
        public static Func<string, string, StorageLocation> ReplicaAt(Uri? typedEndpoint, SecureString? key, CloudEnvironment cloud, CommandSession session)
            => (account, container) => At(account, container, typedEndpoint, typedEndpoint != null, key, cloud, session);

        public static StorageLocation? Replica(string? account, string? container, SecureString? key, Uri? blobEndpoint, Func<CloudEnvironment> cloud, CommandSession session)
        {
            if (account == null && container == null && key == null && blobEndpoint == null) return null;
            if (string.IsNullOrEmpty(account) || string.IsNullOrEmpty(container))
            {
                throw new Engine.Errors.ApimDrException(Engine.Errors.ErrorIds.ReplicaRequiresLocation, Engine.Errors.ApimErrorCategory.InvalidArgument,
                    "A replica needs both -ReplicaStorageAccountName and -ReplicaContainerName (-ReplicaStorageAccountKey and -ReplicaBlobEndpoint only say how to reach it).", account ?? container);
            }
            return At(account!, container!, blobEndpoint, blobEndpoint != null, key, cloud(), session);
        }

        /// <summary>A location from its parts (a saved operation's record with the user's key and endpoint).</summary>
        public static StorageLocation At(string account, string container, Uri? blobEndpoint, bool endpointTyped, SecureString? key, CloudEnvironment cloud, CommandSession session)
            => new StorageLocation(account, container, cloud, blobEndpoint, endpointTyped) { AccountKey = key, Credentials = session.CreateCredentials(null) };
    }
}
