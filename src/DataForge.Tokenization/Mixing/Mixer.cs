using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.IO;

namespace DataForge.Tokenization.Mixing;

/// <summary>What a mix run produced.</summary>
public sealed record MixResult(MixPlan Plan, JsonObject Report, long TokensWritten, long DocumentsWritten, double Seconds);

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

    /// <summary><c>dataforge mix MIX.json</c>: reads the sources' shards, tokenizes, mixes and writes.</summary>
    public static MixResult Run(MixConfig config, string baseDirectory, int threads, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        var tokenizer = TextTokenizer.Load(config.Tokenizer, baseDirectory);
        string outDir = Path.GetFullPath(Path.Combine(baseDirectory, config.Output));
        string work = Path.Combine(outDir, "_mix_work");
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        try
        {
            return RunIn(config, baseDirectory, threads, log, clock, tokenizer, outDir, work);
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    static MixResult RunIn(MixConfig config, string baseDirectory, int threads, Action<string>? log, Stopwatch clock, TextTokenizer tokenizer,
        string outDir, string work)
    {
        var spillDirs = new List<string>();
        for (int si = 0; si < config.Sources.Count; si++)
        {
            var src = config.Sources[si];
            var files = SourceFiles(src.Path!, baseDirectory);
            if (files.Count == 0) throw new InputException($"source '{src.Name}': no shards found at {src.Path}");
            string dir = Path.Combine(work, $"s{si:D3}");
            using var spill = new MixSpillWriter(dir, tokenizer);
            foreach (var f in files)
                foreach (var batch in ShardFiles.Read(f))
                    using (batch)
                    {
                        string[]? bucket = null;
                        if (src.BucketColumn is { } bc)
                            bucket = MixSpillWriter.BucketValues(batch, bc)
                                ?? throw new InputException(f, $"source '{src.Name}': no column '{bc}' and no '{bc}' field in meta (bucket_column)");
                        spill.AddBatch(batch, (b, i) => new MixKey(src.Name, bucket?[i]), threads);
                    }
            spill.Complete();
            spillDirs.Add(dir);
            log?.Invoke($"source '{src.Name}': tokenized {files.Count} shard file(s) [{clock.Elapsed.TotalSeconds:F1}s]");
        }
        var result = MixFromSpills(config, config.Name, tokenizer, spillDirs, outDir, (ulong)(config.Seed ?? 42), log);
        return result with { Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>Shard files of a source path: a pipeline output directory (manifest order), a file, or a glob.</summary>
    public static IReadOnlyList<string> SourceFiles(string path, string baseDirectory)
    {
        string full = Path.GetFullPath(Path.Combine(baseDirectory, path));
        if (Directory.Exists(full))
        {
            string manifest = Path.Combine(full, "manifest.json");
            if (File.Exists(manifest))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
                return doc.RootElement.GetProperty("shards").EnumerateArray()
                    .Select(s => Path.Combine(full, s.GetProperty("file").GetString()!)).Where(ShardFiles.IsShard).ToList();
            }
            return Directory.EnumerateFiles(full).Where(f => ShardFiles.IsShard(f) && !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        }
        return InputFiles.Expand([path], baseDirectory);
    }

    /// <summary>Plans and writes the phases from spilled, tokenized documents (shared by the command and the mix stage).</summary>
    public static MixResult MixFromSpills(MixSettings settings, string name, TextTokenizer tokenizer, IEnumerable<string> spillDirs, string outDir,
        ulong seed, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
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
            long totalTokens = 0, totalDocs = 0;
            var buffer = new int[4096];
            for (int p = 0; p < plan.Phases.Count; p++)
            {
                realised[p] = new long[K];
                docsTaken[p] = new long[K];
                string phaseDir = Path.Combine(outDir, plan.Phases[p]);
                using var writer = new TokenDirectoryWriter(phaseDir, tokenizer, settings.Format);
                var rng = new SplitMix64(SplitMix64.Seed(seed, "interleave/" + plan.Phases[p]));
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
                        || XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{keyDocs[pick].Key}\u0000{doc}"), (long)(seed ^ 0x76616c)) < valThreshold);
                    (val ? writer.Val : writer.Train).AddDocument(ids[..^1]);
                    realised[p][pick] += ids.Length;
                    docsTaken[p][pick]++;
                }
                var meta = writer.Complete(new JsonObject { ["mix"] = name, ["phase"] = plan.Phases[p], ["seed"] = seed });
                phaseMeta.Add(meta);
                totalTokens += realised[p].Sum();
                totalDocs += docsTaken[p].Sum();
                log?.Invoke($"phase '{plan.Phases[p]}': {realised[p].Sum():N0} tokens ({(long)meta["train_tokens"]!:N0} train, {(long)meta["val_tokens"]!:N0} val) [{clock.Elapsed.TotalSeconds:F1}s]");
            }
            var report = Report(name, tokenizer, seed, settings, plan, realised, docsTaken, streams, phaseMeta);
            File.WriteAllText(Path.Combine(outDir, ReportFile), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return new MixResult(plan, report, totalTokens, totalDocs, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var k in keyDocs) k.Dispose();
        }
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
            var rng = new SplitMix64(SplitMix64.Seed(seed, $"shuffle/{docs.Key}/{_epoch}"));
            for (int i = _order.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (_order[i], _order[j]) = (_order[j], _order[i]);
            }
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
