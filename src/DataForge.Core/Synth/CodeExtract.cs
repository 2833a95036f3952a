using System.Text;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Filters;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

public sealed class CodeExtractOptions
{
    [Option("Fewest lines an unfenced run of code lines needs to count as a block (fenced blocks always count).", Min = 1)]
    public int MinLines { get; init; } = 2;

    [Option("Most characters of explanation kept before and after each block (whole paragraphs nearest the block).", Min = 0)]
    public int ContextChars { get; init; } = 800;

    [Option("Most blocks emitted per document.", Min = 1)]
    public int MaxBlocksPerDocument { get; init; } = 20;

    [Option("Only documents from these sources are processed; others pass through unchanged. Default: all.")]
    public List<string>? Sources { get; init; }
}

/// <summary>A code block found in a document, with the explanation around it.</summary>
public sealed record CodeBlock(string Code, string? Lang, string Before, string After, int FirstLine);

/// <summary>Finds code blocks (fenced, or runs of code-shaped lines) and the prose around them (pure).</summary>
public static class CodeBlocks
{
    public static List<CodeBlock> Find(string text, int minLines, int contextChars)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var isCode = new bool[lines.Length];
        var blocks = new List<(int Start, int End, string? Lang, bool Fenced)>(); // [Start, End) lines of code
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].TrimStart();
            if (t.StartsWith("```", StringComparison.Ordinal) || t.StartsWith("~~~", StringComparison.Ordinal))
            {
                string fence = t[..3];
                string info = t[3..].Trim();
                int j = i + 1;
                while (j < lines.Length && !lines[j].TrimStart().StartsWith(fence, StringComparison.Ordinal)) j++;
                for (int k = i; k <= Math.Min(j, lines.Length - 1); k++) isCode[k] = true;
                if (j > i + 1) blocks.Add((i + 1, j, info.Length > 0 ? CodeEvidence.NormalizeLang(info.Split(' ')[0]) : null, true));
                i = j;
                continue;
            }
            if (!CodeEvidence.IsCodeLine(lines[i])) continue;
            // A run: code lines, single blank lines inside, and indented lines that continue a code line.
            int s = i, e = i + 1, count = 1;
            for (int k = i + 1; k < lines.Length; k++)
            {
                var l = lines[k];
                if (l.TrimStart().StartsWith("```", StringComparison.Ordinal)) break;
                if (string.IsNullOrWhiteSpace(l))
                {
                    if (k + 1 < lines.Length && !string.IsNullOrWhiteSpace(lines[k + 1]) && CodeEvidence.IsCodeLine(lines[k + 1])) continue;
                    break;
                }
                bool indented = l.Length > 0 && (l[0] == '\t' || l.StartsWith("  ", StringComparison.Ordinal));
                if (CodeEvidence.IsCodeLine(l) || indented) { e = k + 1; count++; }
                else break;
            }
            if (count >= minLines)
            {
                for (int k = s; k < e; k++) isCode[k] = true;
                blocks.Add((s, e, null, false));
            }
            i = e - 1;
        }
        var result = new List<CodeBlock>();
        foreach (var (s, e, lang, fenced) in blocks)
        {
            string code = Dedent(lines.AsSpan(s, e - s));
            if (code.Length == 0) continue;
            // Explanation: prose lines before the block (back to the previous code) and after it (up to the next).
            int b0 = s - (fenced ? 1 : 0) - 1, a0 = e + (fenced ? 1 : 0);
            var before = new List<string>();
            for (int k = b0; k >= 0 && !isCode[k]; k--) before.Insert(0, lines[k]);
            var after = new List<string>();
            for (int k = a0; k < lines.Length && !isCode[k]; k++) after.Add(lines[k]);
            result.Add(new CodeBlock(code, lang, Tail(string.Join('\n', before).Trim(), contextChars), Head(string.Join('\n', after).Trim(), contextChars), s));
        }
        return result;
    }

    static string Dedent(ReadOnlySpan<string> lines)
    {
        int first = 0, last = lines.Length;
        while (first < last && string.IsNullOrWhiteSpace(lines[first])) first++;
        while (last > first && string.IsNullOrWhiteSpace(lines[last - 1])) last--;
        int indent = int.MaxValue;
        for (int i = first; i < last; i++)
            if (!string.IsNullOrWhiteSpace(lines[i])) indent = Math.Min(indent, lines[i].Length - lines[i].TrimStart(' ').Length);
        if (indent == int.MaxValue) indent = 0;
        var sb = new StringBuilder();
        for (int i = first; i < last; i++)
        {
            if (i > first) sb.Append('\n');
            var l = lines[i].TrimEnd();
            sb.Append(l.Length >= indent ? l[indent..] : l.TrimStart(' '));
        }
        return sb.ToString();
    }

    /// <summary>The last whole paragraphs fitting in <paramref name="max"/> characters (the one nearest the block at least partly).</summary>
    static string Tail(string s, int max)
    {
        if (s.Length <= max) return s;
        int cut = s.IndexOf("\n\n", s.Length - max, StringComparison.Ordinal);
        return cut >= 0 ? s[(cut + 2)..].Trim() : s[^max..].Trim();
    }

    static string Head(string s, int max)
    {
        if (s.Length <= max) return s;
        int cut = s.LastIndexOf("\n\n", max, StringComparison.Ordinal);
        return cut > 0 ? s[..cut].Trim() : s[..max].Trim();
    }
}

