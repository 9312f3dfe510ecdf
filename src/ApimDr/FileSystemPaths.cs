using System;
using System.Management.Automation;
using ApimDr.Engine.Errors;

namespace ApimDr
{
    /// <summary>
    /// A path parameter a command WRITES to (Get-ApimConfiguration -Path, Test-ApimBackup -ReportPath) as a
    /// file-system path, checked before any request: an empty or blank one, or one that is not on the file system
    /// (another drive or provider, a drive that does not exist), is refused with the command's ErrorId.
    /// </summary>
    internal static class FileSystemPaths
    {
        public static string Resolve(SessionState sessionState, string path, string parameter, string errorId, string emptyHint)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ApimDrException(errorId, ApimErrorCategory.InvalidArgument, $"{parameter} is empty: {emptyHint}", path);
            }
            string why;
            try
            {
                // Not PSCmdlet.GetUnresolvedProviderPathFromPSPath: for Env:\x it returns 'x', a file in the process's directory.
                string resolved = sessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
                if (string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase)) return resolved;
                why = $"it is on the {provider.Name} provider";
            }
            catch (Exception ex) when (ex is RuntimeException || ex is NotSupportedException || ex is InvalidOperationException || ex is ArgumentException)
            {
                why = ex.Message;
            }
            throw new ApimDrException(errorId, ApimErrorCategory.InvalidArgument, $"{parameter} '{path}' is not a file-system path ({why}): give a file or folder path.", path);
        }
    }
}
