using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ApimDr.Completers
{
    /// <summary>Tab completion for -Environment. Offline and instant; kept in sync with CloudEnvironment by a test.</summary>
    public sealed class EnvironmentCompleter : IArgumentCompleter
    {
        internal static readonly string[] Names = { "AzureCloud", "AzureChinaCloud", "AzureUSGovernment" };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (string name in Names)
            {
                if (name.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                {
                    yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
                }
            }
        }
    }
}
