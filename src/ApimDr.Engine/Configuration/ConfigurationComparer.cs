using System;
using System.Collections.Generic;
using System.Linq;

namespace ApimDr.Engine.Configuration
{
    /// <summary>
    /// Compares two snapshots entity property by entity property (Compare-ApimConfiguration). Secrets
    /// are HMACs: equal under the same salt means equal values; under different salts nothing can be
    /// said (<see cref="ApimConfigurationDifference.NotComparable"/>). Neither a secret nor its HMAC is
    /// ever shown: only "(secret)" / "(secret differs)".
    /// </summary>
    public static class ConfigurationComparer
    {
        private const string Present = "(exists)";
        private const string ServiceName = "service";

        /// <summary>The differences, restorable entities first (by kind, name, property), then the by-design settings; equal ones only with <paramref name="includeEqual"/>.</summary>
        public static IReadOnlyList<ApimConfigurationDifference> Compare(ApimConfiguration reference, ApimConfiguration difference, bool includeEqual = false)
        {
            if (reference == null) throw new ArgumentNullException(nameof(reference));
            if (difference == null) throw new ArgumentNullException(nameof(difference));
            bool sameSalt = string.Equals(reference.Salt, difference.Salt, StringComparison.Ordinal);
            var result = new List<ApimConfigurationDifference>();
            foreach (string kind in reference.Entities.Keys.Union(difference.Entities.Keys).OrderBy(k => k, StringComparer.Ordinal))
            {
                Dictionary<string, ApimConfigurationEntity> left = ByName(reference.Of(kind)), right = ByName(difference.Of(kind));
                foreach (string name in left.Keys.Union(right.Keys).OrderBy(n => n, StringComparer.Ordinal))
                {
                    left.TryGetValue(name, out ApimConfigurationEntity? l);
                    right.TryGetValue(name, out ApimConfigurationEntity? r);
                    if (l == null || r == null)
                    {
                        result.Add(Row(kind, name, ApimConfigurationDifference.WholeEntity, l == null ? null : Present, r == null ? null : Present,
                            l == null ? ApimConfigurationDifference.Added : ApimConfigurationDifference.Removed));
                        continue;
                    }
                    int before = result.Count;
                    CompareProperties(kind, name, l.Properties, r.Properties, sameSalt, includeEqual, result);
                    if (includeEqual && result.Count == before) result.Add(Row(kind, name, ApimConfigurationDifference.WholeEntity, Present, Present, ApimConfigurationDifference.Equal));
                }
            }
            CompareProperties(ApimConfigurationDifference.NotRestoredKind, ServiceName, reference.NotRestored, difference.NotRestored, sameSalt, includeEqual, result);
            return result;
        }

        /// <summary>Counts per entity kind, and whether the restorable entities are equal.</summary>
        public static ApimConfigurationSummary Summarize(ApimConfiguration reference, ApimConfiguration difference)
        {
            IReadOnlyList<ApimConfigurationDifference> all = Compare(reference, difference, includeEqual: true);
            var summary = new ApimConfigurationSummary
            {
                Reference = reference.Name,
                Difference = difference.Name,
                SecretsCompared = string.Equals(reference.Salt, difference.Salt, StringComparison.Ordinal),
                NotRestoredDifferences = all.Count(d => !d.IsRestorable && d.Change != ApimConfigurationDifference.Equal),
            };
            foreach (IGrouping<string, ApimConfigurationDifference> kind in all.Where(d => d.IsRestorable).GroupBy(d => d.Entity))
            {
                // Per entity: its whole-entity row says Added/Removed; otherwise Equal when every property is.
                List<string> verdicts = kind.GroupBy(d => d.Name).Select(Verdict).ToList();
                summary.Kinds.Add(new ApimConfigurationKindSummary
                {
                    Entity = kind.Key,
                    ReferenceCount = reference.Of(kind.Key).Count,
                    DifferenceCount = difference.Of(kind.Key).Count,
                    Added = verdicts.Count(v => v == ApimConfigurationDifference.Added),
                    Removed = verdicts.Count(v => v == ApimConfigurationDifference.Removed),
                    Changed = verdicts.Count(v => v == ApimConfigurationDifference.Changed),
                    Equal = verdicts.Count(v => v == ApimConfigurationDifference.Equal),
                });
            }
            summary.IsEqual = summary.Kinds.All(k => k.Added == 0 && k.Removed == 0 && k.Changed == 0);
            return summary;
        }

        private static string Verdict(IEnumerable<ApimConfigurationDifference> rows)
        {
            ApimConfigurationDifference? whole = rows.FirstOrDefault(d => d.Property == ApimConfigurationDifference.WholeEntity && d.Change != ApimConfigurationDifference.Equal);
            if (whole != null) return whole.Change;
            return rows.All(d => d.Change == ApimConfigurationDifference.Equal) ? ApimConfigurationDifference.Equal : ApimConfigurationDifference.Changed;
        }

        private static void CompareProperties(string kind, string name, IDictionary<string, string> left, IDictionary<string, string> right, bool sameSalt, bool includeEqual,
            List<ApimConfigurationDifference> into)
        {
            foreach (string property in left.Keys.Union(right.Keys).OrderBy(p => p, StringComparer.Ordinal))
            {
                left.TryGetValue(property, out string? l);
                right.TryGetValue(property, out string? r);
                bool secret = IsSecret(l) || IsSecret(r);
                string change = l == null ? ApimConfigurationDifference.Added
                    : r == null ? ApimConfigurationDifference.Removed
                    : secret && IsSecret(l) && IsSecret(r) && !sameSalt ? ApimConfigurationDifference.NotComparable
                    : string.Equals(l, r, StringComparison.Ordinal) ? ApimConfigurationDifference.Equal
                    : ApimConfigurationDifference.Changed;
                if (change == ApimConfigurationDifference.Equal && !includeEqual) continue;
                into.Add(secret ? Row(kind, name, property, Shown(l, null), Shown(r, change), change) : Row(kind, name, property, l, r, change));
            }
        }

        private static string? Shown(string? value, string? change) => value == null ? null
            : change == ApimConfigurationDifference.Changed ? ApimConfigurationDifference.SecretDiffersText
            : change == ApimConfigurationDifference.NotComparable ? ApimConfigurationDifference.SecretNotComparableText
            : ApimConfigurationDifference.SecretText;

        private static bool IsSecret(string? value) => value != null && value.StartsWith(ApimConfiguration.SecretPrefix, StringComparison.Ordinal);

        private static Dictionary<string, ApimConfigurationEntity> ByName(IReadOnlyList<ApimConfigurationEntity> entities)
        {
            var map = new Dictionary<string, ApimConfigurationEntity>(StringComparer.Ordinal);
            foreach (ApimConfigurationEntity entity in entities) map[entity.Name] = entity;
            return map;
        }

        private static ApimConfigurationDifference Row(string kind, string name, string property, string? reference, string? difference, string change)
            => new ApimConfigurationDifference { Entity = kind, Name = name, Property = property, Reference = reference, Difference = difference, Change = change };
    }
}
