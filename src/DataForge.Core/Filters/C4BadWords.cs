using System.Text;
using System.Text.RegularExpressions;
using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed class C4BadWordsOptions
{
    [Option("Word list file per language code, one word or phrase per line; English uses the shipped list unless given here.")]
    public Dictionary<string, string> Lists { get; init; } = [];

    [Option("Fraction of documents with bad words to keep anyway (seeded, decided per document id).", Min = 0, Max = 1)]
    public double KeepFraction { get; init; }

    [Option("Language of documents whose lang column is empty.")]
    public string DefaultLanguage { get; init; } = "en";

    [Option("Fail on a document whose language has no list (otherwise it is kept and counted).")]
    public bool FailOnMissingLanguage { get; init; }

    [Option("Seed of keep_fraction; default: the pipeline seed.", Min = 0)]
    public long? Seed { get; init; }
}

/// <summary>
/// C4's bad-words filter: a document whose lowercased text contains a listed word (as a whole word;
/// anywhere for Chinese, Japanese and Thai, which do not separate words) is dropped.
/// </summary>
[Stage("c4_badwords", StageShape.Map, "Drops documents containing words from a per-language bad-words list (C4); ships an English list.")]
public sealed class C4BadWordsStage : RowRuleStage
{
    public const string Reason = "c4_badwords.badwords";
    readonly Dictionary<string, Regex> _regexes = new(StringComparer.Ordinal);
    readonly C4BadWordsOptions _options;
    readonly ulong _seed;

    public C4BadWordsStage(C4BadWordsOptions options, StageInit init) : base(init)
    {
        _options = options;
        _seed = options.Seed is { } s ? (ulong)s : init.Seed;
        var lists = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["en"] = WordLists.Shipped("badwords-en.txt") };
        foreach (var (lang, path) in options.Lists) lists[lang] = WordLists.FromFile(init.ResolvePath(path), "lists");
        foreach (var (lang, words) in lists) _regexes[lang] = Build(lang, words);
    }

    public static Regex Build(string lang, IReadOnlyList<string> words)
    {
        string alternation = string.Join("|", words.OrderByDescending(w => w.Length).Select(Regex.Escape));
        string pattern = lang is "zh" or "ja" or "th" ? alternation : $@"(?:\W|^)(?:{alternation})(?:\W|$)";
        return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(5));
    }

    protected override string? Rule(DocumentBatch batch, int row, StageContext context)
    {
        string lang = batch.Lang.IsNull(row) || batch.Lang.GetValueLength(row) == 0 ? _options.DefaultLanguage : batch.Lang.GetString(row);
        if (!_regexes.TryGetValue(lang, out var regex))
        {
            if (_options.FailOnMissingLanguage)
                throw new InputException($"{Name}: no bad-words list for language '{lang}' (document '{batch.GetId(row)}'); add one under lists or set fail_on_missing_language false");
            context.Count("c4_badwords.missing_language");
            return null;
        }
        string text = Encoding.UTF8.GetString(batch.GetText(row)).ToLowerInvariant();
        if (!regex.IsMatch(text)) return null;
        context.Count("c4_badwords.documents_with_badwords");
        ulong threshold = (ulong)(_options.KeepFraction * 18446744073709551616.0);
        if (_options.KeepFraction > 0 && Seeds.Derive(_seed, batch.Id.GetBytes(row)) < threshold)
        {
            context.Count("c4_badwords.kept_with_badwords");
            return null;
        }
        return Reason;
    }
}