/// <summary>Emits each code block of a document, with the explanation around it, as a new document.</summary>
[Stage("code_extract", StageShape.Expand, "Emits the code blocks of each document (fenced, or runs of code-shaped lines) with their surrounding explanation as new documents.")]
public sealed class CodeExtractStage : ExpandStage
{
    readonly CodeExtractOptions _o;
    readonly SourceSelector _select;
    readonly CodeEvidence _evidence = new();

    public CodeExtractStage(CodeExtractOptions options, StageInit init) : base(init)
    {
        _o = options;
        _select = new SourceSelector(options.Sources);
    }

    public override DocumentBatch Expand(DocumentBatch batch, StageContext context)
    {
        var b = new DocumentBatchBuilder();
        var langCol = batch.Column("code_lang") as Apache.Arrow.StringArray;
        for (int i = 0; i < batch.Length; i++)
        {
            if (!_select.Applies(batch, i)) { SourceSelector.PassThrough(batch, i, b); continue; }
            string id = batch.GetId(i);
            var blocks = CodeBlocks.Find(batch.Text.GetString(i), _o.MinLines, _o.ContextChars);
            if (blocks.Count == 0) { context.Drop(batch, i, "code_extract.no_code"); continue; }
            string? docLang = langCol is not null && !langCol.IsNull(i) ? langCol.GetString(i) : null;
            for (int k = 0; k < blocks.Count && k < _o.MaxBlocksPerDocument; k++)
            {
                var blk = blocks[k];
                string? lang = blk.Lang ?? _evidence.Analyze(blk.Code, "").Lang ?? docLang;
                var sb = new StringBuilder();
                if (blk.Before.Length > 0) sb.Append(blk.Before).Append("\n\n");
                sb.Append("```").Append(lang).Append('\n').Append(blk.Code).Append("\n```");
                if (blk.After.Length > 0) sb.Append("\n\n").Append(blk.After);
                var meta = SynthJson.Object(w =>
                {
                    w.WriteString("task", "code_extract");
                    w.WriteString("source_id", id);
                    w.WriteNumber("block_index", k);
                    if (lang is null) w.WriteNull("lang"); else w.WriteString("lang", lang);
                    w.WriteNumber("code_lines", blk.Code.Count(c => c == '\n') + 1);
                    w.WriteString("code", blk.Code);
                });
                b.Append(Encoding.UTF8.GetBytes($"{id}/code-{k}"), Encoding.UTF8.GetBytes(sb.ToString()), batch.Source.GetBytes(i), batch.Url.GetBytes(i),
                    batch.Lang.GetBytes(i), meta, hasUrl: !batch.Url.IsNull(i), hasLang: !batch.Lang.IsNull(i), hasMeta: true);
            }
            context.Count("code_extract.blocks", Math.Min(blocks.Count, _o.MaxBlocksPerDocument));
        }
        return b.Build();
    }
}
