using System.Collections.Generic;
using System.Linq;
using System.Text;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HelpGen
{
    /// <summary>Markdown blocks and inlines as the plain text Get-Help prints.</summary>
    public static class Text
    {
        /// <summary>Inline content as plain text: emphasis and link markup dropped, code spans kept verbatim.</summary>
        public static string Inline(ContainerInline? container)
        {
            var sb = new StringBuilder();
            Append(sb, container);
            return sb.ToString().Trim();
        }

        private static void Append(StringBuilder sb, Inline? inline)
        {
            switch (inline)
            {
                case null: return;
                case LiteralInline literal: sb.Append(literal.Content.ToString()); break;
                case CodeInline code: sb.Append(code.Content); break;
                case LineBreakInline br: sb.Append(br.IsHard ? "\n" : " "); break;
                case AutolinkInline auto: sb.Append(auto.Url); break;
                case HtmlEntityInline entity: sb.Append(entity.Transcoded.ToString()); break;
                case HtmlInline html: sb.Append(html.Tag); break;
                case ContainerInline container:
                    foreach (Inline child in container) Append(sb, child);
                    break;
            }
        }

        public static string Code(LeafBlock code) => code.Lines.ToString().TrimEnd();

        /// <summary>
        /// A block as paragraphs of text: a paragraph is one; a list gives one "- item" per item; a code block
        /// gives its lines; a table its rows with aligned columns.
        /// </summary>
        public static IEnumerable<string> Paragraphs(Block block)
        {
            switch (block)
            {
                case ParagraphBlock p:
                    yield return Inline(p.Inline);
                    break;
                case LeafBlock leaf when leaf is CodeBlock:
                    yield return Code(leaf);
                    break;
                case ListBlock list:
                    int n = 1;
                    foreach (ListItemBlock item in list.OfType<ListItemBlock>())
                    {
                        string bullet = list.IsOrdered ? $"{n++}." : "-";
                        yield return bullet + " " + string.Join(" ", item.SelectMany(Paragraphs));
                    }
                    break;
                case Table table:
                    yield return string.Join("\n", TableRows(table));
                    break;
                case ContainerBlock container:
                    foreach (Block child in container)
                        foreach (string s in Paragraphs(child)) yield return s;
                    break;
            }
        }

        private static IEnumerable<string> TableRows(Table table)
        {
            List<string[]> rows = table.OfType<TableRow>()
                .Select(r => r.OfType<TableCell>().Select(c => string.Join(" ", c.SelectMany(Paragraphs))).ToArray())
                .ToList();
            int columns = rows.Max(r => r.Length);
            int[] widths = Enumerable.Range(0, columns).Select(i => rows.Max(r => i < r.Length ? r[i].Length : 0)).ToArray();
            foreach (string[] row in rows)
            {
                yield return string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd();
            }
        }

        /// <summary>Word-wraps text to width, every line prefixed by indent (continuation lines by hangingIndent).</summary>
        public static IEnumerable<string> Wrap(string text, string indent, string hangingIndent, int width = 80)
        {
            var line = new StringBuilder(indent);
            bool empty = true;
            foreach (string word in text.Split(' ', System.StringSplitOptions.RemoveEmptyEntries))
            {
                if (!empty && line.Length + 1 + word.Length > width)
                {
                    yield return line.ToString();
                    line.Clear().Append(hangingIndent);
                    empty = true;
                }
                if (!empty) line.Append(' ');
                line.Append(word);
                empty = false;
            }
            if (!empty) yield return line.ToString();
        }
    }
}
