using System.Text;
using System.Text.Json;
using DataForge.Execution;
using DataForge.IO;
using DataForge.Synth;

namespace DataForge.Training.Evaluation;

/// <summary>A multiple-choice item: each choice is a continuation of the context; one is right.</summary>
public sealed record ChoiceItem(string Context, IReadOnlyList<string> Continuations, int Gold, string Location);

/// <summary>A generate item: the prompt to continue and the reference answer (before extraction).</summary>
public sealed record GenerateItem(string Prompt, string Answer, string Location);

/// <summary>A document for perplexity: its text and the group it is reported under.</summary>
public sealed record TextDocument(string Text, string Source);

/// <summary>
/// Reads a task's records (JSON Lines, plain or compressed; flat Parquet) and maps them to items with the
/// task's field layout: a preset for a public export (commonsense_qa, hellaswag ...) or explicit fields.
/// Field paths are dotted (question.stem), pass through arrays of objects (question.choices.text), and may
/// list alternatives separated by | (the first present is used).
/// </summary>
public sealed class TaskData
{
    readonly EvalTask _t;
    readonly string _baseDirectory;
    readonly Fields _f;

    /// <summary>The field layout after the preset and the explicit *_field options are combined.</summary>
    sealed record Fields(string? Context, string? Choices, string? Gold, string? Labels, string? GoldFlags, string? Blank,
        string? Answer, string Text, string? Source, string Template, string TargetDelimiter);

    public TaskData(EvalTask task, string baseDirectory)
    {
        _t = task;
        _baseDirectory = baseDirectory;
        var p = Preset(task.Format);
        _f = new Fields(task.ContextField ?? p.Context, task.ChoicesField ?? p.Choices, task.GoldField ?? p.Gold, task.LabelsField ?? p.Labels,
            task.GoldFlagsField ?? p.GoldFlags, task.Blank ?? p.Blank, task.AnswerField ?? p.Answer, task.TextField ?? p.Text,
            task.SourceField ?? p.Source, task.Template ?? p.Template, task.Format != "custom" && task.TargetDelimiter == " " ? p.TargetDelimiter : task.TargetDelimiter);
    }

    /// <summary>Field layouts of common exports (Hugging Face datasets' JSON Lines, FewCLUE, DataForge's own generators).</summary>
    static Fields Preset(string format) => format switch
    {
        "commonsense_qa" => new("question.stem|question", "question.choices.text|choices.text", "answerKey", "question.choices.label|choices.label", null, null,
            null, "text", null, "Question: {context}\nAnswer:", " "),
        "truthfulqa_mc1" => new("question", "mc1_targets.choices", null, null, "mc1_targets.labels", null, null, "text", null, "Q: {context}\nA:", " "),
        "hellaswag" => new("ctx", "endings", "label", null, null, null, null, "text", null, "{context}", " "),
        "chid" => new("content|meta.content", "candidates|meta.candidates", "answer|answers|meta.answers", null, null, "#idiom#", null, "text", null, "{context}", ""),
        "idiom_cloze" => new("meta.sentence", "meta.options", "meta.answer_index", null, null, "__", null, "text", null, "{context}", ""),
        "gsm8k" => new("question", null, null, null, null, null, "answer", "text", null, "Question: {context}\nAnswer:", " "),
        "math_generate" => new("meta.prompt", null, null, null, null, null, "meta.answer", "text", null, "{context}\n", ""),
        "list_dict_generate" => new("meta.prompt", null, null, null, null, null, "meta.response", "text", null, "{context}\n", ""),
        _ => new(null, null, null, null, null, null, null, "text", "source", "{context}", " "),
    };

    /// <summary>The prompt for a context: the template filled in, wrapped in the chat template when asked.</summary>
    public string Prompt(string context)
    {
        string p = _f.Template.Replace("{context}", context, StringComparison.Ordinal);
        if (!_t.Chat) return p;
        var chat = new ChatTemplate(ChatTemplate.Llama3);
        return chat.Begin + chat.UserHeader + p + chat.EndOfTurn + chat.AssistantHeader;
    }

    public string TargetDelimiter => _f.TargetDelimiter;

    public List<ChoiceItem> ChoiceItems(IReadOnlyList<string> files) => Records(files).SelectMany(r => ToChoices(r.Record, r.Location)).ToList();

