// Decode tokens/s of Generator.Generate with and without the KV cache on a randomly initialised model (speed does not
// depend on the weights). Greedy; the end-of-text id is one the model never picks, so every run makes all its tokens.
// Prints one JSON line per run and a summary line with the ratio of median decode rates and whether both modes gave
// the same tokens.
using System.Globalization;
using DataForge.Training;
using TorchSharp;

var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
int Int(string name, int fallback) => opts.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
string Str(string name, string fallback) => opts.GetValueOrDefault(name, fallback);

int vocab = Int("vocab", 8192), promptLength = Int("prompt", 32), tokens = Int("tokens", 512), threads = Int("threads", 2);
bool bf16 = Str("precision", "fp32") == "bf16";
var model = new ModelOptions
{
    ContextLength = Int("context", 1024), NLayers = Int("layers", 6), DModel = Int("d-model", 384), NHeads = Int("heads", 6),
    Mlp = Str("mlp", "gelu"), Norm = Str("norm", "rmsnorm"), TieEmbeddings = true,
};
torch.set_num_threads(threads);
using var m = new GptModel(model, vocab, torch.CPU, 1234);
var random = new System.Random(5);
var prompt = Enumerable.Range(0, promptLength).Select(_ => random.Next(vocab)).ToList();
const int NeverPicked = -1;

string Json(FormattableString s) => FormattableString.Invariant(s);
Console.WriteLine(Json($"{{\"parameters\": {m.ParameterCount}, \"vocab\": {vocab}, \"context\": {model.ContextLength}, \"layers\": {model.NLayers}, \"d_model\": {model.DModel}, \"heads\": {model.NHeads}, \"mlp\": \"{model.Mlp}\", \"precision\": \"{(bf16 ? "bf16" : "fp32")}\", \"prompt\": {promptLength}, \"tokens\": {tokens}, \"threads\": {threads}}}"));

// Warm-up: the first forward passes pay for libtorch's one-time set-up.
foreach (bool cache in new[] { true, false }) Generator.Generate(m, prompt, 8, 0, 0, 1, 1, NeverPicked, bf16, useCache: cache);

// Runs alternate (with the cache, then without, `repeats` times) so that load from other processes falls on both;
// the summary takes each mode's median decode rate.
int repeats = Int("repeats", 1);
var rates = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
var outputs = new Dictionary<bool, List<int>>();
for (int rep = 0; rep < repeats; rep++)
    foreach (bool cache in new[] { true, false })
    {
        var r = Generator.GenerateTimed(m, prompt, tokens, 0, 0, 1, 1, NeverPicked, bf16, useCache: cache);
        outputs[cache] = r.Tokens;
        double decodeRate = (r.Tokens.Count - 1) / r.DecodeSeconds;
        rates[cache].Add(decodeRate);
        Console.WriteLine(Json($"{{\"kv_cache\": {(cache ? "true" : "false")}, \"generated\": {r.Tokens.Count}, \"prefill_s\": {r.PrefillSeconds:F3}, \"decode_s\": {r.DecodeSeconds:F2}, \"decode_tokens_per_s\": {decodeRate:F1}, \"total_tokens_per_s\": {r.Tokens.Count / (r.PrefillSeconds + r.DecodeSeconds):F1}}}"));
    }
static double Median(List<double> xs) { var s = xs.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
double withCache = Median(rates[true]), withoutCache = Median(rates[false]);
Console.WriteLine(Json($"{{\"median_decode_tokens_per_s_cache\": {withCache:F1}, \"median_decode_tokens_per_s_no_cache\": {withoutCache:F1}, \"decode_speedup\": {withCache / withoutCache:F2}, \"same_tokens\": {(outputs[true].SequenceEqual(outputs[false]) ? "true" : "false")}}}"));
