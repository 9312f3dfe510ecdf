using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace HelpGen
{
    /// <summary>
    /// What Get-Command says about a cmdlet of the BUILT module (build.ps1 writes it as JSON from a child
    /// pwsh): parameter names, types, sets, positions, pipeline binding. The markdown says what they mean.
    /// </summary>
    public sealed class CommandMetadata
    {
        public string Name { get; set; } = "";
        public string Verb { get; set; } = "";
        public string Noun { get; set; } = "";
        public List<ParameterSetMetadata> ParameterSets { get; set; } = new();
        public List<ParameterMetadata> Parameters { get; set; } = new();

        public static List<CommandMetadata> Load(string path)
            => JsonSerializer.Deserialize<List<CommandMetadata>>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
               ?? new List<CommandMetadata>();

        public ParameterMetadata? Find(string name) => Parameters.FirstOrDefault(p => string.Equals(p.Name, name, System.StringComparison.OrdinalIgnoreCase));
    }

    public sealed class ParameterSetMetadata
    {
        public string Name { get; set; } = "";
        public bool IsDefault { get; set; }
        public List<SetParameter> Parameters { get; set; } = new();
    }

    /// <summary>A parameter as it is in one parameter set.</summary>
    public sealed class SetParameter
    {
        public string Name { get; set; } = "";
        public bool IsMandatory { get; set; }
        /// <summary>-1: named.</summary>
        public int Position { get; set; } = -1;
        public bool ValueFromPipeline { get; set; }
        public bool ValueFromPipelineByPropertyName { get; set; }
    }

    public sealed class ParameterMetadata
    {
        public string Name { get; set; } = "";
        /// <summary>Full .NET type name, Nullable unwrapped (System.Guid, System.Management.Automation.SwitchParameter).</summary>
        public string Type { get; set; } = "";
        public List<string> Aliases { get; set; } = new();
        public bool SupportsWildcards { get; set; }

        public bool IsSwitch => Type == "System.Management.Automation.SwitchParameter";
        public string ShortType => Type.Substring(Type.LastIndexOf('.') + 1);
    }
}
