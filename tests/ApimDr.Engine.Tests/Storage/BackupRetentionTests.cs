using System;
using System.Linq;
using ApimDr.Engine.Errors;
using ApimDr.Engine.Storage;
using Xunit;

namespace ApimDr.Engine.Tests.Storage
{
    public class BackupRetentionTests
    {
        private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        // Five backups, 0, 10, 29, 31 and 45 days old.
        private static readonly ApimBackup[] Backups = new[] { 0, 10, 29, 31, 45 }
            .Select(days => Entry($"prod-{days:D2}d.apimbackup", days, null))
            .ToArray();

        /// <summary>A catalog entry as Get-ApimBackup lists it: created N days ago, expiring 30 days after.</summary>
        private static ApimBackup Entry(string name, int days, string? source)
            => new ApimBackup { BackupName = name, Created = Now.AddDays(-days).UtcDateTime, ExpiresOn = Now.AddDays(30 - days).UtcDateTime, SourceServiceId = source };

        private static string[] Names(System.Collections.Generic.IEnumerable<ApimBackup> blobs) => blobs.Select(b => b.BackupName).OrderBy(n => n).ToArray();

        [Fact]
        public void ExpiredSelectsOnlyBackupsPastThe30DayLimit()
            => Assert.Equal(new[] { "prod-31d.apimbackup", "prod-45d.apimbackup" }, Names(BackupRetention.SelectForRemoval(Backups, expired: true, null, null, Now)));

        [Fact]
        public void OlderThanSelectsByAge()
            => Assert.Equal(new[] { "prod-29d.apimbackup", "prod-31d.apimbackup", "prod-45d.apimbackup" },
                Names(BackupRetention.SelectForRemoval(Backups, false, TimeSpan.FromDays(20), null, Now)));

        [Fact]
        public void KeepLastSparesTheNewestN()
            => Assert.Equal(new[] { "prod-31d.apimbackup", "prod-45d.apimbackup" },
                Names(BackupRetention.SelectForRemoval(Backups.Reverse(), false, null, keepLast: 3, Now)));

        [Fact]
        public void KeepLastKeepsTheNewestNOfEachSourceService()
        {
            const string Prod = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/prod";
            const string Standby = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/standby";
            ApimBackup Backup(string name, int days, string? source) => Entry(name, days, source);
            var mixed = new[]
            {
                Backup("prod-1", 1, Prod), Backup("prod-2", 2, Prod), Backup("prod-3", 3, Prod),
                Backup("standby-4", 4, Standby), Backup("standby-5", 5, Standby.ToUpperInvariant()),   // ids compare case-insensitively
                Backup("other-6", 6, null), Backup("other-7", 7, null),                               // no manifest: a group of their own
            };

            Assert.Equal(new[] { "other-7", "prod-2", "prod-3", "standby-5" }, Names(BackupRetention.SelectForRemoval(mixed, false, null, keepLast: 1, Now)));
            Assert.Empty(BackupRetention.SelectForRemoval(mixed, false, null, keepLast: 3, Now));
        }

        [Fact]
        public void RulesCombineAndKeepLastAlwaysWins()
        {
            // Only two are expired, but keeping the newest four leaves just the oldest.
            Assert.Equal(new[] { "prod-45d.apimbackup" }, Names(BackupRetention.SelectForRemoval(Backups, true, TimeSpan.FromDays(1), 4, Now)));
            Assert.Empty(BackupRetention.SelectForRemoval(Backups, true, null, 5, Now));
        }

        /// <summary>Before: a zero or negative -OlderThan (or -30, bound as ticks) selected every backup.</summary>
        [Theory]
        [InlineData(0L)]
        [InlineData(-30L)]
        [InlineData(30L)]
        [InlineData(9_999_999L)]
        [InlineData(-864_000_000_000L)]
        public void AnAgeThatWouldSelectEverythingIsRefused(long ticks)
        {
            var ex = Assert.Throws<ApimDrException>(() => BackupRetention.SelectForRemoval(Backups, false, TimeSpan.FromTicks(ticks), null, Now));
            Assert.Equal(ErrorIds.InvalidRetentionRule, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains("would select every backup", ex.Message);
            Assert.Equal(Math.Abs(ticks) < TimeSpan.TicksPerSecond, ex.Message.Contains("binds as ticks"));
        }

        /// <summary>Before: -KeepLast 0 kept nothing, so alone it selected every backup.</summary>
        [Theory]
        [InlineData(0)]
        [InlineData(-1)]
        [InlineData(int.MinValue)]
        public void AKeepLastBelowOneIsRefused(int keepLast)
        {
            var ex = Assert.Throws<ApimDrException>(() => BackupRetention.SelectForRemoval(Backups, false, null, keepLast, Now));
            Assert.Equal(ErrorIds.InvalidRetentionRule, ex.ErrorId);
            Assert.Equal(ApimErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains("would select every backup", ex.Message);
        }

        /// <summary>Before: [TimeSpan]::MinValue reached TimeSpan.Duration() and threw an OverflowException.</summary>
        [Fact]
        public void TheSmallestTimeSpanIsARefusedRuleNotAnOverflow()
        {
            var ex = Assert.Throws<ApimDrException>(() => BackupRetention.SelectForRemoval(Backups, false, TimeSpan.MinValue, null, Now));
            Assert.Equal(ErrorIds.InvalidRetentionRule, ex.ErrorId);
            Assert.Contains("is not a positive age", ex.Message);
        }

        [Fact]
        public void OneSecondIsTheShortestAge()
            => Assert.Equal(5, BackupRetention.SelectForRemoval(Backups, false, TimeSpan.FromSeconds(1), null, Now.AddSeconds(2)).Count);

        [Fact]
        public void AnAgeBeyondTheCalendarSelectsNothing()
            => Assert.Empty(BackupRetention.SelectForRemoval(Backups, false, TimeSpan.MaxValue, null, Now));

        [Fact]
        public void NoRuleSelectsEverythingGiven()
            => Assert.Equal(5, BackupRetention.SelectForRemoval(Backups, false, null, null, Now).Count);
    }
}
