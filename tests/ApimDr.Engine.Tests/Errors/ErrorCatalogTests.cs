using System;
using System.IO;
using System.Linq;
using System.Reflection;
using ApimDr.Engine.Errors;
using Xunit;

namespace ApimDr.Engine.Tests.Errors
{
    /// <summary>Every ErrorId the engine can raise is documented for users (docs/errors.md), and none is documented that does not exist.</summary>
    public class ErrorCatalogTests
    {
        private static string Docs()
        {
            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string path = Path.Combine(dir.FullName, "docs", "errors.md");
                if (File.Exists(path) && File.Exists(Path.Combine(dir.FullName, "ApimDr.sln"))) return File.ReadAllText(path);
            }
            throw new InvalidOperationException("docs/errors.md not found above " + AppContext.BaseDirectory);
        }

        private static string[] Ids() => typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();

        [Fact]
        public void EveryErrorIdHasARowInDocsErrors()
        {
            string docs = Docs();
            string[] missing = Ids().Where(id => !docs.Contains("| `" + id + "` |")).ToArray();
            Assert.True(missing.Length == 0, "Not in docs/errors.md: " + string.Join(", ", missing));
        }

        [Fact]
        public void DocsErrorsListsNoIdThatDoesNotExist()
        {
            string[] ids = Ids();
            string[] documented = System.Text.RegularExpressions.Regex.Matches(Docs(), @"^\| `([A-Za-z]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
                .Cast<System.Text.RegularExpressions.Match>().Select(m => m.Groups[1].Value).ToArray();
            Assert.NotEmpty(documented);
            string[] stale = documented.Where(d => !ids.Contains(d)).ToArray();
            Assert.True(stale.Length == 0, "In docs/errors.md but not in ErrorIds.cs: " + string.Join(", ", stale));
        }
    }
}
