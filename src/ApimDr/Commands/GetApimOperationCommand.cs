using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Journal;

namespace ApimDr.Commands
{
    /// <summary>
    /// Lists the operation journal: the backups and restores ApimDr started from this user account that
    /// no wait has yet seen end (newest first). In-progress entries pipe into Wait-ApimOperation; an entry
    /// whose start has an unknown outcome says so (Status Unknown) and how to check it.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "ApimOperation")]
    [OutputType(typeof(ApimOperation))]
    public sealed class GetApimOperationCommand : PSCmdlet
    {
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        public string? ResourceGroupName { get; set; }

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("ServiceName")]
        [SupportsWildcards]
        public string? Name { get; set; }

        /// <summary>Only operations known to have started (they have a poll URL): what Wait-ApimOperation can follow.</summary>
        [Parameter]
        public SwitchParameter Running { get; set; }

        /// <summary>The type name of the journal's table view (ApimDr.Format.ps1xml): the operation's columns plus its ARM endpoint.</summary>
        public const string JournalTypeName = "ApimDr.ApimOperation#Journal";

        protected override void ProcessRecord()
        {
            OperationJournal? journal = OperationJournal.ForCurrentUser();
            if (journal == null)
            {
                WriteWarning($"The operation journal is off ({OperationJournal.EnvironmentVariable}).");
                return;
            }
            WriteVerbose($"Reading the operation journal {journal.Path}.");
            WildcardPattern? name, group;
            IReadOnlyList<JournalEntry> entries;
            try
            {
                name = NamePattern.Create(Name, "-Name");
                group = NamePattern.Create(ResourceGroupName, "-ResourceGroupName");
                entries = journal.Read();
            }
            catch (Exception ex) when (!(ex is PipelineStoppedException))
            {
                // InvalidNamePattern; JournalUnreadable (a folder, a file as parent, a held lock): an error, never an empty answer.
                WriteError(ErrorRecords.From(ex, journal.Path));
                return;
            }
            foreach (JournalEntry entry in entries)
            {
                ApimOperation op = entry.Operation;
                if (name != null && !name.IsMatch(op.Name)) continue;
                if (group != null && !group.IsMatch(op.ResourceGroupName)) continue;
                bool started = entry.State == OperationJournal.Running && op.PollUrl != null;
                if (Running && !started) continue;
                if (!started) op.Status = ApimOperation.Unknown;
                // Its own view: the ARM endpoint each entry belongs to (Endpoint), beside what it is.
                var shown = new PSObject(op);
                shown.TypeNames.Insert(0, JournalTypeName);
                WriteObject(shown);
            }
        }
    }
}
