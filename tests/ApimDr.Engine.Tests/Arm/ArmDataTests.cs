using System.Linq;
using System;
using System.Text;
using System.Text.Json;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Tests.Fakes;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Clouds;
using Xunit;
using static ApimDr.Engine.Tests.Fakes.ArmTestKit;

namespace ApimDr.Engine.Tests.Arm
{
    public class ServiceIdTests
    {
        [Theory]
        [InlineData("/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/contoso-apim")]
        [InlineData("/SUBSCRIPTIONS/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourcegroups/rg-apim/PROVIDERS/microsoft.apimanagement/Service/contoso-apim/")]
        public void ParsesCaseInsensitivelyAndFormatsCanonically(string id)
        {
            ServiceId service = ServiceId.Parse(id);
            Assert.Equal(SubscriptionId, service.SubscriptionId);
            Assert.Equal("rg-apim", service.ResourceGroupName);
            Assert.Equal("contoso-apim", service.Name);
            Assert.Equal(ServicePath(), service.ResourceId);
        }

        [Theory]
        [InlineData("")]
        [InlineData("/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-apim")]
        [InlineData("/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-apim/providers/Microsoft.Web/sites/app")]
        [InlineData("/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/contoso/apis/echo")]
        [InlineData("subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/contoso")]
        public void RejectsWhatIsNotAServiceId(string id)
        {
            var error = Assert.Throws<ApimDrException>(() => ServiceId.Parse(id));
            Assert.Equal(ErrorIds.InvalidResourceId, error.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, error.Category);
            Assert.Contains("Microsoft.ApiManagement/service", error.Message);
        }

        [Theory]
        [InlineData("not-a-guid", "rg", "apim", ErrorIds.InvalidSubscriptionId)]
        [InlineData(SubscriptionId, "rg.", "apim", ErrorIds.InvalidResourceGroupName)]
        [InlineData(SubscriptionId, "rg", "1apim", ErrorIds.InvalidServiceName)]
        public void CreateValidatesEachPart(string subscription, string group, string name, string errorId)
        {
            Assert.Equal(errorId, Assert.Throws<ApimDrException>(() => ServiceId.Create(subscription, group, name)).ErrorId);
            Assert.Equal(errorId, Assert.Throws<ApimDrException>(() => ServiceId.Parse(ServicePath(name, subscription, group))).ErrorId);
        }
    }

    public class BackupRestoreRequestTests
    {
        private static BackupRestoreRequest Request(StorageAccessType type, string? key, string? clientId) => new()
        {
            Location = new StorageLocation("backupstore", "apim-backups", CloudEnvironment.AzureCloud) { AccountKey = key == null ? null : Secure(key) },
            BackupName = "b1",
            AccessType = type,
            ClientId = clientId,
        };

        [Theory]
        [InlineData(StorageAccessType.AccessKey, null, null, ErrorIds.AccessKeyRequired)]
        [InlineData(StorageAccessType.AccessKey, "a2V5", "2f0d8b8e-6b8a-4c3e-9f4a-0c7c2b1f6a11", ErrorIds.ConflictingAccessType)]
        [InlineData(StorageAccessType.SystemAssignedManagedIdentity, "a2V5", null, ErrorIds.ConflictingAccessType)]
        [InlineData(StorageAccessType.SystemAssignedManagedIdentity, null, "2f0d8b8e-6b8a-4c3e-9f4a-0c7c2b1f6a11", ErrorIds.ConflictingAccessType)]
        [InlineData(StorageAccessType.UserAssignedManagedIdentity, null, null, ErrorIds.IdentityClientIdRequired)]
        [InlineData(StorageAccessType.UserAssignedManagedIdentity, null, "/subscriptions/x/identity", ErrorIds.InvalidIdentityClientId)]
        [InlineData(StorageAccessType.UserAssignedManagedIdentity, "a2V5", "2f0d8b8e-6b8a-4c3e-9f4a-0c7c2b1f6a11", ErrorIds.ConflictingAccessType)]
        public void RejectsInconsistentAccess(StorageAccessType type, string? key, string? clientId, string errorId)
        {
            var error = Assert.Throws<ApimDrException>(() => Request(type, key, clientId).Validate());
            Assert.Equal(errorId, error.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, error.Category);
        }

        [Fact]
        public void AMissingKeyNamesTheRealParameter()
        {
            var error = Assert.Throws<ApimDrException>(() => Request(StorageAccessType.AccessKey, null, null).Validate());
            Assert.Contains("-StorageAccountKey", error.Message);
            Assert.DoesNotContain("-StorageAccessKey", error.Message);
        }

