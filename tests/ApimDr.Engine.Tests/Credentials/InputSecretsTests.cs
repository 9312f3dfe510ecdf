using System.Linq;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.CredentialChecks
{
    /// <summary>A malformed storage key or access token is refused before any request, and never shown.</summary>
    public class InputSecretsTests
    {
        [Theory]
        [InlineData("not-base64-hunter2!")]
        [InlineData("hunter2")]
        [InlineData("U3RvcmFnZUtleVNlY3JldFZhbHVlMTIzNDU2Nzg5MA=")]
        [InlineData("U3RvcmFnZUtleVNl Y3JldFZhbHVlMTIzNDU2Nzg5MA==")]
        [InlineData("   ")]
        public void ARequestWithAMalformedKeyFailsValidation(string key)
        {
            BackupRestoreRequest request = KeyRequest();
            var ex = Assert.Throws<ApimDrException>(() => request.Location.AccountKey = Secure(key));   // the location refuses it: no request can carry it
            Assert.Equal(ErrorIds.InvalidStorageAccountKey, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains("backupstore", ex.Message);
            if (key.Trim().Length > 0) Assert.DoesNotContain(key.Trim(), ex.ToString());
        }

        [Fact]
        public void AValidKeyPasses() => KeyRequest().Validate();

        /// <summary>Before: the malformed key was POSTed to ARM. Now the client refuses it without a request.</summary>
        [Fact]
        public async Task AMalformedKeyIsNeverPostedToArm()
        {
            var clock = new VirtualClock();
            var transport = new FakeArmTransport(clock, r => Accepted(Location()));
            using ArmClient client = Client(clock, transport);
            BackupRestoreRequest request = KeyRequest();

            var ex = await Assert.ThrowsAsync<ApimDrException>(() => Run(clock, Task.Run(() =>
            {
                request.Location.AccountKey = Secure("not-base64-hunter2!");   // refused where it is taken
                return client.StartBackupAsync(Service(), request, default);
            })));

            Assert.Equal(ErrorIds.InvalidStorageAccountKey, ex.ErrorId);
            Assert.Empty(transport.Requests);
        }

        [Theory]
        [InlineData("")]
        [InlineData(" ")]
        [InlineData("\t  ")]
        public void AnEmptyAccessTokenIsRefused(string token)
        {
            var ex = Assert.Throws<ApimDrException>(() => CredentialSource.ValidateAccessToken(Secure(token)));
            Assert.Equal(ErrorIds.InvalidAccessToken, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains("is empty", ex.Message);
        }

        [Theory]
        [InlineData("Bearer eyJhunter2.x.y", "'Bearer '")]
        [InlineData("eyJhunter2.x.y more", "whitespace")]
        [InlineData("eyJhunter2.x.y\r\nX-Injected: 1", "whitespace or a line break")]
        // Before: the SecureString was read up to its first NUL, so "eyJ…\0hunter2" passed as "eyJ…".
        [InlineData("eyJhunter2.x.y\0", "U+0000")]
        [InlineData("eyJhunter2\0.x.y", "U+0000")]
        [InlineData("\0", "U+0000")]
        [InlineData("eyJhunter2.x.y\u007F", "U+007F")]
        [InlineData("eyJhunter2.x.y\u0085", "whitespace")]
        [InlineData("eyJhunter2.x.y\u200B", "outside printable ASCII")]
        [InlineData("eyJhunter2.x.\u00E9", "outside printable ASCII")]
        public void ATokenThatCannotBeABearerTokenIsRefusedWithoutShowingIt(string token, string reason)
        {
            var ex = Assert.Throws<ApimDrException>(() => CredentialSource.ValidateAccessToken(Secure(token)));
            Assert.Equal(ErrorIds.InvalidAccessToken, ex.ErrorId);
            Assert.Contains(reason, ex.Message);
            Assert.DoesNotContain("hunter2", ex.ToString());
        }

        [Fact]
        public void ANulInAStorageKeyIsNotCutOff()
            => Assert.Equal(ErrorIds.InvalidStorageAccountKey,
                Assert.Throws<ApimDrException>(() => StorageKeys.Validate(Secure("aHVudGVyMg==\0aHVudGVyMg=="), "devstoreaccount1")).ErrorId);

        [Fact]
        public void NoTokenOrAWellFormedTokenPasses()
        {
            CredentialSource.ValidateAccessToken(null);
            CredentialSource.ValidateAccessToken(Secure(StaticToken));
            CredentialSource.ValidateAccessToken(Secure(Jwt(System.DateTimeOffset.UtcNow.AddHours(1))));
        }
    }
}
