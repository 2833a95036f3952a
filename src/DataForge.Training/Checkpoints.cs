using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DataForge.Determinism;
using DataForge.Execution;
using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>
/// Checkpoints of a training run: <c>checkpoints/step-NNNNNNNN/</c> with the model, the optimiser state and
/// <c>state.json</c> (step, tokens, optimiser step, data positions keyed by the sources' places in the config),
/// written under a temporary name and renamed, the oldest beyond <c>keep_checkpoints</c> removed.
/// </summary>
internal static class Checkpoints
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Step, tokens, optimiser step and data position from a checkpoint's state.json.</summary>
    public static (int Step, long Tokens) RestoreState(string statePath, CurriculumData data, AdamW opt)
    {
        try
        {
            using var st = JsonDocument.Parse(File.ReadAllBytes(statePath));
            var r = st.RootElement;
            opt.Step = r.GetProperty("optimizer_step").GetInt64();
            data.Picker.State = ulong.Parse(r.GetProperty("picker").GetString()!, CultureInfo.InvariantCulture);
            RestorePositions(data, r.GetProperty("sources"), statePath);
            return (r.GetProperty("step").GetInt32(), r.GetProperty("tokens").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new InputException(statePath, $"not a checkpoint state DataForge wrote: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Each source's drawn count from a checkpoint's state.json. Sources are keyed by their position in the config, not
    /// by where their files sit, so a run directory moved with its data resumes; their window counts must match.
    /// </summary>
    public static void RestorePositions(CurriculumData data, JsonElement sources, string statePath)
    {
        if (sources.ValueKind == JsonValueKind.Object)
        {
            // Checkpoints from before positions were keyed by index name each source by its full path.
            foreach (var p in sources.EnumerateObject())
            {
                var src = data.Sources.FirstOrDefault(s => s.Dir.Path == p.Name)
                    ?? throw new InputException(statePath, $"source {p.Name} is not in this config");
                src.Drawn = p.Value.GetInt64();
            }
            return;
        }
        var saved = sources.EnumerateArray().ToList();
        if (saved.Count != data.Sources.Count)
            throw new InputException(statePath, $"the checkpoint has {saved.Count} source(s), the config {data.Sources.Count}; resume with the config the run started with");
        foreach (var e in saved)
        {
            var src = data.Sources[e.GetProperty("index").GetInt32()];
            long windows = e.GetProperty("windows").GetInt64();
            if (windows != src.Windows)
                throw new InputException(statePath, $"source {src.Index} ({src.ConfigPath}) had {windows} windows when the checkpoint was written, {src.Windows} now: its data changed");
            src.Drawn = e.GetProperty("drawn").GetInt64();
        }
    }

    public static string? LatestCheckpoint(string root)
    {
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root, "step-*")
            .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, "state.json")))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    public static void TruncateMetrics(string path, int step)
    {
        if (!File.Exists(path)) return;
        var keep = File.ReadAllLines(path).Where(l =>
        {
            if (l.Length == 0) return false;
            using var d = JsonDocument.Parse(l);
            return d.RootElement.GetProperty("step").GetInt32() <= step;
        }).ToList();
        File.WriteAllLines(path, keep);
    }

    public static void SaveCheckpoint(TrainOptions o, GptModel model, AdamW opt, CurriculumData data, string root, int step, long tokens, int vocab, int eot)
    {
        var state = new Dictionary<string, object>
        {
            ["step"] = step, ["tokens"] = tokens, ["optimizer_step"] = opt.Step,
            ["picker"] = data.Picker.State.ToString(CultureInfo.InvariantCulture),
            // By position in the config, with the path as written there: nothing that changes when the run moves.
            ["sources"] = data.Sources.Select(src => new Dictionary<string, object>
            {
                ["index"] = src.Index, ["path"] = src.ConfigPath, ["windows"] = src.Windows, ["drawn"] = src.Drawn,
            }).ToList(),
        };
        WriteCheckpoint(o, model, opt, root, step, vocab, eot, state);
    }

    /// <summary>Writes checkpoints/step-N/ (model, optimiser, state.json) under a temporary name, renames it, and removes the oldest beyond keep_checkpoints.</summary>
    public static void WriteCheckpoint(TrainOptions o, GptModel model, AdamW opt, string root, int step, int vocab, int eot, Dictionary<string, object> state)
    {
        string dir = Path.Combine(root, $"step-{step:D8}");
        string tmp = dir + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        Trainer.Export(model, tmp, vocab, eot, o);
        Safetensors.Write(Path.Combine(tmp, "optimizer.safetensors"), opt.ToSafeTensors());
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state, Indented) + "\n");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.Move(tmp, dir);
        var all = Directory.GetDirectories(root, "step-*").Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal)).OrderBy(d => d, StringComparer.Ordinal).ToList();
        for (int i = 0; i < all.Count - o.Eval.KeepCheckpoints; i++) Directory.Delete(all[i], true);
    }
}
