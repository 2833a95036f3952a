// Prints the GFLOP/s of an N^3 matmul in fp32 and bf16 with libtorch through TorchSharp (2 threads by default).
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

if (args.Length > 0 && args[0] == "rng") { RngCheck(); return; }
if (args.Length > 0 && args[0] == "attention")
{
    AttentionBench(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2);
    return;
}
int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2048;
int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
torch.set_num_threads(threads);
foreach (var dt in new[] { ScalarType.Float32, ScalarType.BFloat16 })
{
    using var a = torch.randn(n, n).to(dt);
    using var b = torch.randn(n, n).to(dt);
    torch.matmul(a, b).Dispose();
    int reps = 5;
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < reps; i++) torch.matmul(a, b).Dispose();
    double gflops = reps * 2.0 * n * n * n / sw.Elapsed.TotalSeconds / 1e9;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"impl\": \"libtorch 2.10 (TorchSharp)\", \"dtype\": \"{dt}\", \"n\": {n}, \"gflops\": {gflops:F1}}}"));
}

// Attention fwd+bwd timings for the training bench's shape ([16, 4, 256, 64]): the fused kernel (no dropout), libtorch's
// math path (dropout on), and explicit formulations.
static void AttentionBench(int threads)
{
    torch.set_num_threads(threads);
    long b = 16, h = 4, t = 256, hd = 64;
    foreach (var dt in new[] { ScalarType.BFloat16, ScalarType.Float32 })
    {
        void Time(string name, Func<Tensor, Tensor, Tensor, Tensor> f)
        {
            double best = double.MaxValue;
            for (int rep = 0; rep < 6; rep++)
            {
                using var scope = torch.NewDisposeScope();
                var q = torch.randn(b, h, t, hd).to(dt).requires_grad_();
                var k = torch.randn(b, h, t, hd).to(dt).requires_grad_();
                var v = torch.randn(b, h, t, hd).to(dt).requires_grad_();
                var sw = Stopwatch.StartNew();
                var y = f(q, k, v);
                y.sum().backward();
                if (rep > 0) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"dtype\": \"{dt}\", \"attention\": \"{name}\", \"ms_fwd_bwd\": {best:F1}}}"));
        }
        Time("sdpa, no dropout (fused)", (q, k, v) => F.scaled_dot_product_attention(q, k, v, null, 0.0, true));
        Time("sdpa, dropout 0.1", (q, k, v) => F.scaled_dot_product_attention(q, k, v, null, 0.1, true));
        var causal = torch.ones(t, t, dtype: ScalarType.Bool).triu(1);
        Time("explicit, no dropout", (q, k, v) => torch.matmul(torch.matmul(q, k.transpose(-2, -1)).mul(1.0 / Math.Sqrt(hd)).masked_fill(causal, double.NegativeInfinity).softmax(-1), v));
        Time("explicit, F.dropout 0.1", (q, k, v) => torch.matmul(F.dropout(torch.matmul(q, k.transpose(-2, -1)).mul(1.0 / Math.Sqrt(hd)).masked_fill(causal, double.NegativeInfinity).softmax(-1), 0.1, true), v));
        Time("explicit, fp32 softmax, F.dropout 0.1", (q, k, v) => torch.matmul(F.dropout(torch.matmul(q, k.transpose(-2, -1)).mul(1.0 / Math.Sqrt(hd)).masked_fill(causal, double.NegativeInfinity).softmax(-1, ScalarType.Float32), 0.1, true).to(dt), v));
        Time("bernoulli mask only", (q, k, v) => q.sum() + torch.empty(b, h, t, t, dtype: dt).bernoulli_(0.9).sum());
        Time("uint8 random mask only", (q, k, v) => q.sum() + torch.randint(0, 256, new long[] { b, h, t, t }, dtype: ScalarType.Byte).sum());
    }
}

static void RngCheck()
{
    torch.manual_seed(1);
    var bits = torch.randint(long.MinValue, long.MaxValue, new long[] { 1 << 20 }, dtype: ScalarType.Int64);
    for (int j = 0; j < 4; j++)
    {
        var lane = bits.bitwise_right_shift(torch.tensor(16L * j)).bitwise_and(torch.tensor(0xFFFFL));
        Console.WriteLine($"lane {j}: min {lane.min().item<long>()} max {lane.max().item<long>()} mean {lane.to(ScalarType.Float64).mean().item<double>():F1} frac<6554 {lane.lt(6554).to(ScalarType.Float64).mean().item<double>():F5}");
    }
    void T(string name, Func<Tensor> f) { f().Dispose(); var sw = Stopwatch.StartNew(); for (int i = 0; i < 10; i++) f().Dispose(); Console.WriteLine($"{name}: {sw.Elapsed.TotalMilliseconds / 10:F2} ms"); }
    T("randint full int64 1M", () => torch.randint(long.MinValue, long.MaxValue, new long[] { 1 << 20 }, dtype: ScalarType.Int64));
    T("randint [0,2^32) int64 1M", () => torch.randint(0, 1L << 32, new long[] { 1 << 20 }, dtype: ScalarType.Int64));
    T("randint [0,2^31) int32 2M", () => torch.randint(0, 1L << 31, new long[] { 2 << 20 }, dtype: ScalarType.Int32));
    T("randint [0,65536) int32 4M", () => torch.randint(0, 65536, new long[] { 4 << 20 }, dtype: ScalarType.Int32));
    T("randint [0,256) uint8 4M", () => torch.randint(0, 256, new long[] { 4 << 20 }, dtype: ScalarType.Byte));
    T("rand f32 4M", () => torch.rand(new long[] { 4 << 20 }));
    T("bernoulli_ bf16 4M", () => torch.empty(new long[] { 4 << 20 }, dtype: ScalarType.BFloat16).bernoulli_(0.9));
    T("rand f32 4M lt", () => torch.rand(new long[] { 4 << 20 }).lt(0.9));
}
