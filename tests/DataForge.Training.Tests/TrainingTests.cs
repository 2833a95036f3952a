using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DataForge.Execution;
using DataForge.Tests;
using DataForge.Training;
using DataForge.Configuration;

namespace DataForge.Training.Tests;

public class ScheduleTests
{
    [Fact]
    public void Wsd_exponential_matches_the_documented_formula()
    {
        // W = 10, T = 80, S = 100, half-life 5
        var s = new LrSchedule("wsd", 1e-3, 1e-5, 10, 80, 100, "exponential", 5);
        Assert.Equal(1e-3 * 3 / 10, s.At(3), 15);
        Assert.Equal(1e-3, s.At(10), 15);
        Assert.Equal(1e-3, s.At(79), 15);
        Assert.Equal(1e-3, s.At(80), 15);
        Assert.Equal(1e-3 * Math.Pow(0.5, 1), s.At(85), 15);
        Assert.Equal(1e-3 * Math.Pow(0.5, 17 / 5.0), s.At(97), 15);
    }

    [Fact]
    public void Wsd_linear_and_cosine_decay_reach_min_lr()
    {
        var lin = new LrSchedule("wsd", 1.0, 0.1, 0, 50, 100, "linear");
        Assert.Equal(1.0, lin.At(50), 12);
        Assert.Equal(1.0 + (0.1 - 1.0) * 25 / 50.0, lin.At(75), 12);
        Assert.Equal(0.1, lin.At(100), 12);
        var cos = new LrSchedule("wsd", 1.0, 0.1, 0, 50, 100, "cosine");
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 0.5)), cos.At(75), 12);
        Assert.Equal(0.1, cos.At(100), 12);
    }

    [Fact]
    public void Cosine_schedule_warms_up_then_decays_from_warmup_end()
    {
        var s = new LrSchedule("cosine", 2.0, 0.2, 10, 10, 110);
        Assert.Equal(2.0 * 4 / 10, s.At(4), 12);
        Assert.Equal(2.0, s.At(10), 12);
        Assert.Equal(0.2 + 1.8 * 0.5 * (1 + Math.Cos(Math.PI * 0.3)), s.At(40), 12);
        Assert.Equal(0.2, s.At(110), 12);
    }

    [Fact]
    public void Batch_size_doubles_at_given_steps()
    {
        var b = new BatchOptions { GradAccum = 2, DoubleAtSteps = [10, 20] };
        Assert.Equal(2, LrSchedule.Accumulation(b, 9));
        Assert.Equal(4, LrSchedule.Accumulation(b, 10));
        Assert.Equal(8, LrSchedule.Accumulation(b, 25));
    }
}

public class ConfigTests
{
    [Fact]
    public void Errors_carry_json_paths()
    {
        string json = """
        {
          "output": "x", "steps": 10,
          "model": {"mlp": "relu", "d_model": 30, "n_heads": 4},
          "phases": [{"name": "a", "sources": [{"path": "d", "weight": -1}]}]
        }
        """;
        var ex = Assert.Throws<ConfigException>(() => TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "t.json"));
        var text = string.Join("\n", ex.Errors.Select(e => e.ToString()));
        Assert.Contains("$.model.mlp", text);
        Assert.Contains("$.phases[0].sources[0].weight", text);
    }

    [Fact]
    public void A_phase_without_sources_is_a_config_error()
    {
        string json = """{"output": "x", "steps": 10, "phases": [{"name": "a", "sources": []}]}""";
        var ex = Assert.Throws<ConfigException>(() => TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "t.json"));
        Assert.Contains("$.phases[0].sources", string.Join("\n", ex.Errors.Select(e => e.ToString())));
    }

    [Fact]
    public void Cross_field_rules_are_checked()
    {
        string json = """
        {"output": "x", "steps": 10, "model": {"d_model": 30, "n_heads": 4},
         "phases": [{"name": "a", "until_step": 5, "sources": [{"path": "d"}]}]}
        """;
        var ex = Assert.Throws<ConfigException>(() => TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "t.json"));
        var text = string.Join("\n", ex.Errors.Select(e => e.ToString()));
        Assert.Contains("multiple of n_heads", text);
        Assert.Contains("last phase must end at steps", text);
    }
}

