using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataForge.Determinism;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.IO;

namespace DataForge.Tokenization.Mixing;

/// <summary>What a mix produced, as its report says.</summary>
public sealed record MixResult(JsonObject Report, double Seconds)
{
    public IReadOnlyList<string> Phases => Report["phases"]!.AsArray().Select(p => (string)p!["name"]!).ToList();
    public IReadOnlyList<string> Notes => Report["notes"]!.AsArray().Select(n => (string)n!).ToList();
    public long TokensWritten => Report["phases"]!.AsArray().Sum(p => (long)p!["realised_tokens"]!);
    public long DocumentsWritten => Report["phases"]!.AsArray().Sum(p => p!["entries"]!.AsArray().Sum(e => (long)e!["documents"]!));

    public static MixResult FromReport(JsonObject report, double seconds) => new(report, seconds);
}

/// <summary>
/// Bucketed mixing to token shards: tokenize the sources once into spill files per (source, bucket),
/// plan per-phase targets under the repetition caps (<see cref="MixPlanner"/>), then for each phase
/// draw documents from every key in a seeded shuffled order (a new shuffle each epoch), interleave
/// the keys at random in proportion to the tokens each still needs, and write OUTPUT/&lt;phase&gt;/ as
/// a tokens directory plus OUTPUT/mix_report.json.
/// </summary>
public static class Mixer
{
    public const string ReportFile = "mix_report.json";

