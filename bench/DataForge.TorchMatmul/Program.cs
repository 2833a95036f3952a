// Prints the GFLOP/s of an N^3 matmul in fp32 and bf16 with libtorch through TorchSharp (2 threads by default).
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

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