// Torch's random generator is global: classes that seed it run one at a time.
[Collection("torch random")]
public class TrainerTests
{
    static List<JsonElement> Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void Tiny_model_overfits_a_small_text()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 4)));
        var o = Fixtures.Tiny(dir["run"], data, steps: 150);
        var r = Trainer.Run(o, new TrainRunOptions { LoadCodec = _ => new ByteCodec() });
        var m = Metrics(r.RunDirectory);
        double firstLoss = m[0].GetProperty("loss").GetDouble();
        Assert.True(firstLoss > 4.5, $"first loss {firstLoss}");   // ~ln(257) = 5.55 at init
        Assert.True(r.FinalLoss < 0.5, $"final loss {r.FinalLoss}");
        Assert.NotNull(r.ValLoss);
        Assert.True(r.ValLoss < 0.7, $"val loss {r.ValLoss}");
        Assert.Contains(m, e => e.TryGetProperty("val_loss", out _));
        Assert.True(File.Exists(Path.Combine(r.RunDirectory, "final", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(r.RunDirectory, "config.json")));
    }

    [Fact]
    public void Bf16_mixed_precision_trains()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 4)));
        var r = Trainer.Run(Fixtures.Tiny(dir["run"], data, steps: 60, precision: "bf16"), new TrainRunOptions());
        Assert.True(r.FinalLoss < 2.5, $"final loss {r.FinalLoss}");
    }

    [Fact]
    public void Resume_gives_the_same_loss_sequence_as_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 3)));
        var full = Trainer.Run(Fixtures.Tiny(dir["a"], data, steps: 12, dropout: 0.1), new TrainRunOptions());
        var o = Fixtures.Tiny(dir["b"], data, steps: 12, dropout: 0.1);
        var ex = Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(o, new TrainRunOptions { StopAfterStep = 5 }));
        Assert.Equal(5, ex.Step);
        Assert.True(Directory.Exists(Path.Combine(dir["b"], "checkpoints", "step-00000005")));
        var resumed = Trainer.Run(o, new TrainRunOptions { Resume = true });
        var a = Metrics(full.RunDirectory).Select(e => e.GetProperty("loss").GetDouble()).ToList();
        var b = Metrics(resumed.RunDirectory).Select(e => e.GetProperty("loss").GetDouble()).ToList();
        Assert.Equal(12, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(full.ValLoss, resumed.ValLoss);
    }

    /// <summary>metrics.jsonl without its timing field (tokens_per_s differs run to run).</summary>
    static List<string> MetricsWithoutTiming(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l =>
        {
            var obj = System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject();
            obj.Remove("tokens_per_s");
            return obj.ToJsonString();
        }).ToList();

    static byte[] FinalModel(string run) => File.ReadAllBytes(Path.Combine(run, "final", "model.safetensors"));

    /// <summary>A tiny run over two sources (so both the per-source window order and the source picker matter).</summary>
    static TrainOptions TwoSources(string run, string root, int steps = 12)
    {
        var o = Fixtures.Tiny(run, Path.Combine(root, "a"), steps: steps, dropout: 0.1);
        o.Phases[0].Sources.Add(new SourceOptions { Path = Path.Combine(root, "b"), Weight = 0.5 });
        return o;
    }

    static void TwoSourceData(TempDir dir, string root)
    {
        Fixtures.TokenDir(dir, Path.Combine(root, "a"), string.Concat(Enumerable.Repeat(Fixtures.Text, 3)));
        Fixtures.TokenDir(dir, Path.Combine(root, "b"), string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet. ", 12)));
    }

    [Fact]
    public void Same_config_and_data_bytes_in_another_directory_train_identically()
    {
        using var dir = new TempDir();
        TwoSourceData(dir, "here");
        TwoSourceData(dir, "somewhere/else/entirely");
        var r1 = Trainer.Run(TwoSources(dir["here/run"], dir["here"]), new TrainRunOptions());
        var r2 = Trainer.Run(TwoSources(dir["somewhere/else/entirely/run"], dir["somewhere/else/entirely"]), new TrainRunOptions());
        Assert.Equal(MetricsWithoutTiming(r1.RunDirectory), MetricsWithoutTiming(r2.RunDirectory));
        Assert.Equal(FinalModel(r1.RunDirectory), FinalModel(r2.RunDirectory));
    }

    [Fact]
    public void A_run_directory_moved_with_its_data_resumes_and_ends_like_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        TwoSourceData(dir, "ref");
        var full = Trainer.Run(TwoSources(dir["ref/run"], dir["ref"]), new TrainRunOptions());
        TwoSourceData(dir, "old");
        Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(TwoSources(dir["old/run"], dir["old"]), new TrainRunOptions { StopAfterStep = 5 }));
        Directory.Move(dir["old"], dir["new"]);
        var resumed = Trainer.Run(TwoSources(dir["new/run"], dir["new"]), new TrainRunOptions { Resume = true });
        Assert.Equal(12, resumed.Steps);
        Assert.Equal(MetricsWithoutTiming(full.RunDirectory), MetricsWithoutTiming(resumed.RunDirectory));
        Assert.Equal(FinalModel(full.RunDirectory), FinalModel(resumed.RunDirectory));
    }

    [Fact]
    public void Resume_reads_path_keyed_checkpoints_and_refuses_changed_data()
    {
        using var dir = new TempDir();
        TwoSourceData(dir, "ref");
        var full = Trainer.Run(TwoSources(dir["ref/run"], dir["ref"]), new TrainRunOptions());
        TwoSourceData(dir, "old");
        var o = TwoSources(dir["old/run"], dir["old"]);
        Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(o, new TrainRunOptions { StopAfterStep = 5 }));
        // A checkpoint written before positions were keyed by index names each source by its full path.
        string statePath = Path.Combine(dir["old/run"], "checkpoints", "step-00000005", "state.json");
        var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(statePath))!.AsObject();
        var legacy = new System.Text.Json.Nodes.JsonObject();
        foreach (var e in state["sources"]!.AsArray())
            legacy[Path.GetFullPath(dir["old/" + (e!["index"]!.GetValue<int>() == 0 ? "a" : "b")])] = e["drawn"]!.GetValue<long>();
        state["sources"] = legacy;
        File.WriteAllText(statePath, state.ToJsonString());
        var resumed = Trainer.Run(o, new TrainRunOptions { Resume = true });
        Assert.Equal(FinalModel(full.RunDirectory), FinalModel(resumed.RunDirectory));

        // Other data under the same config is not resumed on.
        TwoSourceData(dir, "other");
        var p = TwoSources(dir["other/run"], dir["other"]);
        Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(p, new TrainRunOptions { StopAfterStep = 3 }));
        File.AppendAllText(Path.Combine(dir["other/b"], "train.bin"), new string('\0', 200));
        var ex = Assert.Throws<InputException>(() => Trainer.Run(p, new TrainRunOptions { Resume = true }));
        Assert.Contains("its data changed", ex.Message);
    }

    [Fact]
    public void Cancellation_writes_a_checkpoint_that_resume_continues()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        var o = Fixtures.Tiny(dir["run"], data, steps: 8);
        using var cts = new CancellationTokenSource();
        var ex = Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(o, new TrainRunOptions
        {
            Cancellation = cts.Token,
            Progress = p => { if (p.Step == 3) cts.Cancel(); },
        }));
        Assert.Equal(3, ex.Step);
        var state = File.ReadAllText(Path.Combine(dir["run"], "checkpoints", "step-00000003", "state.json"));
        Assert.Contains("\"step\": 3", state);
        var r = Trainer.Run(o, new TrainRunOptions { Resume = true });
        Assert.Equal(8, r.Steps);
        Assert.Equal(Enumerable.Range(1, 8), Metrics(r.RunDirectory).Select(e => e.GetProperty("step").GetInt32()));
    }

    [Fact]
    public void Repetition_caps_are_respected_and_reported()
    {
        using var dir = new TempDir();
        // small: 200 bytes -> 6 windows of 33 tokens; big: many windows
        string small = Fixtures.TokenDir(dir, "small", new string('a', 200));
        string big = Fixtures.TokenDir(dir, "big", string.Concat(Enumerable.Repeat(Fixtures.Text, 20)));
        var o = Fixtures.Tiny(dir["run"], big, steps: 20);
        o.Phases =
        [
            new PhaseOptions { Name = "p1", UntilStep = 10, Sources = [new SourceOptions { Path = small, Weight = 5, MaxEpochs = 2 }, new SourceOptions { Path = big }] },
            new PhaseOptions { Name = "p2", Sources = [new SourceOptions { Path = small, Weight = 5 }, new SourceOptions { Path = big }] },
        ];
        var r = Trainer.Run(o, new TrainRunOptions());
        var s = r.Sources.Single(x => x.Path == Path.GetFullPath(small));
        Assert.Equal(6, s.Windows);
        Assert.Equal(12, s.Drawn);   // capped at 2 epochs over the whole run, in both phases
        Assert.True(s.CapReached);
        var b = r.Sources.Single(x => x.Path == Path.GetFullPath(big));
        Assert.Equal(20 * 8 - 12, b.Drawn);
        Assert.Contains("\"cap_reached\": true", File.ReadAllText(Path.Combine(r.RunDirectory, "sources.json")));
        Assert.Equal(new[] { "p1", "p2" }, Metrics(r.RunDirectory).Select(e => e.GetProperty("phase").GetString()).Distinct());
    }

    [Fact]
    public void Run_stops_when_every_source_is_capped()
    {
        using var dir = new TempDir();
        string small = Fixtures.TokenDir(dir, "small", new string('b', 200));
        var o = Fixtures.Tiny(dir["run"], small, steps: 10);
        o.Phases[0].Sources[0].MaxEpochs = 3; // 18 windows = 2 steps of 8, then exhausted in the third
        var r = Trainer.Run(o, new TrainRunOptions());
        Assert.Equal(2, r.Steps);
        Assert.Contains("max_epochs", r.StoppedBecause);
        Assert.True(File.Exists(Path.Combine(r.RunDirectory, "final", "model.safetensors")));
    }

    [Fact]
    public void Exported_safetensors_parse_with_a_reader_written_from_the_documented_layout()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        var o = Fixtures.Tiny(dir["run"], data, steps: 2);
        o.Model.TieEmbeddings = false;
        o.Model.QkvBias = true;
        o.Model.Mlp = "swiglu";
        var r = Trainer.Run(o, new TrainRunOptions());
        string final = Path.Combine(r.RunDirectory, "final");
        byte[] file = File.ReadAllBytes(Path.Combine(final, "model.safetensors"));
        // docs/reference.md#safetensors: u64 LE header length N; N bytes of JSON padded with spaces to a multiple of 8; data after.
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        Assert.Equal(header.TrimEnd(' ').Length + (header.Length - header.TrimEnd(' ').Length), header.Length);
        using var doc = JsonDocument.Parse(header.TrimEnd(' '));
        Assert.Equal("pt", doc.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        long dataLen = file.LongLength - 8 - (long)n;
        var spans = new List<(long, long)>();
        var tensors = new Dictionary<string, float[]>();
        foreach (var p in doc.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__"))
        {
            Assert.Equal("F32", p.Value.GetProperty("dtype").GetString());
            long count = p.Value.GetProperty("shape").EnumerateArray().Aggregate(1L, (a, e) => a * e.GetInt64());
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(count * 4, off[1] - off[0]);
            spans.Add((off[0], off[1]));
            var f = new float[count];
            Buffer.BlockCopy(file, (int)(8 + (long)n + off[0]), f, 0, (int)(count * 4));
            tensors[p.Name] = f;
        }
        spans.Sort();
        Assert.Equal(0, spans[0].Item1);
        for (int i = 1; i < spans.Count; i++) Assert.Equal(spans[i - 1].Item2, spans[i].Item1);
        Assert.Equal(dataLen, spans[^1].Item2);
        foreach (var name in new[] { "model.embed_tokens.weight", "lm_head.weight", "model.layers.0.self_attn.q_proj.bias",
                     "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.norm.weight" })
            Assert.True(tensors.ContainsKey(name), name);
        Assert.All(tensors["model.norm.weight"], v => Assert.InRange(v, 0.5f, 1.5f));
        // The model loads back and produces the same logits.
        var (model, eot) = Trainer.LoadModel(final, TorchSharp.torch.CPU);
        using (model)
        {
            Assert.Equal(Fixtures.Eot, eot);
            var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "config.json"))).RootElement;
            Assert.Equal("Qwen2ForCausalLM", cfg.GetProperty("architectures")[0].GetString());
            var emb = TorchSharp.torch.tensor(tensors["model.embed_tokens.weight"]);
            Assert.True(model["model.embed_tokens.weight"].flatten().allclose(emb));
            var gen = Generator.Generate(model, [65, 32], 5, 0, 0, 1, 1, Fixtures.Eot);
            Assert.InRange(gen.Count, 0, 5);
        }
    }

    [Fact]
    public void Existing_run_directory_needs_resume_and_overwrite_never_clears_a_foreign_one()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        Directory.CreateDirectory(dir["run"]);
        File.WriteAllText(Path.Combine(dir["run"], "x"), "");
        var o = Fixtures.Tiny(dir["run"], data, steps: 2);
        Assert.Throws<RunSetupException>(() => Trainer.Run(o, new TrainRunOptions()));
        var ex = Assert.Throws<RunSetupException>(() => Trainer.Run(o, new TrainRunOptions { Overwrite = true }));
        Assert.Contains("did not write", ex.Message);
        Assert.Equal(["x"], Directory.GetFiles(dir["run"]).Select(Path.GetFileName).Where(n => !n!.StartsWith(".dataforge", StringComparison.Ordinal)));
    }

    [Fact]
    public void Overwrite_clears_a_previous_run_and_resume_keeps_the_marker()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        var o = Fixtures.Tiny(dir["run"], data, steps: 4);
        Trainer.Run(o, new TrainRunOptions());
        string marker = Path.Combine(dir["run"], OutputDirectory.MarkerFile);
        Assert.Equal("train", OutputDirectory.KindOf(dir["run"]));
        File.WriteAllText(Path.Combine(dir["run"], "stale.txt"), "from the previous run");
        var notes = new List<string>();
        Trainer.Run(o, new TrainRunOptions { Overwrite = true, Log = notes.Add });
        Assert.False(File.Exists(Path.Combine(dir["run"], "stale.txt")));
        Assert.Contains(notes, n => n.Contains("--overwrite: removing the previous train output"));
        Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(o, new TrainRunOptions { Overwrite = true, StopAfterStep = 2 }));
        Trainer.Run(o, new TrainRunOptions { Resume = true });
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public void Bad_data_fails_before_anything_is_written()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        File.WriteAllBytes(Path.Combine(data, "train.bin"), new byte[1001]);
        var ex = Assert.Throws<InputException>(() => Trainer.Run(Fixtures.Tiny(dir["run"], data, steps: 2), new TrainRunOptions()));
        Assert.Contains(Path.Combine(data, "train.bin"), ex.Message);
        Assert.Contains("1001 bytes", ex.Message);
        Assert.Contains("uint16", ex.Message);
        Assert.False(Directory.Exists(dir["run"]));
        var missing = Assert.Throws<FileNotFoundException>(() => Trainer.Run(Fixtures.Tiny(dir["run"], dir["nosuch"], steps: 2), new TrainRunOptions()));
        Assert.Contains("$.phases[0].sources[0].path", missing.Message);
        Assert.False(Directory.Exists(dir["run"]));
    }

    [Fact]
    public void Resume_without_a_checkpoint_is_refused_and_leaves_a_new_directory_untouched()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        var o = Fixtures.Tiny(dir["run"], data, steps: 4);
        Directory.CreateDirectory(dir["run"]);
        File.WriteAllText(Path.Combine(dir["run"], "metrics.jsonl"), "{\"step\": 1}\n");   // a run killed before its first checkpoint
        var ex = Assert.Throws<RunSetupException>(() => Trainer.Run(o, new TrainRunOptions { Resume = true }));
        Assert.Contains("no checkpoint yet", ex.Message);
        Assert.Equal("{\"step\": 1}\n", File.ReadAllText(Path.Combine(dir["run"], "metrics.jsonl")));
        Assert.False(File.Exists(Path.Combine(dir["run"], "config.json")));
    }

    [Theory]
    [InlineData("data")]
    [InlineData("data/run")]
    [InlineData(".")]
    public void A_run_directory_overlapping_the_data_is_refused(string output)
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", Fixtures.Text);
        var ex = Assert.Throws<RunSetupException>(() => Trainer.Run(Fixtures.Tiny(Path.Combine(dir.Path, output), data, steps: 2), new TrainRunOptions()));
        Assert.Contains(Path.GetFullPath(data), ex.Message);
        Assert.Contains("$.phases[0].sources[0].path", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(data, "run")));
        Assert.False(File.Exists(Path.Combine(data, OutputDirectory.MarkerFile)));
    }
}
