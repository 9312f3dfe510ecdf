using System.Collections.Generic;
using System.IO;
using System.Linq;
using Markdig.Extensions.Tables;
using Markdig.Syntax;

namespace HelpGen
{
    /// <summary>
    /// about_*.md → about_*.help.txt in the conventional layout: TOPIC, then each "##" section as an
    /// upper-case heading, "###" topics indented 4, text wrapped at 80 columns, code and tables verbatim.
    /// </summary>
    public static class AboutWriter
    {
        public static void Write(HelpDocument about, string path)
        {
            var lines = new List<string> { "TOPIC", "    " + about.Title, "" };
            foreach (Section section in about.Sections)
            {
                lines.Add(section.Title.ToUpperInvariant());
                AddBlocks(lines, section.Blocks, "    ");
                foreach (Section topic in section.Subsections)
                {
                    lines.Add("    " + topic.Title);
                    AddBlocks(lines, topic.Blocks, "        ");
                }
            }
            File.WriteAllText(path, string.Join("\n", lines).TrimEnd() + "\n");
        }

        private static void AddBlocks(List<string> lines, IEnumerable<Block> blocks, string indent)
        {
            foreach (Block block in blocks)
            {
                bool verbatim = block is CodeBlock || block is Table;
                foreach (string paragraph in Text.Paragraphs(block))
                {
                    if (verbatim)
                    {
                        lines.AddRange(paragraph.Split('\n').Select(l => (indent + (block is CodeBlock ? "    " : "") + l).TrimEnd()));
                    }
                    else
                    {
                        // List items ("- x", "1. x") continue under their text, not under the bullet.
                        string hanging = block is ListBlock ? indent + new string(' ', paragraph.IndexOf(' ') + 1) : indent;
                        lines.AddRange(Text.Wrap(paragraph, indent, hanging));
                    }
                    if (block is ListBlock) continue;
                    lines.Add("");
                }
                if (block is ListBlock) lines.Add("");
            }
        }
    }
}
