using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Quality.FastText;
using DataForge.Quality.Features;
using DataForge.Quality.Model;
using DataForge.Quality.Stages;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Cli;

/// <summary><c>dataforge quality train|eval|score</c>: the ML.NET quality classifier (docs/quality.md).</summary>
public static class QualityCommand
{
    public static Command Build(CliIO io)
    {
        var cmd = new Command("quality", "Train, evaluate and apply the quality classifier (hashed word n-grams + ML.NET logistic regression).");
        cmd.Subcommands.Add(Train(io));
        cmd.Subcommands.Add(Eval(io));
        cmd.Subcommands.Add(Score(io));
        return cmd;
    }

    static Option<string[]> Files(string name, string description) => new(name)
    {
        Description = description + " JSONL (.jsonl[.gz|.zst], field \"text\") or plain text (one document per line); globs allowed.",
        AllowMultipleArgumentsPerToken = true,
        Required = true,
    };

    static List<byte[]> ReadAll(string[] patterns) => [.. LabelledText.Read(InputList(patterns))];

    /// <summary>Input files of a command; a missing file or an empty glob is a usage error (exit 2).</summary>
    static IReadOnlyList<string> InputList(string[] patterns)
    {
        try
        {
            return LabelledText.Files(patterns, Directory.GetCurrentDirectory());
        }
        catch (Execution.InputException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    static Command Train(CliIO io)
    {
        var pos = Files("--positive", "High-quality documents.");
        var neg = Files("--negative", "Low-quality documents.");
        var output = new Option<string>("--out") { Description = "Model zip to write; the evaluation goes next to it as MODEL.eval.json.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of sampling, split and training.", DefaultValueFactory = _ => 42 };
        var holdout = new Option<double>("--holdout") { Description = "Fraction held out for evaluation.", DefaultValueFactory = _ => 0.1 };
        var bits = new Option<int>("--hash-bits") { Description = "Feature space of 2^N hashed buckets.", DefaultValueFactory = _ => 20 };
        var ngrams = new Option<int>("--word-ngrams") { Description = "Longest word n-gram (2 = unigrams and bigrams).", DefaultValueFactory = _ => 2 };
        var charMin = new Option<int>("--char-min") { Description = "Shortest character n-gram (0 = none).", DefaultValueFactory = _ => 0 };
        var charMax = new Option<int>("--char-max") { Description = "Longest character n-gram (0 = none).", DefaultValueFactory = _ => 0 };
        var maxPerClass = new Option<int>("--max-per-class") { Description = "Use at most N documents per class (0 = all, after balancing).", DefaultValueFactory = _ => 0 };
        var trainer = new Option<string>("--trainer") { Description = "sdca (SDCA logistic regression) or lbfgs (L-BFGS logistic regression).", DefaultValueFactory = _ => "sdca" };
        var l2 = new Option<float?>("--l2") { Description = "L2 regularisation (default: the trainer's)." };
        var iterations = new Option<int?>("--iterations") { Description = "Passes (SDCA) or iterations (L-BFGS); default: the trainer's." };
        var c = new Command("train", "Train a quality classifier on positive and negative documents; prints and saves the held-out evaluation.")
        {
            pos, neg, output, seed, holdout, bits, ngrams, charMin, charMax, maxPerClass, trainer, l2, iterations,
        };
        c.SetAction(parse =>
        {
            var options = new QualityTrainOptions
            {
                Featurizer = new FeaturizerSettings
                {
                    HashBits = parse.GetValue(bits), WordNgrams = parse.GetValue(ngrams),
                    CharMin = parse.GetValue(charMin), CharMax = parse.GetValue(charMax),
                },
                Seed = parse.GetValue(seed),
                Holdout = parse.GetValue(holdout),
                MaxPerClass = parse.GetValue(maxPerClass),
                Trainer = parse.GetValue(trainer)!,
                L2 = parse.GetValue(l2),
                Iterations = parse.GetValue(iterations),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }
            var sw = Stopwatch.StartNew();
            var positives = ReadAll(parse.GetValue(pos)!);
            var negatives = ReadAll(parse.GetValue(neg)!);
            double readSeconds = sw.Elapsed.TotalSeconds;
            string outPath = parse.GetValue(output)!;
            QualityTrainResult r;
            try
            {
                r = QualityTrainer.Train(positives, negatives, options, outPath, m => io.Err.WriteLine(m));
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }
            var extra = new Dictionary<string, object>
            {
                ["model"] = Path.GetFullPath(outPath),
                ["trainer"] = options.Trainer,
                ["featurizer"] = options.Featurizer,
                ["seed"] = options.Seed,
                ["train_documents"] = r.TrainDocuments,
                ["held_out_documents"] = r.HeldOutDocuments,
                ["positives_read"] = r.PositivesRead,
                ["negatives_read"] = r.NegativesRead,
                ["read_seconds"] = Math.Round(readSeconds, 3),
                ["featurize_seconds"] = Math.Round(r.FeaturizeSeconds, 3),
                ["train_seconds"] = Math.Round(r.TrainSeconds, 3),
            };
            string json = r.Evaluation.ToJson(extra);
            File.WriteAllText(EvalPath(outPath), json + "\n");
            io.Out.WriteLine(json);
            return ExitCodes.Ok;
        });
        return c;
    }

    /// <summary>MODEL.zip -&gt; MODEL.eval.json.</summary>
    public static string EvalPath(string modelPath)
        => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".eval.json");

    static Command Eval(CliIO io)
    {
        var model = new Option<string>("--model") { Description = "Model zip from 'quality train'.", Required = true };
        var pos = Files("--positive", "High-quality documents.");
        var neg = Files("--negative", "Low-quality documents.");
        var c = new Command("eval", "Evaluate a model on labelled documents (all of them, no balancing); prints JSON with auc and P/R/F1.") { model, pos, neg };
        c.SetAction(parse =>
        {
            var m = LoadModel(parse.GetValue(model)!);
            var positives = ReadAll(parse.GetValue(pos)!);
            var negatives = ReadAll(parse.GetValue(neg)!);
            var docs = positives.Concat(negatives).ToList();
            var labels = positives.Select(_ => true).Concat(negatives.Select(_ => false)).ToList();
            io.Out.WriteLine(QualityTrainer.Evaluate(m, docs, labels).ToJson());
            return ExitCodes.Ok;
        });
        return c;
    }

    static QualityModel LoadModel(string path)
    {
        try
        {
            return QualityModel.Load(path);
        }
        catch (InvalidDataException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    static Command Score(CliIO io)
    {
        var model = new Option<string>("--model") { Description = "Model zip from 'quality train', or a fastText supervised .bin.", Required = true };
        var input = new Argument<string[]>("input") { Description = "Files to score: JSONL (each object gets the score added) or plain text (one document per line).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "JSONL output file (default: standard output)." };
        var column = new Option<string>("--column") { Description = "Name of the score field.", DefaultValueFactory = _ => "quality" };
        var label = new Option<string>("--label") { Description = "fastText models: the label whose probability is the score.", DefaultValueFactory = _ => "__label__hq" };
        var scoresOnly = new Option<bool>("--scores-only") { Description = "Write one score per line instead of JSONL." };
        var workers = new Option<int>("--workers", "-w") { Description = "Scoring threads (default: number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var c = new Command("score", "Score documents with a quality model (or a fastText .bin) and write JSONL with the score added; throughput goes to standard error.")
        {
            model, input, output, column, label, scoresOnly, workers,
        };
        c.SetAction(parse =>
        {
            string modelPath = parse.GetValue(model)!;
            string col = parse.GetValue(column)!;
            // The engine's scoring stage does the scoring, exactly as in a pipeline (quality_score or fasttext_score).
            ScoreStage stage;
            try
            {
                stage = modelPath.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
                    ? new FastTextScoreStage(new FastTextScoreOptions { Model = modelPath, Label = parse.GetValue(label)!, Column = col }, new StageInit { Name = "fasttext_score", Type = "fasttext_score" })
                    : new QualityScoreStage(new QualityScoreOptions { Model = modelPath, Column = col }, new StageInit { Name = "quality_score", Type = "quality_score" });
            }
            catch (DataForge.Configuration.OptionException ex)
            {
                throw new CliUsageException(ex.Option == "model" && !File.Exists(modelPath) ? $"{modelPath}: model file not found" : $"{modelPath}: {ex.Message}");
            }
            bool only = parse.GetValue(scoresOnly);
            int w = parse.GetValue(workers);
            if (w < 1) throw new CliUsageException($"--workers must be >= 1, got {w}");
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = w };
            string? outPath = parse.GetValue(output);
            using var outStream = outPath is null ? Console.OpenStandardOutput() : File.Create(outPath);
            using var writer = new StreamWriter(outStream, new UTF8Encoding(false), 1 << 16);
            var sw = Stopwatch.StartNew();
            long docs = 0, bytes = 0;
            foreach (var file in InputList(parse.GetValue(input)!))
            {
                bool json = LabelledText.IsJsonl(file);
                foreach (var chunk in LabelledText.Lines(file).Chunk(4096))
                {
                    // Each line keeps its number in the file, so errors point at it.
                    var lines = chunk.Where(l => l.Line.Length > 0).ToArray();
                    var texts = new byte[lines.Length][];
                    var nodes = new JsonObject?[lines.Length];
                    var scores = new float[lines.Length];
                    try
                    {
                        Parallel.For(0, lines.Length, parallel, i =>
                        {
                            if (json && !only)
                            {
                                try
                                {
                                    nodes[i] = JsonNode.Parse(lines[i].Line) as JsonObject;
                                    texts[i] = Encoding.UTF8.GetBytes(nodes[i]?["text"]?.GetValue<string>()!);
                                }
                                catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentNullException)
                                {
                                    throw new Execution.InputException($"{file}:{lines[i].Number}", "expected a JSON object with a string \"text\" field", ex);
                                }
                            }
                            else if (json) texts[i] = JsonText(lines[i].Line, file, lines[i].Number);
                            else texts[i] = Encoding.UTF8.GetBytes(lines[i].Line);
                        });
                        // One batch per worker, each scored by the stage on its own thread; scores come back in order.
                        int per = (lines.Length + w - 1) / Math.Max(1, w);
                        Parallel.For(0, (lines.Length + per - 1) / Math.Max(1, per), parallel, part =>
                        {
                            int from = part * per, to = Math.Min(lines.Length, from + per);
                            var b = new DocumentBatchBuilder();
                            for (int i = from; i < to; i++) b.Append([], texts[i], []);
                            using var batch = b.Build();
                            using var scored = stage.Process(batch, new StageContext { Stats = new StageStats { Name = stage.Name, Type = stage.Type }, Partition = part, Seed = 0 });
                            var values = (Apache.Arrow.FloatArray)scored.Column(col)!;
                            for (int i = from; i < to; i++) scores[i] = values.GetValue(i - from)!.Value;
                        });
                    }
                    catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
                    }
                    for (int i = 0; i < lines.Length; i++)
                    {
                        bytes += texts[i].Length;
                        if (only) { writer.WriteLine(scores[i].ToString("R", CultureInfo.InvariantCulture)); continue; }
                        var node = nodes[i] ?? new JsonObject { ["text"] = lines[i].Line };
                        node[col] = scores[i];
                        writer.WriteLine(node.ToJsonString());
                    }
                    docs += lines.Length;
                }
            }
            writer.Flush();
            double s = sw.Elapsed.TotalSeconds;
            io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scored {docs} documents ({bytes / 1e6:F1} MB) in {s:F2}s: {docs / Math.Max(s, 1e-9):F0} docs/s, {bytes / 1e6 / Math.Max(s, 1e-9):F1} MB/s"));
            return ExitCodes.Ok;
        });
        return c;
    }

    static byte[] JsonText(string line, string file, long lineNumber)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                return Encoding.UTF8.GetBytes(t.GetString()!);
        }
        catch (JsonException)
        {
        }
        throw new Execution.InputException($"{file}:{lineNumber}", "expected a JSON object with a string \"text\" field");
    }
}
