using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training.Tests;

/// <summary>The KV cache (GptModel.ForwardCached, KvCache) and Generator with and without it.</summary>
[Collection("torch random")]
public class GenerationTests
{
    // A token the models never pick, so that greedy runs always reach maxTokens.
    const int NoEot = -1;
    const int Context = 32;

    public static TheoryData<string> Configs => ["rmsnorm-swiglu-qknorm-qkvbias", "layernorm-gelu-untied", "rmsnorm-swiglu-qknorm-qkvbias-bf16", "layernorm-gelu-untied-bf16"];

    static bool IsBf16(string config) => config.EndsWith("-bf16", StringComparison.Ordinal);

    /// <summary>
    /// A random model whose logits are far apart (a large init) so that greedy picks do not hinge on rounding, with
    /// the norm weights and biases moved off their 1 and 0 so that every option's parameters take part.
    /// </summary>
    static GptModel Model(string config, long seed = 7)
    {
        var o = new ModelOptions { ContextLength = Context, NLayers = 2, DModel = 32, NHeads = 2, InitStd = 0.5 };
        if (config.StartsWith("rmsnorm-swiglu-qknorm-qkvbias", StringComparison.Ordinal))
        {
            o.Norm = "rmsnorm"; o.Mlp = "swiglu"; o.QkNorm = true; o.QkvBias = true; o.TieEmbeddings = true;
        }
        else
        {
            o.Norm = "layernorm"; o.Mlp = "gelu"; o.TieEmbeddings = false;
        }
        var model = new GptModel(o, Fixtures.Vocab, CPU, seed);
        using var _ = no_grad();
        foreach (var (_, p) in model.Parameters)
            if (p.dim() == 1) p.add_(randn_like(p).mul_(0.3));
        return model;
    }

