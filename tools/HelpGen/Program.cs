using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace HelpGen
{
    /// <summary>
    /// HelpGen --docs docs/en-US --metadata commands.json --maml out/ApimDr/en-US/ApimDr.dll-Help.xml [--maml …] --about out/ApimDr/en-US
    ///
    /// Reads docs/en-US/&lt;Cmdlet&gt;.md for every cmdlet in the metadata (Get-Command of the built module,
    /// written by build.ps1) and about_*.md; writes the MAML to every --maml path and about_*.help.txt to
    /// --about. Differences between documented and real parameters are printed as warnings; the drift
    /// tests fail on them.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            try
            {
                Dictionary<string, List<string>> options = ParseArguments(args);
                string docs = Single(options, "docs");
                List<CommandMetadata> commands = CommandMetadata.Load(Single(options, "metadata"));
                var pages = commands.Select(c => (Doc: HelpDocument.Parse(Path.Combine(docs, c.Name + ".md")), Meta: c)).ToList();

                var warnings = new List<string>();
                foreach (string maml in options["maml"])
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(maml))!);
                    warnings = MamlWriter.Write(maml, pages);
                }
                string aboutDir = Single(options, "about");
                Directory.CreateDirectory(aboutDir);
                foreach (string about in Directory.GetFiles(docs, "about_*.md"))
                {
                    AboutWriter.Write(HelpDocument.Parse(about), Path.Combine(aboutDir, Path.GetFileNameWithoutExtension(about) + ".help.txt"));
                }
                foreach (string w in warnings) Console.Error.WriteLine("warning: " + w);
                Console.WriteLine($"Help: {pages.Count} cmdlets, {Directory.GetFiles(docs, "about_*.md").Length} about topic(s), {warnings.Count} warning(s).");
                return 0;
            }
            catch (Exception ex) when (ex is IOException || ex is InvalidDataException || ex is ArgumentException || ex is UnauthorizedAccessException)
            {
                Console.Error.WriteLine("HelpGen: " + ex.Message);
                return 1;
            }
        }

        private static Dictionary<string, List<string>> ParseArguments(string[] args)
        {
            var options = new Dictionary<string, List<string>> { ["docs"] = new(), ["metadata"] = new(), ["maml"] = new(), ["about"] = new() };
            for (int i = 0; i < args.Length; i += 2)
            {
                string key = args[i].TrimStart('-');
                if (!options.ContainsKey(key) || i + 1 >= args.Length) throw new ArgumentException($"Usage: HelpGen --docs <dir> --metadata <json> --maml <file>… --about <dir> (at '{args[i]}').");
                options[key].Add(args[i + 1]);
            }
            if (options["maml"].Count == 0) throw new ArgumentException("At least one --maml <file> is required.");
            return options;
        }

        private static string Single(Dictionary<string, List<string>> options, string key)
            => options[key].Count == 1 ? options[key][0] : throw new ArgumentException($"Exactly one --{key} is required.");
    }
}