        [Fact]
        public void ValidatesTheStorageNames()
        {
            // Account and container are held (and checked) once, by the request's storage location.
            Assert.Equal(ErrorIds.InvalidStorageAccountName, Assert.Throws<ApimDrException>(() => new StorageLocation("https://backupstore.blob.core.windows.net", "apim-backups", CloudEnvironment.AzureCloud)).ErrorId);
            var request = Request(StorageAccessType.SystemAssignedManagedIdentity, null, null);
            request.BackupName = "folder/";
            Assert.Equal(ErrorIds.InvalidBackupName, Assert.Throws<ApimDrException>(request.Validate).ErrorId);
        }

        [Theory]
        [InlineData(StorageAccessType.AccessKey, "dGhlLWtleQ==", null, "AccessKey", true, false)]   // base64 of "the-key": keys must be base64
        [InlineData(StorageAccessType.SystemAssignedManagedIdentity, null, null, "SystemAssignedManagedIdentity", false, false)]
        [InlineData(StorageAccessType.UserAssignedManagedIdentity, null, "2f0d8b8e-6b8a-4c3e-9f4a-0c7c2b1f6a11", "UserAssignedManagedIdentity", false, true)]
        public void TheBodyAlwaysNamesTheAccessTypeAndEachSecretOnlyWhereItBelongs(StorageAccessType type, string? key, string? clientId, string accessType, bool hasKey, bool hasClientId)
        {
            BackupRestoreRequest request = Request(type, key, clientId);
            request.Validate();
            using JsonDocument body = JsonDocument.Parse(Encoding.UTF8.GetString(request.ToBody()));
            Assert.Equal(accessType, body.RootElement.GetProperty("accessType").GetString());
            Assert.Equal(hasKey, body.RootElement.TryGetProperty("accessKey", out _));
            Assert.Equal(hasClientId, body.RootElement.TryGetProperty("clientId", out JsonElement id));
            if (hasClientId) Assert.Equal(clientId, id.GetString());
            Assert.Equal("backupstore", body.RootElement.GetProperty("storageAccount").GetString());
        }
    }

    public class ArmErrorTests
    {
        [Theory]
        [InlineData("{\"error\":{\"code\":\"RestoreFailed\",\"message\":\"Cannot restore\",\"details\":null,\"innerError\":null}}", "RestoreFailed", "Cannot restore", null)]
        [InlineData("{\"error\":{\"code\":\"InvalidParameters\",\"message\":\"bad\",\"target\":\"backupContainerName\",\"details\":[{\"code\":\"x\"}],\"innerError\":{\"trace\":1}}}", "InvalidParameters", "bad", "backupContainerName")]
        [InlineData("{\"code\":\"Conflict\",\"message\":\"top level\"}", "Conflict", "top level", null)]
        [InlineData("{\"error\":{\"message\":\"no code\"}}", "Http400", "no code", null)]
        public void ParsesArmErrorsTolerantly(string body, string code, string message, string? target)
        {
            ArmError error = ArmError.Parse(body, 400);
            Assert.Equal(code, error.Code);
            Assert.Equal(message, error.Message);
            Assert.Equal(target, error.Target);
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData("<html><body>502 Bad Gateway</body></html>")]
        [InlineData("[1,2]")]
        [InlineData("{\"error\":null}")]
        [InlineData("{\"error\":{\"code\":")]
        public void NeverThrowsOnOddBodies(string? body)
        {
            ArmError error = ArmError.Parse(body, 502, "Bad Gateway");
            Assert.Equal("Http502", error.Code);
            Assert.StartsWith("HTTP 502 Bad Gateway", error.Message);
        }