    /// <summary>
    /// A record's items: one, or for a cloze passage with several blanks (CHID: candidates per blank and one
    /// answer per blank) one per blank, the other blanks filled with their answers.
    /// </summary>
    IEnumerable<ChoiceItem> ToChoices(JsonElement r, string at)
    {
        if (_f.Blank is not { } blank || _f.Choices is not { } choicesPath || Elements(r, choicesPath) is not [{ ValueKind: JsonValueKind.Array } lists]
            || lists.GetArrayLength() == 0 || lists[0].ValueKind != JsonValueKind.Array)
            return [ToChoice(r, at)];
        string passage = Required(r, _f.Context, "context_field", at);
        var candidates = lists.EnumerateArray().Select(l => l.EnumerateArray().Select(Text).ToList()).ToList();
        var golds = Strings(r, _f.Gold ?? throw Missing("gold_field", at)) ?? throw new InputException(at, $"no answers at '{_f.Gold}'");
        var parts = passage.Split(blank);
        if (parts.Length - 1 != candidates.Count || golds.Count != candidates.Count)
            throw new InputException(at, $"the passage has {parts.Length - 1} blank(s), {candidates.Count} candidate list(s) and {golds.Count} answer(s); expected one of each per blank");
        var answers = golds.Select((g, j) => int.TryParse(g, out int k) && k >= 0 && k < candidates[j].Count ? k
            : throw new InputException(at, $"answer {j} ('{g}') is not an index into its {candidates[j].Count} candidates")).ToList();
        var items = new List<ChoiceItem>();
        for (int j = 0; j < candidates.Count; j++)
        {
            var before = new StringBuilder();
            for (int x = 0; x < j; x++) before.Append(parts[x]).Append(candidates[x][answers[x]]);
            before.Append(parts[j]);
            var after = new StringBuilder();
            for (int x = j + 1; x < parts.Length; x++)
            {
                after.Append(parts[x]);
                if (x < candidates.Count) after.Append(candidates[x][answers[x]]);
            }
            items.Add(new ChoiceItem(Prompt(before.ToString()), candidates[j].Select(c => c + after).ToList(), answers[j], $"{at} blank {j + 1}"));
        }
        return items;
    }

    /// <summary>The elements at a field path: those of the first alternative (separated by |) that is present.</summary>
    static List<JsonElement> Elements(JsonElement root, string path)
    {
        foreach (var alternative in path.Split('|'))
        {
            var found = new List<JsonElement>();
            Collect(root, alternative.Split('.'), 0, found);
            if (found.Count > 0) return found;
        }
        return [];
    }

    public List<GenerateItem> GenerateItems(IReadOnlyList<string> files)
        => Records(files).Select(r => new GenerateItem(Prompt(Required(r.Record, _f.Context, "context_field", r.Location)),
            Required(r.Record, _f.Answer, "answer_field", r.Location), r.Location)).ToList();

    public IEnumerable<TextDocument> Documents(IReadOnlyList<string> files)
        => Records(files).Select(r => new TextDocument(Required(r.Record, _f.Text, "text_field", r.Location),
            _f.Source is { } s && Strings(r.Record, s) is [var src, ..] ? src : "all"));

    ChoiceItem ToChoice(JsonElement r, string at)
    {
        string context = Required(r, _f.Context, "context_field", at);
        var choices = Strings(r, _f.Choices ?? throw Missing("choices_field", at))
            ?? throw new InputException(at, $"no choices at '{_f.Choices}'");
        if (choices.Count < 2) throw new InputException(at, $"expected at least 2 choices at '{_f.Choices}', found {choices.Count}");
        int gold = Gold(r, choices.Count, at);
        if (_f.Blank is { } blank)
        {
            // A cloze passage: the text before the blank is the context; each choice fills the blank and the rest follows it.
            int i = context.IndexOf(blank, StringComparison.Ordinal);
            if (i < 0) throw new InputException(at, $"the passage has no blank '{blank}'");
            string after = context[(i + blank.Length)..].Replace(blank, "__", StringComparison.Ordinal);
            return new ChoiceItem(Prompt(context[..i]), choices.Select(c => c + after).ToList(), gold, at);
        }
        return new ChoiceItem(Prompt(context), choices.Select(c => _f.TargetDelimiter + c).ToList(), gold, at);
    }

    int Gold(JsonElement r, int count, string at)
    {
        if (_f.GoldFlags is { } flags)
        {
            var f = Strings(r, flags) ?? throw new InputException(at, $"no gold flags at '{flags}'");
            int k = f.IndexOf("1");
            if (k < 0 || f.Count != count) throw new InputException(at, $"expected {count} 0/1 flags with one 1 at '{flags}'");
            return k;
        }
        string g = Required(r, _f.Gold, "gold_field", at).Trim();
        int gold;
        if (int.TryParse(g, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n)) gold = n;
        else if (_f.Labels is { } lp && Strings(r, lp) is { } labels && labels.IndexOf(g) is >= 0 and var li) gold = li;
        else if (g.Length == 1 && char.IsAsciiLetterUpper(g[0])) gold = g[0] - 'A';
        else throw new InputException(at, $"gold '{g}' is not an index, a letter or one of the labels");
        if (gold < 0 || gold >= count) throw new InputException(at, $"gold index {gold} is outside the {count} choices");
        return gold;
    }

    string Required(JsonElement r, string? path, string option, string at)
        => (path is null ? null : Strings(r, path) is [var v, ..] ? v : null)
           ?? throw new InputException(at, path is null ? $"set {option} (format \"{_t.Format}\" has no such field)" : $"no value at '{path}'");

    static InputException Missing(string option, string at) => new(at, $"set {option}");

