using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Configuration;
using ApimDr.Engine.Errors;

namespace ApimDr.Commands
{
    /// <summary>
    /// Compares two APIM configurations — each a snapshot (Get-ApimConfiguration output), a snapshot file
    /// (-Path output) or a live service (a resource id, or Get-AzApiManagement output) — and emits one
    /// difference per entity property: nothing when they are equal. A live side is read with the other
    /// side's salt, so secret named values compare ("(secret differs)") without either value shown.
    /// </summary>
    [Cmdlet(VerbsData.Compare, "ApimConfiguration")]
    [OutputType(typeof(ApimConfigurationDifference), typeof(ApimConfigurationSummary))]
    public sealed class CompareApimConfigurationCommand : ArmCmdlet
    {
        /// <summary>The reference (e.g. the snapshot taken before a backup): a snapshot, a snapshot file path or a service.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public PSObject Reference { get; set; } = null!;

        /// <summary>What to compare with the reference (e.g. the standby after a restore): a snapshot, a file path or a service.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
        public PSObject Difference { get; set; } = null!;

        /// <summary>Also emit the properties that are equal (Change = Equal).</summary>
        [Parameter]
        public SwitchParameter IncludeEqual { get; set; }

        /// <summary>Emit one summary (counts per entity kind, equal yes/no) instead of the differences.</summary>
        [Parameter]
        public SwitchParameter Summary { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                object reference = Resolve(Reference, nameof(Reference));
                object difference = Resolve(Difference, nameof(Difference));
                ArmClient? client = reference is ServiceId || difference is ServiceId ? Arm.GetClient(Arm.ResolveCloud()) : null;
                (ApimConfiguration left, ApimConfiguration right) = Session.Run(async ct =>
                {
                    // A live side is read under the salt of a snapshot side (or the reference's), so secrets compare.
                    ApimConfiguration? first = reference as ApimConfiguration ?? difference as ApimConfiguration;
                    ApimConfiguration l = reference as ApimConfiguration ?? await new ConfigurationReader(client!).ReadAsync((ServiceId)reference, first?.Salt, ct).ConfigureAwait(false);
                    ApimConfiguration r = difference as ApimConfiguration ?? await new ConfigurationReader(client!).ReadAsync((ServiceId)difference, l.Salt, ct).ConfigureAwait(false);
                    return (l, r);
                });
                if (Summary)
                {
                    WriteObject(ConfigurationComparer.Summarize(left, right));
                    return;
                }
                foreach (ApimConfigurationDifference d in ConfigurationComparer.Compare(left, right, IncludeEqual)) WriteObject(d);
            }
            catch (ApimDrException ex)
            {
                Session.WriteFailure(ex, Difference);
            }
        }

        /// <summary>A snapshot (ApimConfiguration), or the ServiceId of a live service to read.</summary>
        private object Resolve(PSObject input, string side)
        {
            object value = input.BaseObject;
            switch (value)
            {
                case ApimConfiguration snapshot:
                    return snapshot;
                case FileInfo file:
                    return ReadFile(file.FullName);
                case string text when text.TrimStart().StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase):
                    return ServiceId.Parse(text);
                case string path:
                    return ReadFile(GetUnresolvedProviderPathFromPSPath(path));
            }
            if (input.TypeNames.Any(t => t.EndsWith("ApimDr.ApimConfiguration", StringComparison.Ordinal)))
            {
                throw new ApimDrException(ErrorIds.InvalidConfigurationSnapshot, ApimErrorCategory.InvalidArgument,
                    $"-{side} is a deserialized snapshot (Import-Clixml): save snapshots with Get-ApimConfiguration -Path and pass the file's path instead.", side);
            }
            // A service object (Get-AzApiManagement output, or anything with an Id / ResourceId).
            string? id = (input.Properties["ResourceId"]?.Value ?? input.Properties["Id"]?.Value)?.ToString();
            if (!string.IsNullOrEmpty(id)) return ServiceId.Parse(id!);
            throw new ApimDrException(ErrorIds.InvalidConfigurationSnapshot, ApimErrorCategory.InvalidArgument,
                $"-{side} must be a snapshot (Get-ApimConfiguration), a snapshot file path, or a service (resource id or Get-AzApiManagement output); got {value?.GetType().Name ?? "null"}.", side);
        }

        /// <summary>A snapshot file: size cap and regular-file rules in the engine (ConfigurationJson.ReadFile).</summary>
        private static ApimConfiguration ReadFile(string path) => ConfigurationJson.ReadFile(path);
    }
}
