using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ApimDr.Emulator.Hosting;

/// <summary>
/// A per-run self-signed server certificate for 127.0.0.1/localhost, written as PEM into a directory
/// laid out like an OpenSSL hashed cert dir (&lt;subject-hash&gt;.0), so a process started with
/// SSL_CERT_DIR=&lt;dir&gt;:/etc/ssl/certs trusts it. The private key never touches the disk.
/// </summary>
public static class CertificateFactory
{
    public static X509Certificate2 Create(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        // Valid for a while around "now"; the emulator's advanceable clock never affects TLS.
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));
    }

    /// <summary>Writes emulator.pem and the &lt;hash&gt;.0 link (a copy where links are unavailable).</summary>
    public static string WriteTrustDirectory(X509Certificate2 certificate, string directory)
    {
        Directory.CreateDirectory(directory);
        var pemPath = Path.Combine(directory, "apimdr-emulator.pem");
        File.WriteAllText(pemPath, certificate.ExportCertificatePem() + "\n");
        var hashName = Path.Combine(directory, SubjectHash(certificate) + ".0");
        if (File.Exists(hashName)) File.Delete(hashName);
        try { File.CreateSymbolicLink(hashName, "apimdr-emulator.pem"); }
        catch (IOException) { File.Copy(pemPath, hashName); }
        return pemPath;
    }

    /// <summary>
    /// OpenSSL's X509_NAME_hash (what `openssl x509 -hash` prints): SHA-1 over the canonical encoding
    /// of the subject (each RDN SET re-encoded with UTF8String values, trimmed, whitespace collapsed,
    /// ASCII lower-cased, without the outer SEQUENCE); the first four bytes little-endian, as 8 hex digits.
    /// </summary>
    public static string SubjectHash(X509Certificate2 certificate)
    {
        var reader = new AsnReader(certificate.SubjectName.RawData, AsnEncodingRules.DER);
        var rdns = reader.ReadSequence();
        var canonical = new AsnWriter(AsnEncodingRules.DER);
        while (rdns.HasData)
        {
            var set = rdns.ReadSetOf();
            using (canonical.PushSetOf())
            {
                while (set.HasData)
                {
                    var ava = set.ReadSequence();
                    var oid = ava.ReadObjectIdentifier();
                    var tag = ava.PeekTag();
                    using (canonical.PushSequence())
                    {
                        canonical.WriteObjectIdentifier(oid);
                        if (tag.TagClass == TagClass.Universal && IsCanonicalisedString((UniversalTagNumber)tag.TagValue))
                        {
                            canonical.WriteCharacterString(UniversalTagNumber.UTF8String, Canonicalise(ava.ReadCharacterString((UniversalTagNumber)tag.TagValue)));
                        }
                        else
                        {
                            canonical.WriteEncodedValue(ava.ReadEncodedValue().Span);
                        }
                    }
                }
            }
        }
        var bytes = canonical.Encode();
        var sha1 = SHA1.HashData(bytes);
        uint value = (uint)(sha1[0] | sha1[1] << 8 | sha1[2] << 16 | sha1[3] << 24);
        return value.ToString("x8");
    }

    private static bool IsCanonicalisedString(UniversalTagNumber tag) => tag is UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString
        or UniversalTagNumber.IA5String or UniversalTagNumber.T61String or UniversalTagNumber.BMPString or UniversalTagNumber.UniversalString
        or UniversalTagNumber.VisibleString;

    private static string Canonicalise(string value)
    {
        var sb = new StringBuilder();
        bool space = false;
        foreach (var c in value.Trim())
        {
            if (char.IsWhiteSpace(c)) { space = true; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
        }
        return sb.ToString();
    }
}
