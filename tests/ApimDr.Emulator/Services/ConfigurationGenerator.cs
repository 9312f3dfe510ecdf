using System.Text.Json.Nodes;

namespace ApimDr.Emulator.Services;

/// <summary>A large configuration for the benchmark: N apis × M operations, each with a policy, plus a few of every other kind.</summary>
public static class ConfigurationGenerator
{
    public static JsonObject Generate(int apis, int operationsPerApi)
    {
        if (apis < 0 || operationsPerApi < 0 || apis > 5000 || operationsPerApi > 100) throw new ArgumentException("apis must be 0-5000 and operationsPerApi 0-100.");
        static string Policy(string inbound) => $"<policies>\n  <inbound>\n    <base />\n    {inbound}\n  </inbound>\n  <backend>\n    <base />\n  </backend>\n  <outbound>\n    <base />\n  </outbound>\n</policies>";
        var apiArray = new JsonArray();
        for (int a = 0; a < apis; a++)
        {
            var operations = new JsonArray();
            for (int o = 0; o < operationsPerApi; o++)
            {
                operations.Add(new JsonObject
                {
                    ["name"] = $"op-{o:D3}", ["displayName"] = $"Operation {o}", ["method"] = o % 2 == 0 ? "GET" : "POST", ["urlTemplate"] = $"/items/{o}",
                    ["templateParameters"] = new JsonArray(), ["responses"] = new JsonArray(),
                    ["policy"] = Policy($"<set-header name=\"x-op\" exists-action=\"override\"><value>{o}</value></set-header>"),
                });
            }
            apiArray.Add(new JsonObject
            {
                ["name"] = $"api-{a:D4}", ["displayName"] = $"API {a}", ["path"] = $"api-{a:D4}", ["serviceUrl"] = $"https://backend-{a % 10}.contoso.example",
                ["protocols"] = new JsonArray("https"), ["subscriptionRequired"] = true, ["apiRevision"] = "1", ["isCurrent"] = true,
                ["policy"] = Policy($"<rate-limit calls=\"{100 + a}\" renewal-period=\"60\" />"), ["operations"] = operations,
            });
        }
        return new JsonObject
        {
            ["apis"] = apiArray,
            ["policy"] = Policy("<cors><allowed-origins><origin>*</origin></allowed-origins></cors>"),
            ["products"] = new JsonArray(new JsonObject
            {
                ["name"] = "bulk", ["displayName"] = "Bulk", ["state"] = "published", ["subscriptionRequired"] = true,
                ["apis"] = new JsonArray(Enumerable.Range(0, Math.Min(apis, 20)).Select(a => (JsonNode)$"api-{a:D4}").ToArray()), ["groups"] = new JsonArray("developers"),
            }),
            ["groups"] = new JsonArray(new JsonObject { ["name"] = "developers", ["displayName"] = "Developers", ["builtIn"] = true, ["type"] = "system" }),
            ["namedValues"] = new JsonArray(Enumerable.Range(0, 10).Select(i => (JsonNode)new JsonObject
            {
                ["name"] = $"setting-{i}", ["displayName"] = $"setting-{i}", ["value"] = $"value-{i}", ["secret"] = i % 3 == 0,
            }).ToArray()),
        };
    }
}
