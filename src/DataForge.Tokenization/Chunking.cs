using System.Text.RegularExpressions;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Tokenization;

/// <summary>
/// Splits a text into pieces of at most N tokens: whole paragraphs where they fit, else whole
/// sentences, else (a sentence longer than N tokens) a hard cut at the last character boundary that
/// keeps the piece within N tokens. Separators stay attached to the unit before them, so the pieces
/// concatenated give the text back exactly.
/// </summary>
public static partial class Chunker
{
    [GeneratedRegex(@"(?<=\n[ \t]*\n)")]
    private static partial Regex ParagraphEnds();

    // After terminal punctuation (optionally closing quotes/brackets) and the whitespace that follows; or after CJK full stops.
    [GeneratedRegex(@"(?<=[.!?…][""'”’)\]]*\s+)(?=\S)|(?<=[。！？；][""'”’」』）]*)")]
    private static partial Regex SentenceEnds();

    public static List<string> Split(string text, int maxTokens, Func<string, int> count, Func<string, int, int> prefixWithin)
    {
        var pieces = new List<string>();
        if (count(text) <= maxTokens) { pieces.Add(text); return pieces; }
        var units = new List<(string Text, int Tokens)>();
        foreach (var para in ParagraphEnds().Split(text))
        {
            if (para.Length == 0) continue;
            int pt = count(para);
            if (pt <= maxTokens) { units.Add((para, pt)); continue; }
            foreach (var sentence in SentenceEnds().Split(para))
            {
                if (sentence.Length == 0) continue;
                int st = count(sentence);
                if (st <= maxTokens) { units.Add((sentence, st)); continue; }
                // Hard cut: the longest prefix within maxTokens, repeatedly.
                string rest = sentence;
                while (rest.Length > 0)
                {
                    int take = prefixWithin(rest, maxTokens);
                    if (take <= 0) take = char.IsHighSurrogate(rest[0]) && rest.Length > 1 ? 2 : 1;
                    else if (take < rest.Length && char.IsHighSurrogate(rest[take - 1])) take--;
                    string head = rest[..take];
                    units.Add((head, count(head)));
                    rest = rest[take..];
                }
            }
        }
        // Greedy packing by the units' own counts, checked on the joined text (joins may merge tokens).
        int i = 0;
        while (i < units.Count)
        {
            int j = i, sum = 0;
            while (j < units.Count && sum + units[j].Tokens <= maxTokens) sum += units[j++].Tokens;
            if (j == i) j = i + 1;
            while (true)
            {
                string joined = string.Concat(units.Skip(i).Take(j - i).Select(u => u.Text));
                if (j - i == 1 || count(joined) <= maxTokens) { pieces.Add(joined); break; }
                j--;
            }
            i = j;
        }
        return pieces;
    }

    public static List<string> Split(string text, int maxTokens, TextTokenizer tokenizer)
        => Split(text, maxTokens, tokenizer.CountTokens, (s, max) =>
        {
            tokenizer.Inner.EncodeToIds(s, max, out _, out int consumed, considerPreTokenization: true, considerNormalization: false);
            return consumed;
        });
}

public sealed class ChunkOptions : IValidatableOptions
{
    [Option("Most tokens per piece (e.g. the training sequence length).", Min = 1, Required = true)]
    public int MaxTokens { get; init; }

    [Option("Tokenizer that counts tokens: o200k_base, cl100k_base, a tokenizer directory or a SentencePiece .model file.")]
    public string Tokenizer { get; init; } = "o200k_base";

    [Option("Pieces with fewer tokens than this are dropped (0 keeps all).", Min = 0)]
    public int MinTokens { get; init; }

    public void Validate(OptionsValidation v)
    {
        if (MinTokens > MaxTokens) v.Error("min_tokens", $"expected min_tokens <= max_tokens ({MinTokens} > {MaxTokens})");
    }
}

/// <summary>The <c>chunk</c> stage: documents longer than max_tokens become several documents with ids <c>ID#cK</c>.</summary>
[Stage("chunk", StageShape.Expand, "Splits documents into pieces of at most max_tokens tokens at paragraph or sentence boundaries (hard cut as last resort); pieces get ids ID#c0, ID#c1, ...")]
public sealed class ChunkStage : ExpandStage
{
    public const string TooShort = "chunk.too_short";
    readonly ChunkOptions _options;
    readonly TextTokenizer _tokenizer;

    public ChunkStage(ChunkOptions options, StageInit init) : base(init)
    {
        _options = options;
        _tokenizer = TextTokenizer.Load(options.Tokenizer, init.BaseDirectory);
    }

    public override DocumentBatch Expand(DocumentBatch batch, StageContext context)
    {
        var rows = new List<int>();
        var ids = new Utf8ColumnBuilder();
        var texts = new Utf8ColumnBuilder();
        for (int i = 0; i < batch.Length; i++)
        {
            string text = batch.Text.GetString(i);
            var pieces = Chunker.Split(text, _options.MaxTokens, _tokenizer);
            if (_options.MinTokens > 0) pieces = pieces.Where(p => _tokenizer.CountTokens(p) >= _options.MinTokens).ToList();
            if (pieces.Count == 0) { context.Drop(batch, i, TooShort); continue; }
            string id = batch.GetId(i);
            for (int k = 0; k < pieces.Count; k++)
            {
                rows.Add(i);
                ids.Append(pieces.Count == 1 && pieces[0].Length == text.Length ? id : $"{id}#c{k}");
                texts.Append(pieces[k]);
            }
            context.Count("chunk.pieces", pieces.Count);
            if (pieces.Count > 1) context.Count("chunk.split_documents");
        }
        return batch.Take(rows.ToArray()).WithColumn(Columns.Id, ids.Build()).WithColumn(Columns.Text, texts.Build());
    }
}
