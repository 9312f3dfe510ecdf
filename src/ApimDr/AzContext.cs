using System;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Security;
using ApimDr.Engine.Credentials;

namespace ApimDr
{
    /// <summary>
    /// Reuses a signed-in Az.Accounts context in-process: calls Get-AzContext / Get-AzAccessToken on the
    /// pipeline thread, so no second login and no Azure.Core type crosses load contexts. Only strings,
    /// SecureStrings and DateTimeOffsets come back.
    /// </summary>
    internal static class AzContext
    {
        /// <summary>
        /// The signed-in context as "account|tenant|environment" (what a shared credential is keyed by),
        /// and its environment name; null when Az.Accounts is not loaded or nobody is signed in.
        /// </summary>
        public static (string Key, string? Environment)? SignedIn(PSCmdlet cmdlet)
        {
            if (cmdlet.InvokeCommand.GetCommand("Get-AzContext", CommandTypes.Cmdlet | CommandTypes.Function | CommandTypes.Alias) == null) return null;
            if (cmdlet.InvokeCommand.GetCommand("Get-AzAccessToken", CommandTypes.Cmdlet | CommandTypes.Function | CommandTypes.Alias) == null) return null;
            try
            {
                Collection<PSObject> context = cmdlet.InvokeCommand.InvokeScript("Get-AzContext -ErrorAction Stop");
                if (context.Count == 0 || context[0] == null) return null;
                PSObject c = context[0];
                string account = Read(c, "Account", "Id");
                string tenant = Read(c, "Tenant", "Id");
                string environment = Read(c, "Environment", "Name");
                return (account + "|" + tenant + "|" + environment, environment.Length == 0 ? null : environment);
            }
            catch (RuntimeException)
            {
                return null;
            }
        }

        private static string Read(PSObject context, string property, string inner)
        {
            object? value = context.Properties[property]?.Value;
            if (value == null) return string.Empty;
            PSObject wrapped = PSObject.AsPSObject(value);
            object? innerValue = wrapped.Properties[inner]?.Value;
            return (innerValue ?? wrapped.BaseObject)?.ToString() ?? string.Empty;
        }

        public static string? SubscriptionId(PSCmdlet cmdlet)
        {
            Collection<PSObject> result = cmdlet.InvokeCommand.InvokeScript("(Get-AzContext -ErrorAction Stop).Subscription.Id");
            return result.Count > 0 ? result[0]?.BaseObject?.ToString() : null;
        }

        /// <summary>Get-AzAccessToken for the resource of the first scope (scope minus "/.default").</summary>
        public static ExternalToken GetAccessToken(PSCmdlet cmdlet, string[] scopes)
        {
            string scope = scopes.FirstOrDefault() ?? throw new ArgumentException("No scope requested.", nameof(scopes));
            string resource = scope.EndsWith("/.default", StringComparison.Ordinal) ? scope.Substring(0, scope.Length - "/.default".Length) : scope;
            const string script = @"param($resource)
$command = Get-Command Get-AzAccessToken
if ($command.Parameters.ContainsKey('AsSecureString')) { Get-AzAccessToken -ResourceUrl $resource -AsSecureString -ErrorAction Stop -WarningAction SilentlyContinue }
else { Get-AzAccessToken -ResourceUrl $resource -ErrorAction Stop -WarningAction SilentlyContinue }";
            ScriptBlock block = ScriptBlock.Create(script);
            Collection<PSObject> result = cmdlet.InvokeCommand.InvokeScript(cmdlet.SessionState, block, resource);
            PSObject token = result.FirstOrDefault(r => r != null) ?? throw new InvalidOperationException("Get-AzAccessToken returned nothing.");
            object? value = token.Properties["Token"]?.Value;
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            SecureString secure = value switch
            {
                SecureString s => s,
                string plain => ToSecureString(plain),
                _ => throw new InvalidOperationException("Get-AzAccessToken returned no Token."),
            };
            DateTimeOffset expiresOn = ReadExpiry(token.Properties["ExpiresOn"]?.Value);
            return new ExternalToken(secure, expiresOn);
        }

        private static DateTimeOffset ReadExpiry(object? value)
        {
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            return value switch
            {
                DateTimeOffset offset => offset,
                DateTime time => new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time),
                string text when DateTimeOffset.TryParse(text, out DateTimeOffset parsed) => parsed,
                _ => DateTimeOffset.UtcNow.AddMinutes(5),
            };
        }

        private static SecureString ToSecureString(string plain)
        {
            var secure = new SecureString();
            foreach (char c in plain) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