    static List<int> Prompt(int length, int seed = 3)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => r.Next(0, 256)).ToList();
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Greedy_generation_with_the_cache_equals_full_recomputation_token_for_token(string config)
    {
        using var model = Model(config);
        bool bf16 = IsBf16(config);
        // 8 + 48 tokens: the last 24 steps slide the window past context_length (32).
        var prompt = Prompt(8);
        var full = Generator.Generate(model, prompt, 48, 0, 0, 1, 1, NoEot, bf16, useCache: false);
        var cached = Generator.Generate(model, prompt, 48, 0, 0, 1, 1, NoEot, bf16, useCache: true);
        Assert.Equal(48, full.Count);
        Assert.Equal(full, cached);
        Assert.True(full.Distinct().Count() > 3, "the model should not repeat one token only: " + string.Join(",", full));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void A_prompt_longer_than_the_context_is_read_as_its_last_window_with_and_without_the_cache(string config)
    {
        using var model = Model(config, seed: 11);
        bool bf16 = IsBf16(config);
        var prompt = Prompt(45, seed: 5);
        var full = Generator.Generate(model, prompt, 40, 0, 0, 1, 1, NoEot, bf16, useCache: false);
        var cached = Generator.Generate(model, prompt, 40, 0, 0, 1, 1, NoEot, bf16, useCache: true);
        Assert.Equal(40, full.Count);
        Assert.Equal(full, cached);
        // Only the last context_length tokens count: an earlier token changed changes nothing.
        var changedHead = prompt.ToList();
        changedHead[0] = (changedHead[0] + 1) % 256;
        Assert.Equal(full, Generator.Generate(model, changedHead, 40, 0, 0, 1, 1, NoEot, bf16, useCache: true));
    }

    [Theory]
    [InlineData("rmsnorm-swiglu-qknorm-qkvbias")]
    [InlineData("layernorm-gelu-untied")]
    public void Logits_of_a_sequence_fed_in_chunks_equal_the_logits_of_the_whole_sequence(string config)
    {
        using var scope = NewDisposeScope();
        using var model = Model(config);
        using var _ = no_grad();
        manual_seed(5);
        var ids = randint(0, 256, [2, Context], dtype: ScalarType.Int64);
        var whole = model.Forward(ids, bf16: false, training: false);
        using var cache = new KvCache(model);
        var parts = new List<Tensor>();
        long start = 0;
        foreach (long n in new long[] { 5, 1, 7, 1, 1, 3, 14 })
        {
            parts.Add(model.ForwardCached(ids.narrow(1, start, n), cache, bf16: false));
            start += n;
            Assert.Equal(start, cache.Length);
        }
        Assert.Equal(Context, start);
        var chunked = cat(parts, 1);
        Assert.Equal(whole.shape, chunked.shape);
        double maxDiff = (chunked - whole).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"max difference {maxDiff}");
        // The cache holds the keys and values of every token read, as [B, heads, T, head_dim].
        Assert.Equal(new long[] { 2, 2, Context, 16 }, cache.Keys(1).shape);
        Assert.Equal(new long[] { 2, 2, Context, 16 }, cache.Values(0).shape);
    }

    [Fact]
    public void Bf16_chunked_logits_stay_close_to_the_whole_sequence_and_the_cache_refuses_more_than_it_holds()
    {
        using var scope = NewDisposeScope();
        using var model = Model("rmsnorm-swiglu-qknorm-qkvbias-bf16");
        using var _ = no_grad();
        manual_seed(6);
        var ids = randint(0, 256, [1, Context], dtype: ScalarType.Int64);
        var whole = model.Forward(ids, bf16: true, training: false).to(ScalarType.Float32);
        using var cache = new KvCache(model);
        var first = model.ForwardCached(ids.narrow(1, 0, 20), cache, bf16: true);
        Assert.Equal(ScalarType.BFloat16, first.dtype);
        var rest = model.ForwardCached(ids.narrow(1, 20, 12), cache, bf16: true);
        var chunked = cat([first, rest], 1).to(ScalarType.Float32);
        // bf16 rounding of logits of size ~10 is ~0.05; the paths round differently, not more.
        double maxDiff = (chunked - whole).abs().max().item<float>();
        Assert.True(maxDiff < 0.25, $"max difference {maxDiff}");
        var ex = Assert.Throws<InvalidOperationException>(() => model.ForwardCached(ids.narrow(1, 0, 1), cache, bf16: true));
        Assert.Contains("at most 32 tokens", ex.Message);
        Assert.Equal(Context, cache.Length);
        cache.Reset();
        Assert.Equal(0, cache.Length);
        Assert.True(allclose(model.ForwardCached(ids.narrow(1, 0, 20), cache, bf16: true), first, 0, 0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_stop_callback_ends_generation_after_the_token_it_saw(bool useCache)
    {
        using var model = Model("rmsnorm-swiglu-qknorm-qkvbias");
        var prompt = Prompt(6);
        var all = Generator.Generate(model, prompt, 30, 0, 0, 1, 1, NoEot, useCache: useCache);
        var seen = new List<int>();
        var stopped = Generator.Generate(model, prompt, 30, 0, 0, 1, 1, NoEot, useCache: useCache, stop: output =>
        {
            seen.Add(output.Count);
            return output.Count >= 2 && output[^2] == all[9] && output[^1] == all[10];
        });
        // A stop sequence: the output ends at the first occurrence of the pair, its last token included.
        int end = Enumerable.Range(2, 10).First(n => all[n - 2] == all[9] && all[n - 1] == all[10]);
        Assert.Equal(all.Take(end), stopped);
        Assert.Equal(Enumerable.Range(1, end), seen);
    }

    [Fact]
    public void Sampled_generation_follows_the_seed_with_and_without_the_cache()
    {
        using var model = Model("layernorm-gelu-untied");
        var prompt = Prompt(6);
        var a = Generator.Generate(model, prompt, 40, 1.0, 40, 0.95, 21, NoEot);
        var b = Generator.Generate(model, prompt, 40, 1.0, 40, 0.95, 21, NoEot);
        var other = Generator.Generate(model, prompt, 40, 1.0, 40, 0.95, 22, NoEot);
        var noCache = Generator.Generate(model, prompt, 40, 1.0, 40, 0.95, 21, NoEot, useCache: false);
        Assert.Equal(40, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, other);
        // The same draws on logits equal up to rounding pick the same tokens.
        Assert.Equal(a, noCache);
    }

    [Fact]
    public void Timed_generation_splits_prefill_from_decode_and_returns_the_same_tokens()
    {
        using var model = Model("rmsnorm-swiglu-qknorm-qkvbias");
        var prompt = Prompt(10);
        var (tokens, prefill, decode) = Generator.GenerateTimed(model, prompt, 12, 0, 0, 1, 1, NoEot);
        Assert.Equal(Generator.Generate(model, prompt, 12, 0, 0, 1, 1, NoEot), tokens);
        Assert.True(prefill > 0);
        Assert.True(decode > 0);
        var (none, p0, d0) = Generator.GenerateTimed(model, prompt, 0, 0, 0, 1, 1, NoEot);
        Assert.Empty(none);
        Assert.Equal(0, p0 + d0, 2);
    }

    [Fact]
    public void Generation_stops_at_end_of_text_without_including_it()
    {
        using var model = Model("layernorm-gelu-untied");
        var prompt = Prompt(6);
        var all = Generator.Generate(model, prompt, 20, 0, 0, 1, 1, NoEot);
        // Treating the fifth greedy token as end-of-text ends the output before it, with or without the cache.
        int eot = all[4];
        int firstAt = all.IndexOf(eot);
        Assert.Equal(all.Take(firstAt), Generator.Generate(model, prompt, 20, 0, 0, 1, 1, eot));
        Assert.Equal(all.Take(firstAt), Generator.Generate(model, prompt, 20, 0, 0, 1, 1, eot, useCache: false));
    }
}
