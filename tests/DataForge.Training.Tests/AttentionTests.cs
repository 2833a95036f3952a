using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training.Tests;

[Collection("torch random")]
public class AttentionTests
{
    [Fact]
    public void Written_out_bf16_attention_agrees_with_the_fused_kernel_when_nothing_is_dropped()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var q = randn(2, 3, 17, 8);
        var k = randn(2, 3, 17, 8);
        var v = randn(2, 3, 17, 8);
        var reference = GptModel.CausalAttention(q, k, v, 0.0);
        // A drop probability below 1/65536 rounds to no dropout: the written-out bf16 path without a mask.
        var bf16 = GptModel.CausalAttention(q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), v.to(ScalarType.BFloat16), 1e-7).to(ScalarType.Float32);
        Assert.True(allclose(bf16, reference, rtol: 3e-2, atol: 3e-2), $"max difference {(bf16 - reference).abs().max().item<float>()}");
        // Causal: the first position attends to itself only.
        Assert.True(allclose(bf16.select(2, 0), v.select(2, 0), rtol: 1e-2, atol: 1e-2));
        // Changing the last value must not change any earlier position's output (no look into the future).
        var lastChanged = cat([v.narrow(2, 0, 16), v.narrow(2, 16, 1) + 100], 2);
        var changed = GptModel.CausalAttention(q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), lastChanged.to(ScalarType.BFloat16), 1e-7).to(ScalarType.Float32);
        Assert.True(allclose(changed.narrow(2, 0, 16), bf16.narrow(2, 0, 16), 0, 0));
        Assert.False(allclose(changed.narrow(2, 16, 1), bf16.narrow(2, 16, 1), 1e-2, 1e-2));
    }

    [Fact]
    public void Dropout_drops_the_asked_share_scales_the_rest_and_follows_the_seed()
    {
        using var scope = NewDisposeScope();
        var x = ones(1000, 1001).requires_grad_();
        manual_seed(11);
        var y = GptModel.Dropout(x, 0.1);
        double dropped = y.eq(0).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(dropped, 0.098, 0.102);
        float kept = 65536f / (65536 - 6554);
        Assert.Equal(kept, y.max().item<float>(), 5);
        Assert.InRange(y.to(ScalarType.Float64).mean().item<double>(), 0.995, 1.005);
        y.sum().backward();
        Assert.True(allclose(x.grad!, y.detach(), 0, 0));
        manual_seed(11);
        Assert.True(allclose(GptModel.Dropout(x, 0.1), y, 0, 0));
        manual_seed(12);
        Assert.False(allclose(GptModel.Dropout(x, 0.1), y, 0, 0));
        // Neighbouring elements come from the two halves of one draw: both must vary independently.
        var pairs = y.detach().view(-1).narrow(0, 0, 1000000).view(-1, 2).eq(0).to(ScalarType.Float64);
        Assert.InRange((pairs.select(1, 0) * pairs.select(1, 1)).mean().item<double>(), 0.008, 0.012);
    }
}
