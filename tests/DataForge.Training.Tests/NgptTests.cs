using System.Text;
using System.Text.Json;
using DataForge.Configuration;
using DataForge.Tests;
using DataForge.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training.Tests;

[Collection("torch random")]
public class NgptTests
{
    static ModelOptions Tiny(bool tie = false) => new()
    {
        Architecture = "ngpt", ContextLength = 32, NLayers = 2, DModel = 32, NHeads = 2, Mlp = "swiglu", TieEmbeddings = tie,
    };

    static double MaxDeviationFromUnitNorm(Tensor w, int dim) =>
        (w.detach().norm(dim, keepdim: false, p: 2) - 1).abs().max().item<float>();

    [Fact]
    public void After_training_steps_every_matrix_has_unit_vectors_along_the_embedding_dimension_and_hidden_states_lie_on_the_sphere()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 3)));
        var r = Trainer.Run(Fixtures.TinyNgpt(dir["run"], data, steps: 3), new TrainRunOptions());
        var (model, _) = Trainer.LoadModel(Path.Combine(r.RunDirectory, "final"), torch.CPU);
        using (model)
        {
            var matrices = model.NormalisedMatrices().ToList();
            // Embedding, output embedding, and 7 matrices per layer.
            Assert.Equal(2 + 7 * 2, matrices.Count);
            foreach (var (name, dim) in matrices)
            {
                Assert.Equal(32, model[name].shape[dim]);
                Assert.True(MaxDeviationFromUnitNorm(model[name], dim) < 1e-5, $"{name}: {MaxDeviationFromUnitNorm(model[name], dim)}");
            }
            // The steps changed the weights (the normalisation is not of an untouched initialisation).
            using var fresh = new GptModel(model.Options, Fixtures.Vocab, torch.CPU, 1234);
            Assert.False(torch.allclose(fresh["model.layers.0.self_attn.q_proj.weight"], model["model.layers.0.self_attn.q_proj.weight"], 1e-4, 1e-6));
            Assert.False(torch.allclose(fresh["model.layers.0.attn_alpha"], model["model.layers.0.attn_alpha"], 1e-4, 1e-6));

            using var _ = torch.no_grad();
            var ids = torch.tensor(Encoding.UTF8.GetBytes("The quick brown fox jumps").Select(b => (long)b).ToArray(), [1, 25], int64);
            foreach (bool bf16 in new[] { false, true })
            {
                var h = model.Hidden(ids, bf16, training: false).to(ScalarType.Float32);
                Assert.True((h.norm(-1, false, 2) - 1).abs().max().item<float>() < (bf16 ? 1e-2 : 1e-5));
            }
        }
    }

    [Fact]
    public void A_raw_optimiser_step_leaves_the_sphere_and_normalise_weights_returns_to_it()
    {
        using var model = new GptModel(Tiny(), Fixtures.Vocab, torch.CPU, 7);
        using var opt = new AdamW(model.Parameters, 0.9, 0.95, 1e-8, 0.0);
        var windows = torch.randint(0, 256, [4, 17], dtype: int64);
        model.Loss(windows, false, true).backward();
        opt.Update(0.05);
        string q = "model.layers.1.self_attn.q_proj.weight", o = "model.layers.1.self_attn.o_proj.weight";
        Assert.True(MaxDeviationFromUnitNorm(model[q], 1) > 1e-3);
        model.NormaliseWeights();
        Assert.True(MaxDeviationFromUnitNorm(model[q], 1) < 1e-5);
        Assert.True(MaxDeviationFromUnitNorm(model[o], 0) < 1e-5);
        Assert.True(MaxDeviationFromUnitNorm(model["model.embed_tokens.weight"], 1) < 1e-5);
    }

    [Fact]
    public void Eigen_learning_rates_and_scales_have_the_papers_shapes_and_initial_effective_values()
    {
        using var model = new GptModel(Tiny(), Fixtures.Vocab, torch.CPU, 1);
        int d = 32, h = model.Options.Hidden;
        double baseScale = 1 / Math.Sqrt(d);
        void Check(string name, long size, double stored, double effective)
        {
            Assert.Equal([size], model[name].shape);
            Assert.True(torch.allclose(model[name], torch.full(size, stored), 1e-6, 1e-7), name);
            Assert.True(torch.allclose(model.Effective(name), torch.full(size, effective), 1e-6, 1e-7), name);
        }
        for (int i = 0; i < 2; i++)
        {
            string p = $"model.layers.{i}.";
            Check(p + "attn_alpha", d, baseScale, 0.05);
            Check(p + "mlp_alpha", d, baseScale, 0.05);
            Check(p + "self_attn.s_qk", d, baseScale, 1.0);
            Check(p + "mlp.s_u", h, 1.0, 1.0);
            Check(p + "mlp.s_v", h, 1.0, 1.0);
        }
        Check(NgptScales.LogitScale, Fixtures.Vocab, baseScale, 1.0);
        Assert.DoesNotContain(model.Parameters, p => p.Name.Contains("norm", StringComparison.Ordinal));
    }

    [Fact]
    public void Resume_gives_the_same_losses_and_weights_as_an_uninterrupted_run()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 3)));
        var full = Trainer.Run(Fixtures.TinyNgpt(dir["a"], data, steps: 10), new TrainRunOptions());
        var o = Fixtures.TinyNgpt(dir["b"], data, steps: 10);
        Assert.Throws<TrainingInterruptedException>(() => Trainer.Run(o, new TrainRunOptions { StopAfterStep = 4 }));
        var resumed = Trainer.Run(o, new TrainRunOptions { Resume = true });
        static List<double> Losses(string run) => File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToList();
        Assert.Equal(10, Losses(full.RunDirectory).Count);
        Assert.Equal(Losses(full.RunDirectory), Losses(resumed.RunDirectory));
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.RunDirectory, "final", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.RunDirectory, "final", "model.safetensors")));
    }

    [Fact]
    public void Trains_in_fp32_and_bf16_and_the_exported_model_reloads_with_the_same_logits_and_cached_generation()
    {
        using var dir = new TempDir();
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 4)));
        var r = Trainer.Run(Fixtures.TinyNgpt(dir["run"], data, steps: 60), new TrainRunOptions { LoadCodec = _ => new ByteCodec() });
        Assert.True(r.FinalLoss < 2.5, $"final loss {r.FinalLoss}");
        var b = Trainer.Run(Fixtures.TinyNgpt(dir["bf16"], data, steps: 60, precision: "bf16"), new TrainRunOptions());
        Assert.True(b.FinalLoss < 2.8, $"bf16 final loss {b.FinalLoss}");

        using var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(r.RunDirectory, "final", "config.json")));
        Assert.Equal("dataforge_ngpt", cfg.RootElement.GetProperty("model_type").GetString());
        var (model, eot) = Trainer.LoadModel(Path.Combine(r.RunDirectory, "final"), torch.CPU);
        using (model)
        {
            Assert.Equal(Fixtures.Eot, eot);
            using var _ = torch.no_grad();
            var ids = torch.tensor(Encoding.UTF8.GetBytes("The quick brown fox jumps over").Select(x => (long)x).ToArray(), [1, 30], int64);
            var whole = model.Forward(ids, false, false);
            using var cache = new KvCache(model);
            var first = model.ForwardCached(ids.narrow(1, 0, 17), cache, false);
            var rest = model.ForwardCached(ids.narrow(1, 17, 13), cache, false);
            Assert.True(torch.allclose(torch.cat([first, rest], 1), whole, 1e-4, 1e-4));
            var prompt = Encoding.UTF8.GetBytes("The quick").Select(x => (int)x).ToList();
            var cached = Generator.Generate(model, prompt, 20, 0, 0, 1, 1, -1, useCache: true);
            var uncached = Generator.Generate(model, prompt, 20, 0, 0, 1, 1, -1, useCache: false);
            Assert.Equal(uncached, cached);
            Assert.Equal(" brown", Encoding.UTF8.GetString(cached.Take(6).Select(x => (byte)x).ToArray()));
        }
    }

    [Fact]
    public void Ngpt_refuses_options_it_does_not_have_and_defaults_to_no_weight_decay_or_warmup()
    {
        string json = """
        {"output": "x", "steps": 10, "model": {"architecture": "ngpt", "mlp": "gelu", "qk_norm": true, "hidden_dropout": 0.1},
         "phases": [{"name": "a", "sources": [{"path": "d"}]}]}
        """;
        var ex = Assert.Throws<ConfigException>(() => TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "t.json"));
        var text = string.Join("\n", ex.Errors.Select(e => e.ToString()));
        Assert.Contains("set mlp to swiglu", text);
        Assert.Contains("no qkv_bias or qk_norm", text);
        Assert.Contains("without dropout", text);
        var o = Fixtures.TinyNgpt("x", "d");
        Assert.Equal(0.0, o.WeightDecay);
        Assert.Equal(0, o.Warmup);
        var g = Fixtures.Tiny("x", "d");
        Assert.Equal(0.01, g.WeightDecay);
    }
}
