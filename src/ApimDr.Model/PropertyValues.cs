using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace ApimDr
{
    /// <summary>
    /// How the model's factories (<see cref="ApimOperation.FromProperties"/>, <see cref="ApimBackupManifest.FromProperties"/>)
    /// read one value from any deserialized shape: a live value, a CliXml property bag's, a ConvertFrom-Json
    /// object's, or a JSON document's (strings, numbers, arrays).
    /// </summary>
    internal static class PropertyValues
    {
        public static string? Text(object? value) => value is object v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

        public static int? Int(object? value) => value switch
        {
            int i => i,
            long l when l >= int.MinValue && l <= int.MaxValue => (int)l,
            _ => int.TryParse(Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) ? parsed : (int?)null,
        };

        /// <summary>A time as UTC, from a DateTime (Unspecified taken as UTC), a DateTimeOffset or an ISO 8601 string.</summary>
        public static DateTime? Time(object? value) => value switch
        {
            DateTime time => time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime(),
            DateTimeOffset offset => offset.UtcDateTime,
            string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed) => parsed.UtcDateTime,
            _ => null,
        };

        public static bool? Bool(object? value) => value switch
        {
            bool b => b,
            _ => bool.TryParse(Text(value), out bool parsed) ? parsed : (bool?)null,
        };

        /// <summary>A duration from a TimeSpan (CliXml), its invariant text ("1.02:03:04.5", System.Text.Json's and ConvertTo-Json's string form) or a ConvertTo-Json object (Ticks).</summary>
        public static TimeSpan? Duration(object? value) => value switch
        {
            TimeSpan span => span,
            string text when TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan parsed) => parsed,
            _ => null,
        };

        public static Uri? Url(object? value) => value switch
        {
            Uri uri => uri,
            string text when text.Length > 0 && Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out Uri? parsed) => parsed,
            _ => null,
        };

        /// <summary>A list of strings from an array, a list (CliXml's ArrayList), one string ("A,B" splits), or nothing (empty).</summary>
        public static string[] Strings(object? value)
        {
            var items = new List<string>();
            if (value is string one)
            {
                items.AddRange(one.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries));
            }
            else if (value is IEnumerable many)
            {
                foreach (object? item in many)
                {
                    if (Text(item) is string text && text.Trim().Length > 0) items.Add(text);
                }
            }
            for (int i = 0; i < items.Count; i++) items[i] = items[i].Trim();
            return items.ToArray();
        }
    }
}
