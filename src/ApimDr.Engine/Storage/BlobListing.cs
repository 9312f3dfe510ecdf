using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using ApimDr.Engine.Credentials;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace ApimDr.Engine.Storage
{
    /// <summary>One blob of a listing: what the catalog reads of it, nothing else.</summary>
    internal sealed class ListedBlob
    {
        public string Name { get; set; } = string.Empty;

        /// <summary>The blob's creation time (its last modification when storage gives none), UTC.</summary>
        public DateTime Created { get; set; }
        public long SizeBytes { get; set; }

        /// <summary>Only the metadata the caller asked for (names ignore case); null when the blob has none of them.</summary>
        public IDictionary<string, string>? Metadata { get; set; }
    }

    /// <summary>
    /// List Blobs with metadata (5,000 blobs a page, as storage sends them), each page read as a stream with an
    /// XmlReader while it arrives, keeping only the name, creation time, size and the metadata the caller names
    /// (docs/design.md, "The catalog's memory"). Azure.Storage.Blobs' GetBlobsAsync buffers each page (several MB of
    /// XML at 5,000 blobs with manifests), loads it into an XDocument and makes a BlobItem of every blob: at 5,000
    /// backups that was most of Get-ApimBackup's memory. The requests are the same (one per page); they go through
    /// an Azure.Core pipeline with the storage client's own options (retries, timeout, no logging): with a key, a
    /// list-only container SAS made by the SDK from that key, in this process only; else the Storage token.
    /// </summary>
    internal static class BlobListing
    {
        /// <summary>The Blob service version of the listing requests (2019-02-02 or later gives Creation-Time).</summary>
        private const string ServiceVersion = "2021-12-02";

        /// <summary>How long the listing's SAS is valid: long enough for a listing of very many pages and a local clock somewhat behind.</summary>
        private static readonly TimeSpan SasLifetime = TimeSpan.FromHours(2);

        /// <summary>A page whose body is cut off (connection reset, read timeout) is read again from its marker, this many times in all.</summary>
        private const int PageAttempts = 3;

        /// <summary>
        /// Calls <paramref name="onBlob"/> for every blob under <paramref name="prefix"/> as it is read, so no page is held
        /// whole; a page read again (its body was cut off) hands over only the blobs it had not handed yet. A failed request throws
        /// RequestFailedException (as the SDK does), for <see cref="BackupCatalog"/>'s one mapping to ErrorIds.
        /// </summary>
        public static async Task ReadAsync(StorageLocation location, BlobContainerClient container, BlobClientOptions options, string? prefix,
            IReadOnlyCollection<string> metadataNames, Action<ListedBlob> onBlob, CancellationToken cancellationToken)
        {
            string? sas = null;
            HttpPipeline pipeline;
            if (location.AccountKey != null)
            {
                sas = container.GenerateSasUri(BlobContainerSasPermissions.List, DateTimeOffset.UtcNow + SasLifetime).Query.TrimStart('?');
                pipeline = HttpPipelineBuilder.Build(options);
            }
            else
            {
                pipeline = HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(CredentialFactory.GetShared(location.Credentials, location.Cloud), location.Cloud.StorageScope));
            }
            var wanted = new HashSet<string>(metadataNames, StringComparer.OrdinalIgnoreCase);
            string baseUri = location.ContainerUri.AbsoluteUri.TrimEnd('/') + "?restype=container&comp=list&include=metadata"
                + (string.IsNullOrEmpty(prefix) ? string.Empty : "&prefix=" + Uri.EscapeDataString(prefix));
            string? marker = null;
            var handed = new HashSet<string>(StringComparer.Ordinal);   // the names of this page handed over already
            do
            {
                handed.Clear();
                Action<ListedBlob> once = blob =>
                {
                    if (handed.Add(blob.Name)) onBlob(blob);
                };
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        marker = await ReadPageAsync(pipeline, baseUri, marker, sas, wanted, once, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (Exception) when (cancellationToken.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(cancellationToken);   // stopped (Ctrl+C) while a page was read: not a cut-off
                    }
                    catch (Exception ex) when (IsCutOff(ex))
                    {
                        if (attempt >= PageAttempts) throw new RequestFailedException("The listing's response was cut off.", ex);
                    }
                }
            }
            while (!string.IsNullOrEmpty(marker));
        }

        /// <summary>A body that broke off while it was read, or stalled past the network timeout (the request itself is retried by the pipeline).</summary>
        private static bool IsCutOff(Exception ex)
            => ex is IOException || ex is XmlException || ex is HttpRequestException || ex is OperationCanceledException;

        /// <summary>Reads one page, handing each blob to <paramref name="onBlob"/>; returns the next page's marker (null or empty at the end).</summary>
        private static async Task<string?> ReadPageAsync(HttpPipeline pipeline, string baseUri, string? marker, string? sas, HashSet<string> wanted, Action<ListedBlob> onBlob, CancellationToken cancellationToken)
        {
            using HttpMessage message = pipeline.CreateMessage();
            message.BufferResponse = false;   // the page is parsed as it arrives, never held whole
            message.Request.Method = RequestMethod.Get;
            message.Request.Uri.Reset(new Uri(baseUri
                + (string.IsNullOrEmpty(marker) ? string.Empty : "&marker=" + Uri.EscapeDataString(marker))
                + (sas == null ? string.Empty : "&" + sas)));
            message.Request.Headers.SetValue("x-ms-version", ServiceVersion);
            message.Request.Headers.SetValue("Accept", "application/xml");
            await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            Response response = message.Response;
            if (response.Status != 200)
            {
                // Storage names the failure in x-ms-error-code (what the SDK reads too): ContainerNotFound, AuthenticationFailed, …
                string? code = response.Headers.TryGetValue("x-ms-error-code", out string? header) ? header : null;
                throw new RequestFailedException(response.Status, $"Listing the container failed: {response.Status} {code}.", code, null);
            }
            // The XmlReader's reads take no token: a stop (Ctrl+C) ends the response under them.
            using CancellationTokenRegistration stop = cancellationToken.Register(response.Dispose);
            using Stream stream = response.ContentStream ?? Stream.Null;
            using XmlReader reader = XmlReader.Create(stream, new XmlReaderSettings { Async = true, IgnoreWhitespace = true, IgnoreComments = true, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            string? next = null;
            ListedBlob? blob = null;
            DateTime? created = null, modified = null;
            string section = string.Empty;
            bool more = await reader.ReadAsync().ConfigureAwait(false);
            while (more)
            {
                if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == 2 && reader.LocalName == "Blob" && blob != null)
                {
                    blob.Created = created ?? modified ?? DateTime.MinValue;
                    onBlob(blob);
                    blob = null;
                }
                else if (reader.NodeType == XmlNodeType.Element)
                {
                    string name = reader.LocalName;
                    int depth = reader.Depth;
                    if (depth == 1 && name == "NextMarker")
                    {
                        next = await reader.ReadElementContentAsStringAsync().ConfigureAwait(false);
                        more = !reader.EOF;
                        continue;
                    }
                    if (depth == 2 && name == "Blob")
                    {
                        blob = new ListedBlob();
                        created = modified = null;
                    }
                    else if (blob != null && depth == 3)
                    {
                        section = name;
                        if (name == "Name")
                        {
                            bool encoded = reader.GetAttribute("Encoded") == "true";
                            string text = await reader.ReadElementContentAsStringAsync().ConfigureAwait(false);
                            blob.Name = encoded ? Uri.UnescapeDataString(text) : text;
                            more = !reader.EOF;
                            continue;
                        }
                    }
                    else if (blob != null && depth == 4)
                    {
                        string? value = null;
                        if (section == "Properties" && (name == "Creation-Time" || name == "Last-Modified" || name == "Content-Length"))
                        {
                            value = await reader.ReadElementContentAsStringAsync().ConfigureAwait(false);
                            if (name == "Content-Length") blob.SizeBytes = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long size) ? size : 0;
                            else if (DateTimeOffset.TryParseExact(value, "R", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset at))
                            {
                                if (name == "Creation-Time") created = at.UtcDateTime;
                                else modified = at.UtcDateTime;
                            }
                        }
                        else if (section == "Metadata" && wanted.Contains(name))
                        {
                            value = await reader.ReadElementContentAsStringAsync().ConfigureAwait(false);
                            blob.Metadata ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                            blob.Metadata[name] = value;
                        }
                        if (value != null)
                        {
                            more = !reader.EOF;
                            continue;
                        }
                    }
                }
                more = await reader.ReadAsync().ConfigureAwait(false);
            }
            return next;
        }
    }
}
