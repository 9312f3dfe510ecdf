using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Xml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HelpGen
{
    /// <summary>
    /// Writes one MAML file (&lt;dll&gt;-Help.xml) for the cmdlets: text from their markdown, parameter
    /// attributes (type, sets, position, pipeline, aliases) from the built module's metadata.
    /// </summary>
    public sealed class MamlWriter
    {
        private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
        private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        private readonly XmlWriter _x;
        private readonly List<string> _warnings;

        private MamlWriter(XmlWriter writer, List<string> warnings)
        {
            _x = writer;
            _warnings = warnings;
        }

        /// <summary>Writes the file; returns the drift found (documented vs real parameters), as warnings.</summary>
        public static List<string> Write(string path, IEnumerable<(HelpDocument Doc, CommandMetadata Meta)> commands)
        {
            var warnings = new List<string>();
            var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
            using (XmlWriter x = XmlWriter.Create(path, settings))
            {
                var writer = new MamlWriter(x, warnings);
                x.WriteStartElement("helpItems", "http://msh");
                x.WriteAttributeString("schema", "maml");
                foreach ((HelpDocument doc, CommandMetadata meta) in commands) writer.WriteCommand(doc, meta);
                x.WriteEndElement();
            }
            return warnings;
        }

        private void WriteCommand(HelpDocument doc, CommandMetadata meta)
        {
            _x.WriteStartElement("command", "command", Command);
            _x.WriteAttributeString("xmlns", "maml", null, Maml);
            _x.WriteAttributeString("xmlns", "dev", null, Dev);

            _x.WriteStartElement("details", Command);
            _x.WriteElementString("name", Command, meta.Name);
            _x.WriteElementString("verb", Command, meta.Verb);
            _x.WriteElementString("noun", Command, meta.Noun);
            WriteDescription(doc.Require("SYNOPSIS").Paragraphs);
            _x.WriteEndElement();

            WriteDescription(doc.Require("DESCRIPTION").Paragraphs);

            Dictionary<string, Section> documented = ParameterSections(doc, meta);
            _x.WriteStartElement("syntax", Command);
            foreach (ParameterSetMetadata set in meta.ParameterSets.OrderByDescending(s => s.IsDefault))
            {
                _x.WriteStartElement("syntaxItem", Command);
                _x.WriteElementString("name", Maml, meta.Name);
                IEnumerable<SetParameter> ordered = set.Parameters
                    .OrderBy(p => p.Position < 0 ? int.MaxValue : p.Position)
                    .ThenByDescending(p => p.IsMandatory);
                foreach (SetParameter p in ordered)
                {
                    documented.TryGetValue(p.Name, out Section? text);
                    WriteParameter(meta.Find(p.Name)!, p, text, inSyntax: true);
                }
                _x.WriteEndElement();
            }
            _x.WriteEndElement();

            // Only documented parameters are listed: an undocumented one is missing from Get-Help, which the
            // drift tests (tests/Help.Tests.ps1) compare with Get-Command.
            _x.WriteStartElement("parameters", Command);
            foreach (KeyValuePair<string, Section> entry in documented.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
            {
                ParameterMetadata? parameter = meta.Find(entry.Key);
                SetParameter[] inSets = meta.ParameterSets.SelectMany(s => s.Parameters).Where(p => p.Name.Equals(entry.Key, StringComparison.OrdinalIgnoreCase)).ToArray();
                var merged = new SetParameter
                {
                    Name = entry.Key,
                    IsMandatory = inSets.Length > 0 && inSets.All(p => p.IsMandatory),
                    Position = inSets.Select(p => p.Position).DefaultIfEmpty(-1).Max(),
                    ValueFromPipeline = inSets.Any(p => p.ValueFromPipeline),
                    ValueFromPipelineByPropertyName = inSets.Any(p => p.ValueFromPipelineByPropertyName),
                };
                WriteParameter(parameter ?? new ParameterMetadata { Name = entry.Key, Type = "System.Object" }, merged, entry.Value, inSyntax: false);
            }
            _x.WriteEndElement();

            WriteTypes(doc.Require("INPUTS"), "inputTypes", "inputType");
            WriteTypes(doc.Require("OUTPUTS"), "returnValues", "returnValue");

            _x.WriteStartElement("alertSet", Maml);
            _x.WriteStartElement("alert", Maml);
            WriteParas(doc.Require("NOTES").Paragraphs);
            _x.WriteEndElement();
            _x.WriteEndElement();

            _x.WriteStartElement("examples", Command);
            foreach (Section example in doc.Require("EXAMPLES").Subsections)
            {
                _x.WriteStartElement("example", Command);
                _x.WriteElementString("title", Maml, $"--------- {example.Title} ---------");
                _x.WriteElementString("code", Dev, string.Join("\n", example.Blocks.OfType<FencedCodeBlock>().Select(Text.Code)));
                _x.WriteStartElement("remarks", Dev);
                // The trailing empty paragraph is the blank line Get-Help otherwise omits before the next title.
                WriteParas(example.Blocks.Where(b => b is not FencedCodeBlock).SelectMany(Text.Paragraphs).Append(""));
                _x.WriteEndElement();
                _x.WriteEndElement();
            }
            _x.WriteEndElement();

            _x.WriteStartElement("relatedLinks", Command);
            foreach ((string text, string uri) in Links(doc.Require("RELATED LINKS")))
            {
                _x.WriteStartElement("navigationLink", Maml);
                _x.WriteElementString("linkText", Maml, text);
                _x.WriteElementString("uri", Maml, uri);
                _x.WriteEndElement();
            }
            _x.WriteEndElement();

            _x.WriteEndElement();
        }

        /// <summary>The "### -Name" subsections of PARAMETERS, checked against the cmdlet's real parameters.</summary>
        private Dictionary<string, Section> ParameterSections(HelpDocument doc, CommandMetadata meta)
        {
            var documented = new Dictionary<string, Section>(StringComparer.OrdinalIgnoreCase);
            foreach (Section s in doc.Require("PARAMETERS").Subsections)
            {
                string name = s.Title.TrimStart('-');
                documented[name] = s;
                if (meta.Find(name) == null) _warnings.Add($"{doc.Path}: -{name} is documented but {meta.Name} has no such parameter.");
            }
            foreach (ParameterMetadata p in meta.Parameters.Where(p => !documented.ContainsKey(p.Name)))
            {
                _warnings.Add($"{doc.Path}: -{p.Name} of {meta.Name} is not documented (add '### -{p.Name}' under '## PARAMETERS').");
            }
            return documented;
        }

        private void WriteParameter(ParameterMetadata parameter, SetParameter inSet, Section? text, bool inSyntax)
        {
            _x.WriteStartElement("parameter", Command);
            _x.WriteAttributeString("required", inSet.IsMandatory ? "true" : "false");
            _x.WriteAttributeString("variableLength", "true");
            _x.WriteAttributeString("globbing", parameter.SupportsWildcards ? "true" : "false");
            _x.WriteAttributeString("pipelineInput", PipelineInput(inSet));
            _x.WriteAttributeString("position", inSet.Position < 0 ? "named" : inSet.Position.ToString());
            _x.WriteAttributeString("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases));
            _x.WriteElementString("name", Maml, parameter.Name);
            WriteDescription(text?.Paragraphs ?? Enumerable.Empty<string>());
            if (!(inSyntax && parameter.IsSwitch))
            {
                _x.WriteStartElement("parameterValue", Command);
                _x.WriteAttributeString("required", parameter.IsSwitch ? "false" : "true");
                _x.WriteAttributeString("variableLength", "false");
                _x.WriteString(parameter.ShortType);
                _x.WriteEndElement();
            }
            _x.WriteStartElement("type", Dev);
            _x.WriteElementString("name", Maml, parameter.Type);
            _x.WriteEndElement();
            _x.WriteEndElement();
        }

        private static string PipelineInput(SetParameter p)
        {
            var how = new List<string>();
            if (p.ValueFromPipeline) how.Add("ByValue");
            if (p.ValueFromPipelineByPropertyName) how.Add("ByPropertyName");
            return how.Count == 0 ? "False" : $"True ({string.Join(", ", how)})";
        }

        private void WriteTypes(Section section, string listElement, string itemElement)
        {
            _x.WriteStartElement(listElement, Command);
            foreach (Section type in section.Subsections)
            {
                _x.WriteStartElement(itemElement, Command);
                _x.WriteStartElement("type", Dev);
                _x.WriteElementString("name", Maml, type.Title);
                _x.WriteEndElement();
                WriteDescription(type.Paragraphs);
                _x.WriteEndElement();
            }
            _x.WriteEndElement();
        }

        private void WriteDescription(IEnumerable<string> paragraphs)
        {
            _x.WriteStartElement("description", Maml);
            WriteParas(paragraphs);
            _x.WriteEndElement();
        }

        private void WriteParas(IEnumerable<string> paragraphs)
        {
            foreach (string p in paragraphs) _x.WriteElementString("para", Maml, p);
        }

        /// <summary>RELATED LINKS: one list item per link; a markdown link to a local page keeps only its text.</summary>
        private static IEnumerable<(string Text, string Uri)> Links(Section section)
        {
            foreach (ListItemBlock item in section.Blocks.OfType<ListBlock>().SelectMany(l => l.OfType<ListItemBlock>()))
            {
                ParagraphBlock? p = item.OfType<ParagraphBlock>().FirstOrDefault();
                LinkInline? link = p?.Inline?.Descendants<LinkInline>().FirstOrDefault();
                string url = link?.Url ?? "";
                yield return (Text.Inline(p?.Inline), url.StartsWith("https://", StringComparison.Ordinal) ? url : "");
            }
        }
    }
}