    /// <summary>
    /// <c>dataforge mix MIX.json</c>: reads the sources' shards, tokenizes, mixes and writes, holding the output
    /// directory's lock throughout and keeping to <see cref="MixOutput"/>'s discipline (work directory,
    /// --resume, --overwrite, _SUCCESS last).
    /// </summary>
    public static MixResult Run(MixConfig config, string baseDirectory, int threads, Action<string>? log = null, MixRunOptions? options = null)
    {
        options ??= new MixRunOptions();
        var clock = Stopwatch.StartNew();
        string outDir = Path.GetFullPath(Path.Combine(baseDirectory, config.Output));
        var files = new List<IReadOnlyList<string>>();
        foreach (var src in config.Sources)
        {
            var f = SourceFiles(src.Path!, baseDirectory);
            if (f.Count == 0) throw new InputException($"source '{src.Name}': no shards found at {src.Path}");
            files.Add(f);
        }
        MixOutput.CheckSourcesOutside(config, baseDirectory, outDir, files, options.ConfigFile);
        var tokenizer = TextTokenizer.Load(config.Tokenizer, baseDirectory);
        string tokenizerPath = Path.GetFullPath(Path.Combine(baseDirectory, config.Tokenizer));
        string identity = MixOutput.Identity(config, files, Path.Exists(tokenizerPath) ? tokenizerPath : null);

        var output = new MixOutput(outDir, log);
        output.RefuseForeign(options);
        using var outputLock = OutputLock.Acquire(outDir, "mix");
        if (!output.Prepare(identity, options)) return output.LoadFinished();
        if (!output.Publishing && !IsStaged(output.Staging))
        {
            try
            {
                var spillDirs = Spill(config, threads, log, clock, tokenizer, output, files);
                MixFromSpills(config, config.Name, tokenizer, spillDirs, output.Staging, (ulong)(config.Seed ?? 42), log);
            }
            catch
            {
                // An error (not a kill) would fail again on --resume; a plain rerun may start afresh.
                output.Abandon();
                throw;
            }
        }
        else log?.Invoke("--resume: the phases were all written before the interruption; moving them into place");
        output.Publish();
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, ReportFile)))!.AsObject();
        return MixResult.FromReport(report, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Tokenizes every source into its spill directory; a source spilled completely by an interrupted attempt is reused.</summary>
    static List<string> Spill(MixConfig config, int threads, Action<string>? log, Stopwatch clock, TextTokenizer tokenizer, MixOutput output,
        List<IReadOnlyList<string>> files)
    {
        var spillDirs = new List<string>();
        for (int si = 0; si < config.Sources.Count; si++)
        {
            var src = config.Sources[si];
            string dir = output.SpillDir(si);
            spillDirs.Add(dir);
            if (MixSpillWriter.IsComplete(dir))
            {
                log?.Invoke($"source '{src.Name}': tokenized by the interrupted mix; reused");
                continue;
            }
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            using (var spill = new MixSpillWriter(dir, tokenizer))
            {
                foreach (var f in files[si]) SpillFile(spill, src, f, threads);
                spill.Complete();
            }
            log?.Invoke($"source '{src.Name}': tokenized {files[si].Count} shard file(s) [{clock.Elapsed.TotalSeconds:F1}s]");
            FaultPoints.At("mix:after-spill");
        }
        return spillDirs;
    }

    /// <summary>Tokenizes one shard file of a source into <paramref name="spill"/>, under the (source, bucket) key of each document.</summary>
    internal static void SpillFile(MixSpillWriter spill, MixSourceOptions src, string file, int threads)
    {
        foreach (var batch in ShardFiles.Read(file))
            using (batch)
            {
                string[]? bucket = null;
                if (src.BucketColumn is { } bc)
                    bucket = MixSpillWriter.BucketValues(batch, bc)
                        ?? throw new InputException(file, $"source '{src.Name}': no column '{bc}' and no '{bc}' field in meta (bucket_column)");
                spill.AddBatch(batch, (b, i) => new MixKey(src.Name, bucket?[i]), threads);
            }
    }

    /// <summary>Shard files of a source path: a pipeline output directory (manifest order), a file, or a glob.</summary>
    public static IReadOnlyList<string> SourceFiles(string path, string baseDirectory)
    {
        string full = Path.GetFullPath(Path.Combine(baseDirectory, path));
        if (Directory.Exists(full))
        {
            if (Manifest.Read(full) is { } manifest)
                return manifest.Shards.Select(s => Path.Combine(full, s.File)).Where(ShardFiles.IsShard).ToList();
            return Directory.EnumerateFiles(full).Where(f => ShardFiles.IsShard(f) && !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        }
        return InputFiles.Expand([path], baseDirectory);
    }

    /// <summary>
    /// Plans and writes the phases from spilled, tokenized documents into <paramref name="stagingDir"/> (a directory
    /// of its own, emptied first), mix_report.json last, so that <see cref="IsStaged"/> tells a complete
    /// staging from an interrupted one; <see cref="Publish"/> then moves it into place. Shared by the
    /// command and the mix stage.
    /// </summary>
    public static MixResult MixFromSpills(MixSettings settings, string name, TextTokenizer tokenizer, IEnumerable<string> spillDirs, string stagingDir,
        ulong seed, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        if (Directory.Exists(stagingDir)) Directory.Delete(stagingDir, recursive: true);
        Directory.CreateDirectory(stagingDir);
        var keyDocs = MixKeyDocs.Open(spillDirs);
        try
        {
            var epochs = settings.Sources.ToDictionary(s => s.Name, s => s.MaxEpochs, StringComparer.Ordinal);
            var supplies = keyDocs.Select(k => new MixSupply(k.Key, k.Tokens, k.Count, epochs.GetValueOrDefault(k.Key.Source, 1))).ToList();
            var plan = MixPlanner.Plan(supplies,
                settings.Phases.Select(p => (p.Name, p.Tokens, (IReadOnlyDictionary<string, double>)p.Weights)).ToList(),
                settings.OnShortfall == "redistribute");
            foreach (var n in plan.Notes) log?.Invoke(n);

            int K = keyDocs.Count;
            var streams = keyDocs.Select(k => new KeyStream(k, seed, supplies.First(s => s.Key == k.Key).Cap)).ToArray();
            var realised = new long[plan.Phases.Count][];
            var docsTaken = new long[plan.Phases.Count][];
            var phaseMeta = new List<JsonObject>();
            ulong valThreshold = TokensSink.ValThreshold(settings.ValFraction);
            var buffer = new int[4096];
            for (int p = 0; p < plan.Phases.Count; p++)
            {
                realised[p] = new long[K];
                docsTaken[p] = new long[K];
                string phaseDir = Path.Combine(stagingDir, plan.Phases[p]);
                using var writer = new TokenDirectoryWriter(phaseDir, tokenizer, settings.Format);
                var rng = new SplitMix64(Seeds.Derive(seed, "interleave/" + plan.Phases[p]));
                var active = Enumerable.Range(0, K).Where(k => plan.Planned[p][k] > 0).ToList();
                while (active.Count > 0)
                {
                    double total = 0;
                    foreach (int k in active) total += Math.Max(1, plan.Planned[p][k] - realised[p][k]);
                    double r = rng.NextDouble() * total;
                    int pick = active[^1];
                    foreach (int k in active)
                    {
                        r -= Math.Max(1, plan.Planned[p][k] - realised[p][k]);
                        if (r < 0) { pick = k; break; }
                    }
                    var s = streams[pick];
                    long target = plan.Planned[p][pick], taken = realised[p][pick];
                    int len = s.PeekLength();
                    // Stop a key at its cap, or when one more document would land further from the target than stopping.
                    if (s.Consumed + len > s.Cap || taken >= target || taken + len - target > target - taken)
                    {
                        active.Remove(pick);
                        continue;
                    }
                    var ids = s.Take(ref buffer, out int doc);
                    bool val = valThreshold > 0 && (valThreshold == ulong.MaxValue
                        || Seeds.Derive(TokensSink.ValSplitSeed(seed), $"{keyDocs[pick].Key}\u0000{doc}") < valThreshold);
                    (val ? writer.Val : writer.Train).AddDocument(ids[..^1]);
                    realised[p][pick] += ids.Length;
                    docsTaken[p][pick]++;
                }
                var meta = writer.Complete(new JsonObject { ["mix"] = name, ["phase"] = plan.Phases[p], ["seed"] = seed });
                phaseMeta.Add(meta);
                log?.Invoke($"phase '{plan.Phases[p]}': {realised[p].Sum():N0} tokens ({(long)meta["train_tokens"]!:N0} train, {(long)meta["val_tokens"]!:N0} val) [{clock.Elapsed.TotalSeconds:F1}s]");
                FaultPoints.At("mix:after-phase");
            }
            var report = Report(name, tokenizer, seed, settings, plan, realised, docsTaken, streams, phaseMeta);
            // Atomically and last: its presence says every phase is written.
            JsonFiles.WriteAtomic(Path.Combine(stagingDir, ReportFile), w => report.WriteTo(w));
            return MixResult.FromReport(report, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var k in keyDocs) k.Dispose();
        }
    }

    /// <summary>True when <paramref name="stagingDir"/> holds a complete mix (<see cref="MixFromSpills"/> writes the report last).</summary>
    public static bool IsStaged(string stagingDir) => File.Exists(Path.Combine(stagingDir, ReportFile));

    /// <summary>
    /// Moves what <see cref="MixFromSpills"/> staged into <paramref name="outDir"/>: each phase directory
    /// (replacing one of that name), then mix_report.json last. What was moved is gone from the staging, so
    /// after an interruption calling this again moves the rest.
    /// </summary>
    public static void Publish(string stagingDir, string outDir, Action? afterPhase = null)
    {
        if (!Directory.Exists(stagingDir)) return;
        foreach (var phase in Directory.EnumerateDirectories(stagingDir).Order(StringComparer.Ordinal).ToList())
        {
            string dest = Path.Combine(outDir, Path.GetFileName(phase));
            if (Directory.Exists(dest)) Directory.Delete(dest, recursive: true);
            Directory.Move(phase, dest);
            afterPhase?.Invoke();
        }
        string report = Path.Combine(stagingDir, ReportFile);
        if (File.Exists(report)) File.Move(report, Path.Combine(outDir, ReportFile), overwrite: true);
    }

    static JsonObject Report(string name, TextTokenizer tokenizer, ulong seed, MixSettings settings, MixPlan plan, long[][] realised, long[][] docs,
        KeyStream[] streams, List<JsonObject> phaseMeta)
    {
        var phases = new JsonArray();
        for (int p = 0; p < plan.Phases.Count; p++)
        {
            long sum = realised[p].Sum();
            var entries = new JsonArray();
            for (int k = 0; k < plan.Supplies.Count; k++)
            {
                var s = plan.Supplies[k];
                if (plan.Weights[p][k] == 0 && realised[p][k] == 0) continue;
                entries.Add(new JsonObject
                {
                    ["source"] = s.Key.Source,
                    ["bucket"] = s.Key.Bucket,
                    ["available_tokens"] = s.Tokens,
                    ["weight"] = Math.Round(plan.Weights[p][k], 6),
                    ["requested_tokens"] = plan.Requested[p][k],
                    ["planned_tokens"] = plan.Planned[p][k],
                    ["realised_tokens"] = realised[p][k],
                    ["realised_weight"] = sum == 0 ? 0 : Math.Round((double)realised[p][k] / sum, 6),
                    ["documents"] = docs[p][k],
                    ["epochs"] = s.Tokens == 0 ? 0 : Math.Round((double)realised[p][k] / s.Tokens, 4),
                });
            }
            phases.Add(new JsonObject
            {
                ["name"] = plan.Phases[p],
                ["budget_tokens"] = plan.Budgets[p],
                ["realised_tokens"] = sum,
                ["train_tokens"] = phaseMeta[p]["train_tokens"]!.DeepClone(),
                ["val_tokens"] = phaseMeta[p]["val_tokens"]!.DeepClone(),
                ["unfilled_tokens"] = plan.Unfilled[p],
                ["directory"] = plan.Phases[p],
                ["entries"] = entries,
            });
        }
        var sources = new JsonArray();
        for (int k = 0; k < plan.Supplies.Count; k++)
        {
            var s = plan.Supplies[k];
            sources.Add(new JsonObject
            {
                ["source"] = s.Key.Source,
                ["bucket"] = s.Key.Bucket,
                ["available_tokens"] = s.Tokens,
                ["available_documents"] = s.Documents,
                ["max_epochs"] = s.MaxEpochs,
                ["cap_tokens"] = s.Cap,
                ["requested_tokens"] = Enumerable.Range(0, plan.Phases.Count).Sum(p => plan.Requested[p][k]),
                ["realised_tokens"] = streams[k].Consumed,
                ["epochs_used"] = s.Tokens == 0 ? 0 : Math.Round((double)streams[k].Consumed / s.Tokens, 4),
            });
        }
        return new JsonObject
        {
            ["name"] = name,
            ["tokenizer"] = tokenizer.Spec,
            ["vocab_size"] = tokenizer.VocabSize,
            ["eot_id"] = tokenizer.EndOfTextId,
            ["seed"] = seed,
            ["on_shortfall"] = settings.OnShortfall,
            ["val_fraction"] = settings.ValFraction,
            ["format"] = settings.Format,
            ["notes"] = new JsonArray(plan.Notes.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
            ["phases"] = phases,
            ["sources"] = sources,
        };
    }

    /// <summary>A key's documents in a seeded shuffled order, reshuffled each epoch; counts what was consumed.</summary>
    sealed class KeyStream(MixKeyDocs docs, ulong seed, long cap)
    {
        int[]? _order;
        int _pos, _epoch;

        public long Cap { get; } = cap;
        public long Consumed { get; private set; }

        void Ensure()
        {
            if (_order is not null && _pos < _order.Length) return;
            if (_order is not null) _epoch++;
            _order ??= new int[docs.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            var rng = new SplitMix64(Seeds.Derive(seed, $"shuffle/{docs.Key}/{_epoch}"));
            rng.Shuffle(_order.AsSpan(), BoundedDraw.ScaledDouble);
            _pos = 0;
        }

        public int PeekLength()
        {
            if (docs.Count == 0) return int.MaxValue / 2;
            Ensure();
            return docs.Length(_order![_pos]);
        }

        public ReadOnlySpan<int> Take(ref int[] buffer, out int doc)
        {
            Ensure();
            doc = _order![_pos++];
            var ids = docs.Read(doc, ref buffer);
            Consumed += ids.Length;
            return ids;
        }
    }
}
