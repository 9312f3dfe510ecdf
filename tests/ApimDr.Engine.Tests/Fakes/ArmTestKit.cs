using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Security;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Storage;
using ApimDr.Engine.Clouds;
using ApimDr.Engine.Credentials;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Tests.Fakes
{
    /// <summary>Shared fixtures: a service, a backup request, a client over the fake transport, recorded callbacks.</summary>
    public static class ArmTestKit
    {
        public const string SubscriptionId = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        public const string ResourceGroup = "rg-apim";
        public const string ArmUrl = "https://management.azure.com";
        public const string StorageKey = "U3RvcmFnZUtleVNlY3JldFZhbHVlMTIzNDU2Nzg5MA==";
        public const string StaticToken = "eyJ0eXAiOiJKV1QifQ.static-token-secret-value";

        public static ServiceId Service(string name = "contoso-apim") => ServiceId.Create(SubscriptionId, ResourceGroup, name);

        /// <summary>The one place the tests write an APIM service resource id by hand (the engine's own is <see cref="ServiceId.ResourceId"/>).</summary>
        public static string ServicePath(string name = "contoso-apim", string subscriptionId = SubscriptionId, string resourceGroup = ResourceGroup)
            => $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.ApiManagement/service/{name}";

        /// <summary>A Location like the recorded one: base64 opaque id ending in '=', api-version kept.</summary>
        public static string Location(string name = "contoso-apim", string id = "ZXlKcWIySkpaQ0k2SWpFeU16UTFOamM0T1NJc0luUjVjR1VpT2lKaVlXTnJkWEFpZlE+L3c9")
            => $"{ArmUrl}{ServicePath(name)}/operationresults/{id}==?api-version=2024-05-01";

        /// <summary>A service GET's answer; <paramref name="identity"/> is the raw <c>identity</c> value (JSON), null for none.</summary>
        public static string ServiceJson(string name = "contoso-apim", string sku = "Developer", string state = "Succeeded", string target = "",
            string? identity = "{\"type\":\"SystemAssigned\",\"principalId\":\"p\"}")
            => "{\"id\":\"" + ServicePath(name) + "\",\"name\":\"" + name + "\",\"location\":\"West Europe\",\"sku\":{\"name\":\"" + sku + "\",\"capacity\":1}," +
               (identity == null ? string.Empty : "\"identity\":" + identity + ",") +
               "\"properties\":{\"provisioningState\":\"" + state + "\",\"targetProvisioningState\":\"" + target + "\"}}";

        public static SecureString Secure(string value)
        {
            var secure = new SecureString();
            foreach (char c in value) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }

        public static BackupRestoreRequest KeyRequest(string backupName = "contoso-2026-01-01.apimbackup") => new()
        {
            // A loopback endpoint nothing listens on: a test that reaches storage without giving its own stand-in fails fast, never reaches a real host.
            Location = new StorageLocation("backupstore", "apim-backups", CloudEnvironment.AzureCloud, new Uri("http://127.0.0.1:9/backupstore")) { AccountKey = Secure(StorageKey) },
            BackupName = backupName,
            AccessType = StorageAccessType.AccessKey,
        };

        public static ArmClient Client(TimeProvider clock, FakeArmTransport transport, Action<ArmClientOptions>? configure = null)
        {
            var options = new ArmClientOptions
            {
                Cloud = CloudEnvironment.AzureCloud,
                Credentials = new CredentialSource { AccessToken = Secure(StaticToken) },
                Time = clock,
                Transport = transport,
            };
            configure?.Invoke(options);
            return new ArmClient(options);
        }

        public static Reply Accepted(string location, int retryAfter = 60)
            => Reply.Of(202).With("Location", location).With("Retry-After", retryAfter.ToString()).With("x-ms-request-id", Guid.NewGuid().ToString());

        /// <summary>An unsigned JWT whose only claim is <c>exp</c>.</summary>
        public static string Jwt(DateTimeOffset expires, string salt = "")
        {
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            return B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + B64("{\"exp\":" + expires.ToUnixTimeSeconds() + ",\"n\":\"" + salt + "\"}") + ".c2ln";
        }

        /// <summary>An operation as ConvertTo-Json writes it (public properties, ISO dates).</summary>
        public static string ToJson(ApimOperation operation) => System.Text.Json.JsonSerializer.Serialize(operation);

        /// <summary>
        /// What Wait-ApimOperation does with a ConvertFrom-Json object: property values by name, through
        /// the ONE factory (<see cref="ApimOperation.FromProperties"/>), then the engine's resume checks.
        /// </summary>
        public static ApimOperation FromJson(string json, bool validate = true)
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.String => property.Value.GetString(),
                    System.Text.Json.JsonValueKind.Number => property.Value.GetRawText(),
                    System.Text.Json.JsonValueKind.True => true,
                    System.Text.Json.JsonValueKind.False => false,
                    _ => null,
                };
            }
            ApimOperation operation = ApimOperation.FromProperties(name => values.TryGetValue(name, out object? value) ? value : null);
            if (validate) Operations.ValidateForResume(operation);
            return operation;
        }

        /// <summary>Drives one call on virtual time, so a retry's wait cannot hang the test (the clock's watchdog fails it instead).</summary>
        public static Task<T> Run<T>(VirtualClock clock, Task<T> task) => clock.RunAsync(task, () => 1);

        /// <summary>Drives a poller wait on virtual time; the expected sleepers are the operations still being waited for.</summary>
        public static Task<IReadOnlyList<ApimOperation>> WaitAsync(VirtualClock clock, ArmClient client, IReadOnlyList<ApimOperation> operations, Recorder recorder, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            Task<IReadOnlyList<ApimOperation>> wait = new OperationPoller(client).WaitAllAsync(operations, recorder.Callbacks, timeout, cancellationToken);
            return clock.RunAsync(wait, () => operations.Count(o => !o.IsTerminal && !recorder.Abandoned.ContainsKey(o)) + (timeout.HasValue ? 1 : 0));
        }
    }

    /// <summary>Collects what the poller reported.</summary>
    public sealed class Recorder
    {
        public ConcurrentQueue<OperationProgress> Progress { get; } = new();
        public ConcurrentQueue<ApimOperation> Completed { get; } = new();
        public ConcurrentDictionary<ApimOperation, ApimDrException> Abandoned { get; } = new();

        /// <summary>What the cmdlet layer would answer after a 404: does the backup blob exist (null: cannot tell).</summary>
        public Func<ApimOperation, CancellationToken, Task<bool?>>? BackupBlobExists { get; set; }

        public PollCallbacks Callbacks => new()
        {
            Progress = p => Progress.Enqueue(p),
            Completed = s => Completed.Enqueue(s),
            Abandoned = (s, e) => Abandoned[s] = e,
            BackupBlobExists = BackupBlobExists,
        };
    }
}
