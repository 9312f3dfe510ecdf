using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Markdig;
using Markdig.Syntax;

namespace HelpGen
{
    /// <summary>A heading and the blocks under it, up to the next heading of its level or higher.</summary>
    public sealed class Section
    {
        public Section(string title) => Title = title;
        public string Title { get; }
        public List<Block> Blocks { get; } = new();
        public List<Section> Subsections { get; } = new();

        public IEnumerable<string> Paragraphs => Blocks.SelectMany(Text.Paragraphs).Where(p => p.Length > 0);
    }

    /// <summary>
    /// One docs/en-US/*.md file: "# Title", then "## SECTION"s, each with optional "### Subsection"s
    /// (an example, a parameter, an input or output type, a topic of an about file).
    /// </summary>
    public sealed class HelpDocument
    {
        public static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().Build();

        private HelpDocument(string path, string title, List<Section> sections)
        {
            Path = path;
            Title = title;
            Sections = sections;
        }

        public string Path { get; }
        public string Title { get; }
        public List<Section> Sections { get; }

        public Section? Get(string name) => Sections.FirstOrDefault(s => string.Equals(s.Title, name, StringComparison.OrdinalIgnoreCase));

        public Section Require(string name) => Get(name) ?? throw new InvalidDataException($"{Path}: no '## {name}' section.");

        public static HelpDocument Parse(string path)
        {
            MarkdownDocument document = Markdown.Parse(File.ReadAllText(path), Pipeline);
            string? title = null;
            var sections = new List<Section>();
            Section? section = null, subsection = null;
            foreach (Block block in document)
            {
                if (block is HeadingBlock heading)
                {
                    string text = Text.Inline(heading.Inline);
                    switch (heading.Level)
                    {
                        case 1 when title == null: title = text; continue;
                        case 2: section = new Section(text); sections.Add(section); subsection = null; continue;
                        case 3 when section != null: subsection = new Section(text); section.Subsections.Add(subsection); continue;
                    }
                    throw new InvalidDataException($"{path}: heading '{text}' (level {heading.Level}) is out of place: one '#', then '##' sections with '###' subsections.");
                }
                Section target = subsection ?? section ?? throw new InvalidDataException($"{path}: text before the first '##' section.");
                target.Blocks.Add(block);
            }
            return new HelpDocument(path, title ?? throw new InvalidDataException($"{path}: no '# Title'."), sections);
        }
    }
}
