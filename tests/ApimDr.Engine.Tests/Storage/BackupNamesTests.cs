using System;
using ApimDr.Engine.Arm;
using ApimDr.Engine.Storage;
using Xunit;

namespace ApimDr.Engine.Tests.Storage
{
    public class BackupNamesTests
    {
        private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero);
        private static readonly ServiceId ProdWest = ServiceId.Create("00000000-0000-0000-0000-000000000001", "west-rg", "prod");
        private static readonly ServiceId ProdEast = ServiceId.Create("00000000-0000-0000-0000-000000000001", "east-rg", "prod");

        [Fact]
        public void DefaultNamesDifferForOneServiceNameInTwoResourceGroupsAtTheSameSecond()
        {
            // Before: both were prod-20261206T010203Z.apimbackup, so one backup overwrote the other.
            string west = BackupNames.Default(ProdWest, Now);
            string east = BackupNames.Default(ProdEast, Now);
            Assert.NotEqual(west, east);
            Assert.StartsWith("prod-west-rg-20261206T010203Z-", west);
            Assert.EndsWith(".apimbackup", west);
        }

        [Fact]
        public void DefaultNamesDifferForTwoStartsOfOneServiceAtTheSameSecond()
        {
            var names = new System.Collections.Generic.HashSet<string>();
            for (int i = 0; i < 50; i++) names.Add(BackupNames.Default(ProdWest, Now));
            Assert.True(names.Count >= 49);   // 16 random bits each: a repeat in 50 is ~2 %, two repeats ~0.02 %; the overwrite check refuses one anyway
        }

        [Fact]
        public void TokensAreFilledInPerServiceInAnyCase()
        {
            Assert.Equal("nightly/prod-west-rg-00000000-0000-0000-0000-000000000001-20261206T010203Z.apimbackup",
                BackupNames.Expand("nightly/{service}-{ResourceGroup}-{SUBSCRIPTION}-{timestamp}.apimbackup", ProdWest, Now));
            Assert.Equal("fixed.apimbackup", BackupNames.Expand("fixed.apimbackup", ProdWest, Now));
        }
    }
}
