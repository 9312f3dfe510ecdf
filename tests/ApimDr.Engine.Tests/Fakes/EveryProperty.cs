using System;
using System.Linq;
using Xunit;

namespace ApimDr.Engine.Tests.Fakes
{
    /// <summary>
    /// The guard of the model's factories (ApimOperation, ApimBackupManifest): every writable property gets a
    /// value that is not its default, so a field added without its factory line cannot hide behind a default.
    /// </summary>
    public static class EveryProperty
    {
        public static T Fill<T>(T record)
        {
            foreach (var property in typeof(T).GetProperties().Where(p => p.CanWrite && IsDefault(p.GetValue(record))))
            {
                property.SetValue(record, NonDefault(property.PropertyType, property.Name));
            }
            return record;
        }

        public static void AssertEqual<T>(T expected, T actual)
        {
            foreach (var property in typeof(T).GetProperties().Where(p => p.CanWrite))
            {
                Assert.True(Equals(property.GetValue(expected), property.GetValue(actual)) || Same(property.GetValue(expected), property.GetValue(actual)),
                    $"{typeof(T).Name}.{property.Name}: expected '{Show(property.GetValue(expected))}', read back '{Show(property.GetValue(actual))}'.");
            }
        }

        private static bool Same(object? a, object? b) => a is string[] x && b is string[] y && x.SequenceEqual(y);

        private static string Show(object? value) => value is string[] items ? string.Join(",", items) : value?.ToString() ?? "null";

        private static bool IsDefault(object? value) => value == null || (value is string text && text.Length == 0) || (value is Array array && array.Length == 0);

        private static object NonDefault(Type type, string name)
        {
            Type t = Nullable.GetUnderlyingType(type) ?? type;
            if (t == typeof(string)) return "value-of-" + name;
            if (t == typeof(string[])) return new[] { "first-of-" + name, "second-of-" + name };
            if (t == typeof(int)) return 7;
            if (t == typeof(DateTime)) return new DateTime(2026, 2, 3, 4, 5, 6, DateTimeKind.Utc);
            if (t == typeof(Uri)) return new Uri("https://management.azure.com/" + name);
            if (t == typeof(bool)) return true;
            if (t == typeof(TimeSpan)) return new TimeSpan(1, 2, 3, 4, 5);
            throw new NotSupportedException($"Give the test a value for {name} ({t.Name}).");
        }
    }
}
