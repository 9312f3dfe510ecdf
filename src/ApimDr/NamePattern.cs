using System.Management.Automation;
using ApimDr.Engine.Errors;

namespace ApimDr
{
    /// <summary>
    /// A wildcard parameter (-ServiceName, Get-ApimBackup -BackupName, Remove-ApimBackup -BackupNamePattern,
    /// Get-ApimOperation -Name/-ResourceGroupName) turned into a pattern once, before any request: a malformed
    /// one ('prod[') is InvalidNamePattern, never a WildcardPatternException.
    /// </summary>
    internal static class NamePattern
    {
        public static WildcardPattern? Create(string? value, string parameter)
        {
            if (string.IsNullOrEmpty(value)) return null;
            var pattern = new WildcardPattern(value, WildcardOptions.IgnoreCase);
            try
            {
                pattern.IsMatch(string.Empty);   // PowerShell parses the pattern on first use
            }
            catch (WildcardPatternException ex)
            {
                throw new ApimDrException(ErrorIds.InvalidNamePattern, ApimErrorCategory.InvalidArgument,
                    $"{parameter} '{value}' is not a valid wildcard pattern ({ex.Message}). Escape a literal '[' or ']' with a backtick (`[), or use [[] and []].", value);
            }
            return pattern;
        }
    }
}
