using System;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Security;
using Xunit;

namespace ApimDr.Engine.Tests.Security
{
    /// <summary>Any URL ApimDr prints (Verbose, warnings, errors, the request log) goes through SafeUrl.</summary>
    public class SafeUrlTests
    {
        [Theory]
        // A SAS: every parameter is redacted, not only the ones we know are secret.
        [InlineData("https://a.blob.core.windows.net/c/b?sv=2024-05-04&se=2026-01-01&sp=rw&skoid=o1d&sktid=t1d&skt=x&ske=y&sks=b&skv=2024&sr=b&sig=abc%2Bdef",
            "https://a.blob.core.windows.net/c/b?sv=REDACTED&se=REDACTED&sp=REDACTED&skoid=REDACTED&sktid=REDACTED&skt=REDACTED&ske=REDACTED&sks=REDACTED&skv=REDACTED&sr=REDACTED&sig=REDACTED")]
        [InlineData("https://f.azurewebsites.net/api/x?code=s3cret&key=k3y&token=t0ken", "https://f.azurewebsites.net/api/x?code=REDACTED&key=REDACTED&token=REDACTED")]
        [InlineData("https://management.azure.com/x/operationresults/abc==?api-version=2024-05-01", "https://management.azure.com/x/operationresults/abc==?api-version=2024-05-01")]
        [InlineData("https://user:p%40ss@management.azure.com:8443/x?api-version=1&t=secret", "https://management.azure.com:8443/x?api-version=1&t=REDACTED")]
        [InlineData("http://user@127.0.0.1:10000/devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1")]
        [InlineData("https://h/x#access_token=secret", "https://h/x#REDACTED")]
        [InlineData("https://h/x?sig=secret#frag", "https://h/x?sig=REDACTED#REDACTED")]
        [InlineData("https://h/", "https://h/")]
        [InlineData("", "")]
        public void RendersWithoutUserInfoOrSecretQueryValues(string url, string expected) => Assert.Equal(expected, SafeUrl.Render(url));

        [Fact]
        public void RendersAUriObjectTheSameWay()
        {
            Assert.Equal("https://h:8443/c?sig=REDACTED", SafeUrl.Render(new Uri("https://u:pw@h:8443/c?sig=secret")));
            Assert.Equal(string.Empty, SafeUrl.Render((Uri?)null));
        }

        [Theory]
        [InlineData("https://u:pw@h:8443/a/b?sig=x#y", "https://h:8443")]
        [InlineData("https://management.azure.com/", "https://management.azure.com:443")]
        [InlineData("http://127.0.0.1:10000/devstoreaccount1", "http://127.0.0.1:10000")]
        public void OriginIsSchemeHostAndPortOnly(string url, string expected) => Assert.Equal(expected, SafeUrl.Origin(new Uri(url)));

        [Fact]
        public void TheRequestLogUsesTheSameRule()
            => Assert.Equal(SafeUrl.Render("https://u:pw@h/x?api-version=1&sig=s"), ArmLogPolicy.SanitizeUrl("https://u:pw@h/x?api-version=1&sig=s"));
    }
}
