using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using ApimDr.Engine.Tests.Fakes;

namespace ApimDr.Engine.Tests.Configuration
{
    /// <summary>
    /// An APIM service's configuration behind the fake ARM: collections answered in pages with nextLink,
    /// policies by ?format=rawxml (404 when none), listValue for secret named values, shaped like the
    /// 2024-05-01 spec examples (ApiManagementListApis.json, ApiManagementListNamedValues.json,
    /// ApiManagementNamedValueListValue.json, ApiManagementGetApiPolicy.json).
    /// </summary>
    public sealed class FakeApim
    {
        public FakeApim(string name = "contoso-apim") => Name = name;

        public string Name { get; }
        public int PageSize { get; set; } = 2;
        public TimeSpan Latency { get; set; }

        /// <summary>Collection path below the service (apis, apis/orders/operations, products/starter/apis, …) → its items' name and properties.</summary>
        public Dictionary<string, List<(string Name, JsonObject Properties)>> Collections { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Policy path below the service (policies/policy, apis/orders/policies/policy, …) → raw XML.</summary>
        public Dictionary<string, string> Policies { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Secret named value id → its value (answered by listValue only).</summary>
        public Dictionary<string, string> Secrets { get; } = new(StringComparer.OrdinalIgnoreCase);

        public JsonObject ServiceProperties { get; set; } = new()
        {
            ["gatewayUrl"] = "https://contoso-apim.azure-api.net",
            ["hostnameConfigurations"] = new JsonArray(new JsonObject { ["type"] = "Proxy", ["hostName"] = "api.contoso.example", ["certificateSource"] = "KeyVault" }),
            ["customProperties"] = new JsonObject { ["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"] = "False" },
            ["virtualNetworkType"] = "None",
            ["provisioningState"] = "Succeeded",
        };

        public string ServicePath => ArmTestKit.ServicePath(Name);

        public FakeApim Add(string collection, string name, JsonObject properties)
        {
            if (!Collections.TryGetValue(collection, out var list)) Collections[collection] = list = new();
            list.Add((name, properties));
            return this;
        }

        /// <summary>Every collection the reader lists exists (empty) unless added to.</summary>
        public static FakeApim Small(string name = "contoso-apim")
        {
            var apim = new FakeApim(name);
            foreach (string kind in new[] { "apis", "products", "namedValues", "policyFragments", "backends", "groups", "users", "subscriptions", "certificates", "apiVersionSets", "loggers", "tags" })
                apim.Collections[kind] = new();
            return apim;
        }

        public Reply Handle(RecordedRequest request)
        {
            var uri = new Uri(request.Url);
            if (!uri.AbsolutePath.StartsWith(ServicePath, StringComparison.OrdinalIgnoreCase)) return Reply.ArmError(404, "ResourceNotFound", "no such service");
            string path = Uri.UnescapeDataString(uri.AbsolutePath.Substring(ServicePath.Length).Trim('/'));
            var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
            Reply reply = Answer(request.Method, path, query, uri);
            return Latency > TimeSpan.Zero ? reply.After(Latency) : reply;
        }

        private Reply Answer(string method, string path, System.Collections.Specialized.NameValueCollection query, Uri uri)
        {
            if (path.Length == 0) return Json(new JsonObject
            {
                ["id"] = ServicePath, ["name"] = Name, ["type"] = "Microsoft.ApiManagement/service", ["etag"] = "AAAA",
                ["sku"] = new JsonObject { ["name"] = "Premium", ["capacity"] = 1 },
                ["identity"] = new JsonObject { ["type"] = "SystemAssigned", ["principalId"] = "p", ["tenantId"] = "t" },
                ["properties"] = ServiceProperties.DeepClone(),
            });
            if (method == "POST" && path.StartsWith("namedValues/", StringComparison.OrdinalIgnoreCase) && path.EndsWith("/listValue", StringComparison.OrdinalIgnoreCase))
            {
                string id = path.Split('/')[1];
                return Secrets.TryGetValue(id, out string? secret) ? Json(new JsonObject { ["value"] = secret }) : Reply.ArmError(404, "ResourceNotFound", "no");
            }
            if (path.EndsWith("policies/policy", StringComparison.OrdinalIgnoreCase))
            {
                if (query["format"] != "rawxml") return Reply.ArmError(400, "ValidationError", "the reader must ask for rawxml");
                return Policies.TryGetValue(path, out string? xml)
                    ? Json(new JsonObject { ["id"] = ServicePath + "/" + path, ["type"] = "Microsoft.ApiManagement/service/policies", ["name"] = "policy", ["properties"] = new JsonObject { ["value"] = xml, ["format"] = "rawxml" } })
                    : Reply.ArmError(404, "ResourceNotFound", "Policy configuration not found.");
            }
            if (method != "GET" || !Collections.TryGetValue(path, out var items)) return Reply.ArmError(404, "ResourceNotFound", "Resource not found: " + path);
            int skip = int.TryParse(query["$skip"], out int s) ? s : 0;
            var page = new JsonArray(items.Skip(skip).Take(PageSize).Select(i => (JsonNode)new JsonObject
            {
                ["id"] = ServicePath + "/" + path + "/" + i.Name, ["type"] = "Microsoft.ApiManagement/service/" + path, ["name"] = i.Name, ["properties"] = i.Properties.DeepClone(),
            }).ToArray());
            var body = new JsonObject { ["value"] = page, ["count"] = items.Count };
            // The spec examples send "nextLink": "" on the last page.
            body["nextLink"] = skip + PageSize < items.Count ? $"{ArmTestKit.ArmUrl}{ServicePath}/{path}?api-version=2024-05-01&$skip={skip + PageSize}" : "";
            return Json(body);
        }

        private static Reply Json(JsonNode body) => Reply.Of(200, body.ToJsonString()).With("Content-Type", "application/json");
    }
}
