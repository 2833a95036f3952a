using Apache.Arrow;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Filters;

public sealed class LanguageFilterOptions
{
    [Option("Languages to keep (ISO 639-1 codes): en fr de es it pt nl from stop-word evidence; zh ja ko ru ar el he hi th from script.", Required = true)]
    public List<string> Languages { get; init; } = [];

    [Option("Smallest score of the detected language for a document to be kept.", Min = 0, Max = 1)]
    public double Threshold { get; init; } = 0.5;
}

/// <summary>
/// Language identification from script statistics plus stop-word evidence. Units are Han, kana and
/// hangul characters (one each) and runs of other letters (one per word), so a Chinese text with
/// English terms stays Chinese. Latin-script languages are told apart by their function words.
/// </summary>
public static class LanguageDetector
{
    static readonly (string Lang, HashSet<string> Words)[] StopWords =
    [
        ("en", Set("the and of to is in that it was for with as on are this be by have from at or not but they which you were their has been will would can an there what all when more about also into than its we our these if so he she his her who had them may only other some such most after over")),
        ("fr", Set("le la les des est et une dans du que qui pour pas sur sont avec ce il elle nous vous au aux cette ses ont été être mais ou plus par comme tout leur sa son je on ne se lui fait")),
        ("de", Set("der die das und ist nicht ein eine zu den mit sich des auf für im dem auch es von sie wir ich werden wird sind war aus bei nach noch wie einer über oder aber hat haben nur kann dass")),
        ("es", Set("el los las de que y en un una es por con para del se no su al lo como más pero sus le ha este esta son entre cuando muy sin sobre también hay fue ser está")),
        ("it", Set("il di che e per un una non sono del della è con si da le dei gli alla nel anche come più ma questo questa ha ci essere stato delle nella")),
        ("pt", Set("o os de que e do da em um uma para com não por se mais dos das no na como mas foi ao ele ela são seu sua também está pelo pela")),
        ("nl", Set("de het een en van in is dat op te voor met zijn niet aan er maar om ook als bij nog door naar wordt dit deze wat heeft")),
    ];

    static HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Supported { get; } =
        StopWords.Select(s => s.Lang).Concat(["zh", "ja", "ko", "ru", "ar", "el", "he", "hi", "th"]).ToList();

    public static (string Language, double Score) Detect(ReadOnlySpan<char> text)
    {
        int han = 0, kana = 0, hangul = 0, latin = 0, cyrillic = 0, arabic = 0, greek = 0, hebrew = 0, devanagari = 0, thai = 0;
        Span<int> counts = stackalloc int[StopWords.Length];
        int latinWords = 0;
        Span<char> lower = stackalloc char[32];
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (Scripts.IsHan(c)) { han++; i++; continue; }
            if (c is >= '\u3040' and <= '\u30FF') { kana++; i++; continue; }
            if (c is >= '\uAC00' and <= '\uD7AF') { hangul++; i++; continue; }
            if (!char.IsLetter(c)) { i++; continue; }
            int start = i;
            while (i < text.Length && char.IsLetter(text[i]) && !Scripts.IsHan(text[i]) && text[i] is < '\u3040' or > '\u30FF') i++;
            var word = text[start..i];
            switch (word[0])
            {
                case <= '\u024F': latin++; break;
                case >= '\u0400' and <= '\u04FF': cyrillic++; break;
                case >= '\u0600' and <= '\u06FF': arabic++; break;
                case >= '\u0370' and <= '\u03FF': greek++; break;
                case >= '\u0590' and <= '\u05FF': hebrew++; break;
                case >= '\u0900' and <= '\u097F': devanagari++; break;
                case >= '\u0E00' and <= '\u0E7F': thai++; break;
                default: latin++; break;
            }
            if (word[0] <= '\u024F' && word.Length <= lower.Length)
            {
                latinWords++;
                int n = word.ToLowerInvariant(lower);
                for (int l = 0; l < StopWords.Length; l++)
                    if (StopWords[l].Words.GetAlternateLookup<ReadOnlySpan<char>>().Contains(lower[..n])) counts[l]++;
            }
        }
        int units = han + kana + hangul + latin + cyrillic + arabic + greek + hebrew + devanagari + thai;
        if (units == 0) return ("und", 0);
        var scripts = new (string Lang, int Count)[]
        {
            (kana > 0.1 * (han + kana) ? "ja" : "zh", han + kana), ("ko", hangul), ("latin", latin), ("ru", cyrillic), ("ar", arabic),
            ("el", greek), ("he", hebrew), ("hi", devanagari), ("th", thai),
        };
        var top = scripts.MaxBy(s => s.Count);
        double share = (double)top.Count / units;
        if (top.Lang != "latin") return (top.Lang, share);
        int best = 0, runnerUp = 0;
        for (int l = 1; l < counts.Length; l++) if (counts[l] > counts[best]) best = l;
        for (int l = 0; l < counts.Length; l++) if (l != best) runnerUp = Math.Max(runnerUp, counts[l]);
        if (latinWords == 0 || counts[best] == 0) return ("und", 0);
        // Prose in a language uses its function words densely (English ~40% of words); vocabulary
        // shared between languages lowers the purity of the evidence.
        double density = (double)counts[best] / latinWords;
        double coverage = Math.Min(1, density / 0.25);
        double margin = 1 - 0.5 * runnerUp / counts[best];
        return (StopWords[best].Lang, Math.Clamp(share * coverage * margin, 0, 1));
    }
}

[Stage("language_filter", StageShape.Map, "Keeps documents in the given languages (script statistics plus stop-word evidence); sets lang and adds lang_score.")]
public sealed class LanguageFilterStage : MapStage
{
    readonly LanguageFilterOptions _options;
    readonly HashSet<string> _keep;

    public LanguageFilterStage(LanguageFilterOptions options, StageInit init) : base(init)
    {
        _options = options;
        foreach (var l in options.Languages)
            if (!LanguageDetector.Supported.Contains(l))
                throw new OptionException("languages", $"unsupported language '{l}'; supported: {string.Join(", ", LanguageDetector.Supported)}");
        _keep = new HashSet<string>(options.Languages, StringComparer.Ordinal);
    }

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var lang = new Utf8ColumnBuilder(batch.Length, batch.Length * 3);
        var score = new PrimitiveColumnBuilder<float>(batch.Length);
        var keep = new bool[batch.Length];
        bool anyDropped = false;
        for (int i = 0; i < batch.Length; i++)
        {
            var (l, s) = LanguageDetector.Detect(TextRuleStage.Decode(batch.GetText(i)));
            lang.Append(l);
            score.Append((float)s);
            string? reason = !_keep.Contains(l) ? "language_filter.other_language" : s < _options.Threshold ? "language_filter.below_threshold" : null;
            if (reason is null) keep[i] = true;
            else { context.Drop(batch, i, reason); anyDropped = true; }
        }
        var result = batch.WithColumn(Columns.Lang, lang.Build()).WithColumn("lang_score", score.Build());
        return anyDropped ? result.Filter(keep) : result;
    }
}
