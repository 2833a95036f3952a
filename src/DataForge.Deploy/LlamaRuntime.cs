using LLama;
using LLama.Native;

namespace DataForge.Deploy;

/// <summary>
/// The llama.cpp library LLamaSharp bundles: loaded once, with its log routed here (kept, not printed) so that a failure
/// can say what llama.cpp reported.
/// </summary>
public static class LlamaRuntime
{
    static readonly object Gate = new();
    static bool _loaded;
    static readonly Queue<string> Recent = new();

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            NativeLibraryConfig.All.WithLogCallback(Log);
            // A native call before the first model load makes LLamaSharp pick and load the CPU backend.
            NativeApi.llama_max_devices();
            _loaded = true;
        }
    }

    static void Log(LLamaLogLevel level, string message)
    {
        if (level is not (LLamaLogLevel.Warning or LLamaLogLevel.Error)) return;
        lock (Recent)
        {
            Recent.Enqueue(message.TrimEnd());
            while (Recent.Count > 20) Recent.Dequeue();
        }
    }

    /// <summary>llama.cpp's most recent warnings and errors, one line each (what a failure message quotes).</summary>
    public static string RecentErrors()
    {
        lock (Recent) return string.Join(" | ", Recent.Where(s => s.Length > 0));
    }

    internal static void ClearLog()
    {
        lock (Recent) Recent.Clear();
    }
}

/// <summary>llama.cpp's quantiser (llama_model_quantize) on a GGUF file.</summary>
public static class LlamaQuantize
{
    static readonly Dictionary<string, LLamaFtype> ByName = new(StringComparer.Ordinal)
    {
        ["q8_0"] = LLamaFtype.MOSTLY_Q8_0,
        ["q4_0"] = LLamaFtype.MOSTLY_Q4_0,
        ["q4_1"] = LLamaFtype.MOSTLY_Q4_1,
        ["q5_0"] = LLamaFtype.MOSTLY_Q5_0,
        ["q5_1"] = LLamaFtype.MOSTLY_Q5_1,
        ["q2_k"] = LLamaFtype.MOSTLY_Q2_K,
        ["q3_k_m"] = LLamaFtype.MOSTLY_Q3_K_M,
        ["q4_k_s"] = LLamaFtype.MOSTLY_Q4_K_S,
        ["q4_k_m"] = LLamaFtype.MOSTLY_Q4_K_M,
        ["q5_k_s"] = LLamaFtype.MOSTLY_Q5_K_S,
        ["q5_k_m"] = LLamaFtype.MOSTLY_Q5_K_M,
        ["q6_k"] = LLamaFtype.MOSTLY_Q6_K,
    };

    public static IReadOnlyList<string> Types => [.. ByName.Keys];
    public static bool IsKnown(string type) => ByName.ContainsKey(type);

    public static void Quantize(string source, string destination, string type, int threads)
    {
        if (!ByName.TryGetValue(type, out var ftype)) throw new ArgumentException($"unknown quantisation type {type} (expected one of {string.Join(", ", Types)})");
        LlamaRuntime.EnsureLoaded();
        LlamaRuntime.ClearLog();
        string tmp = destination + ".tmp";
        bool ok = LLamaQuantizer.Quantize(source, tmp, ftype, threads > 0 ? threads : Environment.ProcessorCount, allowRequantize: false, quantizeOutputTensor: false);
        if (!ok || !File.Exists(tmp))
        {
            File.Delete(tmp);
            throw new IOException($"{destination}: llama.cpp could not quantise {source} to {type}: {LlamaRuntime.RecentErrors()}");
        }
        File.Move(tmp, destination, overwrite: true);
    }

    /// <summary>
    /// What the quantised file holds, as notes: the number of tensors of each type (llama.cpp keeps some tensors in
    /// other types: norms in f32, some matrices in a finer type by design, and matrices whose rows are not a
    /// multiple of the block size in a fallback type).
    /// </summary>
    public static IEnumerable<string> Fallbacks(string path, string type)
    {
        var f = GgufFile.Read(path);
        var counts = f.Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => $"{g.Key.ToString().ToLowerInvariant()} {g.Count()}");
        yield return $"{type}: tensors by type: {string.Join(", ", counts)}";
    }
}
