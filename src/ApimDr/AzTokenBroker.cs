using System;
using System.Threading;
using System.Threading.Tasks;
using ApimDr.Engine.Credentials;

namespace ApimDr
{
    /// <summary>
    /// The token provider for a signed-in Az context: ONE delegate for the process (so shared pipelines
    /// are keyed by identity, not by a per-call lambda), asking Get-AzAccessToken on the pipeline thread
    /// of the ApimDr command whose work is running (an AsyncLocal that flows with that work only).
    /// The shared bearer policy caches the token, so Get-AzAccessToken runs only near expiry.
    /// </summary>
    internal static class AzTokenBroker
    {
        private static readonly AsyncLocal<CommandSession?> CurrentCommand = new AsyncLocal<CommandSession?>();

        public static readonly Func<string[], CancellationToken, Task<ExternalToken>> Provider = GetTokenAsync;

        public static CommandSession? Current
        {
            get => CurrentCommand.Value;
            set => CurrentCommand.Value = value;
        }

        private static Task<ExternalToken> GetTokenAsync(string[] scopes, CancellationToken cancellationToken)
        {
            CommandSession? command = CurrentCommand.Value;
            if (command == null)
            {
                throw new InvalidOperationException("No ApimDr command is running to ask Get-AzAccessToken for a token.");
            }
            return command.GetAzAccessTokenAsync(scopes);
        }
    }
}