    /// <summary>The string values at a field path (numbers and booleans as their JSON text); null when absent.</summary>
    internal static List<string>? Strings(JsonElement root, string path)
    {
        var found = Elements(root, path);
        if (found.Count == 0) return null;
        var values = new List<string>();
        foreach (var e in found)
        {
            if (e.ValueKind == JsonValueKind.Array) values.AddRange(e.EnumerateArray().Select(Text));
            else values.Add(Text(e));
        }
        return values;
    }

    static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.True => "1",
        JsonValueKind.False => "0",
        _ => e.GetRawText(),
    };

    static void Collect(JsonElement e, string[] parts, int i, List<JsonElement> found)
    {
        if (i == parts.Length) { if (e.ValueKind != JsonValueKind.Null) found.Add(e); return; }
        if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(parts[i], out var child)) Collect(child, parts, i + 1, found);
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray()) Collect(item, parts, i, found);
    }

    /// <summary>Expands data patterns relative to the tasks file.</summary>
    public IReadOnlyList<string> Files(IReadOnlyList<string> patterns) => InputFiles.Expand(patterns, _baseDirectory);

    /// <summary>The records the task evaluates: every record of the files, in order, or those its where option selects.</summary>
    IEnumerable<(JsonElement Record, string Location)> Records(IReadOnlyList<string> files)
    {
        if (_t.Where is not { } where) return AllRecords(files);
        int eq = where.IndexOf('=');
        string field = where[..eq], value = where[(eq + 1)..];
        return AllRecords(files).Where(r => Strings(r.Record, field) is [var v, ..] && v == value);
    }

    /// <summary>Every record of the files, in order, with its location (file:line or file#row).</summary>
    static IEnumerable<(JsonElement Record, string Location)> AllRecords(IReadOnlyList<string> files)
    {
        foreach (var file in files)
        {
            if (file.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var r in ParquetRecords.Read(file)) yield return r;
                continue;
            }
            using var reader = new StreamReader(InputFiles.OpenDecompressed(file));
            long line = 0;
            while (reader.ReadLine() is { } text)
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                JsonElement record;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    record = doc.RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    throw new InputException($"{file}:{line}", $"malformed JSON ({ex.Message.Split(" LineNumber")[0].TrimEnd('.')})", ex);
                }
                if (record.ValueKind != JsonValueKind.Object) throw new InputException($"{file}:{line}", "expected a JSON object");
                yield return (record, $"{file}:{line}");
            }
        }
    }
}

/// <summary>Rows of a Parquet file as JSON objects (flat columns: strings, numbers, booleans).</summary>
internal static class ParquetRecords
{
    public static IEnumerable<(JsonElement, string)> Read(string file)
    {
        using var fs = InputFiles.OpenRead(file);
        Parquet.ParquetReader reader;
        try { reader = Parquet.ParquetReader.CreateAsync(fs).GetAwaiter().GetResult(); }
        catch (Exception ex) when (ex is not InputException) { throw new InputException(file, $"not a readable Parquet file ({ex.Message})", ex); }
        try
        {
            var fields = reader.Schema.GetDataFields();
            if (fields.FirstOrDefault(f => f.IsArray) is { } list)
                throw new InputException(file, $"column '{list.Name}' is a list column; evaluation reads flat Parquet columns (export the data as JSON Lines instead)");
            long row = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int rows = checked((int)group.RowCount);
                List<(string Name, object?[] Values)> columns;
                try { columns = fields.Select(f => (f.Name, Values: ReadColumn(group, f, rows))).ToList(); }
                catch (InputException ex) { throw new InputException(file, ex.Message, ex); }
                for (int i = 0; i < rows; i++, row++)
                {
                    var obj = new System.Text.Json.Nodes.JsonObject();
                    foreach (var (name, values) in columns)
                        obj[name] = values[i] switch
                        {
                            null => null,
                            string s => s,
                            bool b => b,
                            var v => System.Text.Json.Nodes.JsonValue.Create(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)),
                        };
                    using var doc = JsonDocument.Parse(obj.ToJsonString());
                    yield return (doc.RootElement.Clone(), $"{file}#{row}");
                }
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    static object?[] ReadColumn(Parquet.ParquetRowGroupReader group, Parquet.Schema.DataField f, int rows)
    {
        var t = Nullable.GetUnderlyingType(f.ClrType) ?? f.ClrType;
        if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
        {
            var v = new string?[rows];
            group.ReadAsync(f, v.AsMemory()).AsTask().GetAwaiter().GetResult();
            return v;
        }
        if (!t.IsPrimitive && t != typeof(decimal)) throw new InputException($"column '{f.Name}'", $"type {t.Name} is not read for evaluation (strings, numbers and booleans are)");
        var read = typeof(ParquetRecords).GetMethod(nameof(ReadStruct), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(t);
        return (object?[])read.Invoke(null, [group, f, rows])!;
    }

    static object?[] ReadStruct<T>(Parquet.ParquetRowGroupReader group, Parquet.Schema.DataField f, int rows) where T : struct
    {
        var v = new T?[rows];
        group.ReadAsync<T>(f, v.AsMemory()).AsTask().GetAwaiter().GetResult();
        return v.Select(x => (object?)x).ToArray();
    }
}