        [Theory]
        [InlineData(401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time", ErrorIds.AuthenticationExpired, ApimErrorCategory.AuthenticationError)]
        [InlineData(401, "InvalidAuthenticationToken", "bad token", ErrorIds.AuthenticationFailed, ApimErrorCategory.AuthenticationError)]
        [InlineData(403, "AuthorizationFailed", "no", ErrorIds.AuthorizationFailed, ApimErrorCategory.PermissionDenied)]
        [InlineData(404, "ResourceNotFound", "gone", ErrorIds.ServiceNotFound, ApimErrorCategory.ObjectNotFound)]
        [InlineData(409, "Conflict", "busy", ErrorIds.ServiceBusy, ApimErrorCategory.ResourceBusy)]
        [InlineData(429, "SubscriptionRequestsThrottled", "slow", ErrorIds.Throttled, ApimErrorCategory.LimitsExceeded)]
        [InlineData(400, "RestoreFailed", "Cannot restore: backup expired", ErrorIds.BackupExpired, ApimErrorCategory.InvalidOperation)]
        [InlineData(400, "RestoreFailed", "Cannot restore: current SKU is 'StandardV2', backup SKU is 'Standard'", ErrorIds.SkuMismatch, ApimErrorCategory.InvalidOperation)]
        [InlineData(400, "InvalidParameters", "Parameter name: backupStorageAccount", ErrorIds.ApimOperationFailed, ApimErrorCategory.InvalidOperation)]
        [InlineData(500, "InternalServerError", "boom", ErrorIds.ApimOperationFailed, ApimErrorCategory.NotSpecified)]
        public void MapsToTheDocumentedErrorIds(int status, string code, string message, string errorId, ApimErrorCategory category)
        {
            ApimDrException error = ArmErrorMapping.ToException(status, new ArmError(code, message), "Doing it", "target", "rid", "cid");
            Assert.Equal(errorId, error.ErrorId);
            Assert.Equal(category, error.Category);
            Assert.Equal(status, error.HttpStatus);
            Assert.Equal(code, error.ArmCode);
            Assert.Equal("rid", error.RequestId);
            Assert.Equal("cid", error.CorrelationId);
            Assert.Contains(message, error.Message);
        }
    }

    public class OperationRecordTests
    {
        private static ApimOperation Sample() => new()
        {
            Kind = "Restore",
            ResourceId = ServicePath(),
            SubscriptionId = SubscriptionId,
            ResourceGroupName = ResourceGroup,
            Name = "contoso-apim",
            PollUrl = new Uri(Location()),
            PollStyle = ApimOperation.LocationStyle,
            ResourceManagerUrl = new Uri("https://management.azure.com/"),
            StorageAccountName = "backupstore",
            ContainerName = "apim-backups",
            BackupName = "b1",
            AccessType = "UserAssignedManagedIdentity",
            StartTime = new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Utc),
            CorrelationId = Guid.NewGuid().ToString(),
            NextPollAt = new DateTime(2026, 1, 1, 10, 1, 0, DateTimeKind.Utc),
            PollCount = 3,
            Sku = "Premium",
            ErrorId = "SkuMismatch",
            HttpStatus = 400,
        };

        [Fact]
        public void RoundTripsThroughJsonWithTheOneFactory()
        {
            ApimOperation original = Sample();
            ApimOperation copy = FromJson(ToJson(original));
            foreach (var property in typeof(ApimOperation).GetProperties().Where(p => p.CanWrite))
            {
                Assert.Equal(property.GetValue(original), property.GetValue(copy));
            }
            Assert.Equal(Location(), copy.PollUrl!.OriginalString);
            Assert.Equal("UserAssignedManagedIdentity", copy.AccessType);
            Assert.Equal("Restore", copy.Kind);
            Assert.Equal(DateTimeKind.Utc, copy.StartTime.Kind);
        }

        [Fact]
        public void EveryWritablePropertyIsReadBackByTheFactory()
        {
            // Adding a field to the record without a line in FromProperties fails here.
            ApimOperation original = Sample();
            original.EndTime = new DateTime(2026, 1, 1, 11, 0, 0, DateTimeKind.Utc);
            original.ErrorCode = "RestoreFailed";
            original.ErrorMessage = "no";
            original.RequestId = "r";
            original.Status = ApimOperation.Failed;
            // Any other writable property (a field added later) gets a value too, so a missing factory line cannot hide behind a default.
            EveryProperty.Fill(original);
            ApimOperation copy = ApimOperation.FromProperties(name => typeof(ApimOperation).GetProperty(name)?.GetValue(original));   // it also asks for a catalog entry's SourceServiceId
            EveryProperty.AssertEqual(original, copy);
        }

        [Fact]
        public void ToleratesMissingOptionalFieldsAndOtherCasing()
        {
            ApimOperation state = FromJson("{\"pollUrl\":\"" + Location() + "\",\"resourceId\":\"" + ServicePath() + "\",\"kind\":\"restore\",\"extra\":{\"x\":[1]}}");
            Assert.Equal("Restore", state.Kind);
            Assert.Equal("contoso-apim", state.Name);   // from the resource id, not the object
            Assert.Equal(ApimOperation.InProgress, state.Status);
            Assert.Equal(ApimOperation.LocationStyle, state.PollStyle);
            Assert.Null(state.EndTime);
        }

        [Theory]
        [InlineData("{\"Name\":\"x\"}", ErrorIds.InvalidResourceId)]
        [InlineData("{\"ResourceId\":\"{svc}\"}", ErrorIds.InvalidPollUrl)]
        [InlineData("{\"ResourceId\":\"{svc}\",\"PollUrl\":\"/relative/path\"}", ErrorIds.InvalidPollUrl)]
        [InlineData("{\"ResourceId\":\"{svc}\",\"PollUrl\":\"https://management.azure.com/x?api-version=2024-05-01\",\"Kind\":\"Delete\"}", ErrorIds.InvalidOperationObject)]
        public void WithoutAResourceIdAPollUrlAndAKindItCannotBeResumed(string json, string errorId)
        {
            var error = Assert.Throws<ApimDrException>(() => FromJson(json.Replace("{svc}", ServicePath())));
            Assert.Equal(errorId, error.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, error.Category);
        }
    }
}
