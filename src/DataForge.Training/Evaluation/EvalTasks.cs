using DataForge.Configuration;

namespace DataForge.Training.Evaluation;

/// <summary>TASKS.json: the benchmark tasks <c>dataforge eval</c> runs (and TRAIN.json's <c>eval.tasks</c>).</summary>
public sealed class EvalTasks : IValidatableOptions
{
    [Option("Name of this task list, recorded in eval.json.")]
    public string Name { get; set; } = "tasks";

    [Option("Seed of the few-shot draws and of sampled generation.", Min = 0)]
    public long Seed { get; set; } = 1234;

    [Option("Sequences scored together in one forward pass (multiple choice, perplexity).", Min = 1, Max = 4096)]
    public int BatchSize { get; set; } = 16;

    [Option("The tasks, run in order.", Required = true)]
    public List<EvalTask> Tasks { get; set; } = [];

    /// <summary>The directory of the tasks file; data paths in it resolve against it.</summary>
    public string BaseDirectory { get; set; } = Directory.GetCurrentDirectory();

    public void Validate(OptionsValidation v)
    {
        if (Tasks.Count == 0) v.Error("tasks", "expected at least one task");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in Tasks)
        {
            if (!names.Add(t.Name)) v.Error("tasks", $"task names must be unique; \"{t.Name}\" repeats");
        }
    }

    /// <summary>Reads and validates a TASKS.json; errors name file, line, column and JSON path.</summary>
    public static EvalTasks Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tasks file not found", path);
        var tasks = OptionsBinder.BindConfig<EvalTasks>(File.ReadAllBytes(path), path);
        tasks.BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return tasks;
    }
}

/// <summary>One benchmark task: its kind, its data and how records map to items.</summary>
public sealed class EvalTask : IValidatableOptions
{
    [Option("Task name, unique in the file; results are named task/metric.", Required = true)]
    public string Name { get; set; } = "";

    [Option("perplexity (loss, perplexity, bits per byte over text or token directories), multiple_choice (log-likelihood of each choice), or generate (continue a prompt, extract and check the answer).",
        Required = true, AllowedValues = ["perplexity", "multiple_choice", "generate"])]
    public string Kind { get; set; } = "";

    [Option("Data files or globs (JSON Lines, optionally .gz/.zst; Parquet of flat columns), relative to the tasks file. Perplexity also takes token directories (their val.bin).", Required = true)]
    public List<string> Data { get; set; } = [];

    [Option("A field layout of a public export: commonsense_qa, truthfulqa_mc1, hellaswag, chid, idiom_cloze (DataForge's own items), gsm8k, math_generate, list_dict_generate; explicit *_field options override it.",
        AllowedValues = ["custom", "commonsense_qa", "truthfulqa_mc1", "hellaswag", "chid", "idiom_cloze", "gsm8k", "math_generate", "list_dict_generate"])]
    public string Format { get; set; } = "custom";

    [Option("Only records whose field has this value, written field=value (e.g. meta.task=idiom_cloze for a mixed output of generators).")]
    public string? Where { get; set; }

    [Option("Evaluate at most this many items (0 = all); dataforge eval --limit lowers it.", Min = 0)]
    public int Limit { get; set; }

    [Option("Field with the context or question (dotted path into nested objects, e.g. question.stem).")]
    public string? ContextField { get; set; }

    [Option("Field with the choices: an array of strings, or a path through an array of objects (e.g. question.choices.text).")]
    public string? ChoicesField { get; set; }

    [Option("Field with the gold choice: an index (number or numeric string), a letter (A, B ...) or a label found in labels_field.")]
    public string? GoldField { get; set; }

    [Option("Field with the choices' labels (e.g. choices.label), for letter answers.")]
    public string? LabelsField { get; set; }

    [Option("Field with 0/1 flags per choice (e.g. mc1_targets.labels): the gold is the first 1.")]
    public string? GoldFlagsField { get; set; }

    [Option("Marks the blank in a cloze passage (chid: #idiom#, idiom_cloze: __); each choice is put in its place and the rest of the passage is scored with it.")]
    public string? Blank { get; set; }

    [Option("Field with the reference answer (generate).")]
    public string? AnswerField { get; set; }

    [Option("Field with a document's text (perplexity over text).")]
    public string? TextField { get; set; }

    [Option("Field whose value groups perplexity results (per source).")]
    public string? SourceField { get; set; }

    [Option("Prompt template: {context} is replaced by the context field.")]
    public string? Template { get; set; }

    [Option("Between the prompt and a choice or answer (lm-evaluation-harness target_delimiter).")]
    public string TargetDelimiter { get; set; } = " ";

    [Option("Wrap each prompt in the Llama-3-like chat template (for fine-tuned models).")]
    public bool Chat { get; set; }

    [Option("Few-shot examples before each item (drawn with the seed from few_shot_data, or from the other items).", Min = 0, Max = 64)]
    public int FewShot { get; set; }

    [Option("Files the few-shot examples come from (a train split), relative to the tasks file.")]
    public List<string> FewShotData { get; set; } = [];

    [Option("Between few-shot examples and before the item.")]
    public string FewShotSeparator { get; set; } = "\n\n";

    [Option("Generate: tokens to generate at most.", Min = 1, Max = 4096)]
    public int MaxTokens { get; set; } = 128;

    [Option("Generate: generation stops at the first of these strings (not included).")]
    public List<string> Stop { get; set; } = ["\n\n"];

    [Option("Generate: sampling temperature (0 = greedy).", Min = 0)]
    public double Temperature { get; set; }

    [Option("Generate: how the answer is taken from the text: gsm8k (#### N, else the last number), last_number, regex (first group of answer_regex), code_block (the last ``` block), or none (the whole text, trimmed).",
        AllowedValues = ["gsm8k", "last_number", "regex", "code_block", "none"])]
    public string Extract { get; set; } = "none";

    [Option("Generate: the regex for extract \"regex\" (its first group is the answer).")]
    public string? AnswerRegex { get; set; }

    [Option("Generate: exact (equal strings after trimming) or numeric (equal numbers).", AllowedValues = ["exact", "numeric"])]
    public string Match { get; set; } = "exact";

    [Option("Perplexity: window length in tokens (default: the model's context length).", Min = 2)]
    public int? Window { get; set; }

    [Option("Perplexity: tokens the window moves by; each token is predicted once, with up to window - stride tokens of context carried over (default: the window, no overlap).", Min = 1)]
    public int? Stride { get; set; }

    public void Validate(OptionsValidation v)
    {
        if (Where is { } where && where.IndexOf('=') <= 0) v.Error("where", $"expected field=value, found \"{where}\"");
        if (Extract == "regex" && string.IsNullOrEmpty(AnswerRegex)) v.Error("answer_regex", "expected a regex with one group: extract is \"regex\"");
        if (AnswerRegex is { } r)
            try { _ = new System.Text.RegularExpressions.Regex(r); }
            catch (ArgumentException ex) { v.Error("answer_regex", $"not a valid regex: {ex.Message}"); }
        if (Stride is { } s && Window is { } w && s > w) v.Error("stride", $"expected stride <= window ({w}), found {s}");
        if (FewShot > 0 && Kind == "perplexity") v.Error("few_shot", "few-shot examples apply to multiple_choice and generate tasks");
    }
}
