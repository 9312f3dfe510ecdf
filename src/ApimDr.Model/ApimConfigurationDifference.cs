using System.Collections.Generic;

namespace ApimDr
{
    /// <summary>One entity property that differs between two snapshots (Compare-ApimConfiguration).</summary>
    public sealed class ApimConfigurationDifference
    {
        /// <summary>In the difference only.</summary>
        public const string Added = "Added";

        /// <summary>In the reference only.</summary>
        public const string Removed = "Removed";

        public const string Changed = "Changed";
        public const string Equal = "Equal";

        /// <summary>A secret whose HMACs were taken under different salts: neither equal nor different can be said.</summary>
        public const string NotComparable = "NotComparable";

        /// <summary>The pseudo-kind of the settings a restore does not carry (<see cref="ApimConfiguration.NotRestored"/>).</summary>
        public const string NotRestoredKind = "(not restored by design)";

        /// <summary>What a secret value is shown as; never its value or its HMAC.</summary>
        public const string SecretText = "(secret)";
        public const string SecretDiffersText = "(secret differs)";
        public const string SecretNotComparableText = "(secret, not comparable: different salts)";

        /// <summary>What stands for a whole entity that exists on one side only.</summary>
        public const string WholeEntity = "*";

        /// <summary>The entity kind (apis, namedValues, …) or <see cref="NotRestoredKind"/>.</summary>
        public string Entity { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;

        /// <summary>The flattened property path, or <see cref="WholeEntity"/> for an entity added or removed.</summary>
        public string Property { get; set; } = string.Empty;
        public string? Reference { get; set; }
        public string? Difference { get; set; }

        /// <summary>Added, Removed, Changed, Equal or NotComparable.</summary>
        public string Change { get; set; } = Changed;

        /// <summary>False for <see cref="NotRestoredKind"/>: a restore is not expected to make these equal.</summary>
        public bool IsRestorable => Entity != NotRestoredKind;

        public override string ToString() => $"{Change} {Entity}/{Name} {Property}";
    }

    /// <summary>Compare-ApimConfiguration -Summary: counts per entity kind, and whether the restorable entities are equal.</summary>
    public sealed class ApimConfigurationSummary
    {
        public string Reference { get; set; } = string.Empty;
        public string Difference { get; set; } = string.Empty;

        /// <summary>No restorable entity added, removed or changed (the by-design settings do not count).</summary>
        public bool IsEqual { get; set; }

        /// <summary>False when the snapshots' salts differ, so secret values could not be compared.</summary>
        public bool SecretsCompared { get; set; }

        /// <summary>Differences among the by-design (not restored) settings.</summary>
        public int NotRestoredDifferences { get; set; }

        public List<ApimConfigurationKindSummary> Kinds { get; set; } = new List<ApimConfigurationKindSummary>();

        public override string ToString() => IsEqual ? $"{Reference} = {Difference}" : $"{Reference} ≠ {Difference}";
    }

    /// <summary>One entity kind in a summary: how many entities each side has and how many differ.</summary>
    public sealed class ApimConfigurationKindSummary
    {
        public string Entity { get; set; } = string.Empty;
        public int ReferenceCount { get; set; }
        public int DifferenceCount { get; set; }
        public int Added { get; set; }
        public int Removed { get; set; }

        /// <summary>Entities present on both sides with at least one property changed (or not comparable).</summary>
        public int Changed { get; set; }
        public int Equal { get; set; }

        public override string ToString() => $"{Entity}: {ReferenceCount}/{DifferenceCount}, +{Added} -{Removed} ~{Changed}";
    }
}
