using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ApimDr.Completers
{
    /// <summary>
    /// For a parameter whose value is a new name (Backup-ApimService -BackupName): offers nothing. An
    /// IArgumentCompleter that returns an empty collection (not null) ends completion there; without one,
    /// or with a script-block completer that returns nothing, PowerShell offers file names of the current folder.
    /// </summary>
    public sealed class NoFileNamesCompleter : IArgumentCompleter
    {
        internal static readonly CompletionResult[] Nothing = Array.Empty<CompletionResult>();

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
            => Nothing;
    }
}
