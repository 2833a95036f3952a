using System.IO.MemoryMappedFiles;
using System.Text.Json;
using DataForge.Execution;

namespace DataForge.Training;

/// <summary>
/// A token directory (SPEC.md "Token shards", nanoGPT form): train.bin and val.bin (raw little-endian uint16,
/// or uint32 when the vocabulary exceeds 65535) and tokens.json {"tokenizer", "vocab_size", "eot_id", "dtype"}.
/// </summary>
public sealed class TokenDir
{
    public string Path { get; }
    public int VocabSize { get; }
    public int EotId { get; }
    public string DType { get; }
    public string? Tokenizer { get; }

    public TokenDir(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        // A phase of a mix (or a tokens pipeline output) that is not finished may hold another mix's tokens, or half of them.
        foreach (var dir in new[] { Path, System.IO.Path.GetDirectoryName(Path) })
            if (dir is not null && OutputDirectory.Unfinished(dir) is { } why) throw new InputException(why);
        string meta = System.IO.Path.Combine(Path, "tokens.json");
        if (!File.Exists(meta)) throw new FileNotFoundException($"{meta}: token directory has no tokens.json");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(meta));
            var r = doc.RootElement;
            VocabSize = r.GetProperty("vocab_size").GetInt32();
            EotId = r.TryGetProperty("eot_id", out var e) ? e.GetInt32() : VocabSize - 1;
            DType = r.TryGetProperty("dtype", out var d) ? d.GetString()! : VocabSize > 65535 ? "uint32" : "uint16";
            if (r.TryGetProperty("tokenizer", out var t) && t.ValueKind == JsonValueKind.String)
            {
                // an encoding name (o200k_base) or a path, relative to the token directory
                string spec = t.GetString()!;
                string full = System.IO.Path.GetFullPath(spec, Path);
                Tokenizer = System.IO.Path.IsPathRooted(spec) || File.Exists(full) || Directory.Exists(full) ? full : spec;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{meta}: expected {{\"vocab_size\": N, \"eot_id\": N, \"dtype\": \"uint16\"|\"uint32\"}}: {ex.Message}", ex);
        }
        if (DType is not ("uint16" or "uint32")) throw new InvalidDataException($"{meta}: dtype must be uint16 or uint32, found \"{DType}\"");
    }

    public TokenFile Open(string split) => new(System.IO.Path.Combine(Path, split + ".bin"), DType == "uint32" ? 4 : 2);
}

/// <summary>A memory-mapped .bin of token ids.</summary>
public sealed class TokenFile : IDisposable
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly int _width;
    public string Path { get; }
    public long Count { get; }

    public TokenFile(string path, int width)
    {
        Path = path;
        _width = width;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: token file not found");
        long len = new FileInfo(path).Length;
        if (len % width != 0) throw new InvalidDataException($"{path}: size {len} is not a multiple of {width} bytes");
        Count = len / width;
        if (len == 0) return;
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, len, MemoryMappedFileAccess.Read);
    }

    /// <summary>Copies tokens [start, start + dst.Length) into dst.</summary>
    public void Read(long start, Span<long> dst)
    {
        if (start < 0 || start + dst.Length > Count) throw new ArgumentOutOfRangeException(nameof(start));
        // One bulk copy out of the mapping, then widen (the accessor's per-element reads check bounds each time).
        var handle = _view!.SafeMemoryMappedViewHandle;
        if (_width == 2)
        {
            Span<ushort> tmp = dst.Length <= 8192 ? stackalloc ushort[dst.Length] : new ushort[dst.Length];
            handle.ReadSpan((ulong)(_view.PointerOffset + start * 2), tmp);
            for (int i = 0; i < dst.Length; i++) dst[i] = tmp[i];
        }
        else
        {
            Span<uint> tmp = dst.Length <= 4096 ? stackalloc uint[dst.Length] : new uint[dst.Length];
            handle.ReadSpan((ulong)(_view.PointerOffset + start * 4), tmp);
            for (int i = 0; i < dst.Length; i++) dst[i] = tmp[i];
        }
    }

    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }
}

/// <summary>SplitMix64: small, fast, and its whole state is one number (saved in checkpoints).</summary>
public struct SplitMix64(ulong state)
{
    public ulong State = state;

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public static ulong Mix(params ulong[] parts)
    {
        var r = new SplitMix64(0x243F6A8885A308D3UL);
        ulong h = 0;
        foreach (var p in parts) { r.State ^= p; h ^= r.Next(); r.State = h; }
        return h;
    }
}

/// <summary>
/// One training source: the train.bin of a token directory cut into non-overlapping windows of
/// context + 1 tokens, visited in a seeded random order that is reshuffled each epoch. Drawn counts how many
/// windows were taken over the whole run, across phases; MaxWindows enforces the repetition cap.
/// </summary>
public sealed class TrainSource : IDisposable
{
    readonly TokenFile _file;
    readonly int _context;
    readonly ulong _seed;
    int[]? _order;
    long _orderEpoch = -1;

    public TokenDir Dir { get; }
    public long Windows { get; }
    public long Drawn { get; set; }
    public double? MaxEpochs { get; set; }
    public long MaxWindows => MaxEpochs is { } e ? Math.Max(1, (long)Math.Floor(e * Windows)) : long.MaxValue;
    public bool Exhausted => Drawn >= MaxWindows;
    public double Epochs => Windows == 0 ? 0 : Drawn / (double)Windows;

    public TrainSource(TokenDir dir, int context, ulong seed)
    {
        Dir = dir;
        _context = context;
        _seed = seed;
        _file = dir.Open("train");
        Windows = (_file.Count - 1) / context;
        if (Windows < 1) throw new InvalidDataException($"{_file.Path}: {_file.Count} tokens, fewer than one window of {context + 1}");
        if (Windows > int.MaxValue) throw new InvalidDataException($"{_file.Path}: too many windows");
    }

    /// <summary>Takes the next window (context + 1 tokens) into dst.</summary>
    public void Next(Span<long> dst)
    {
        long epoch = Drawn / Windows;
        int i = (int)(Drawn % Windows);
        if (epoch != _orderEpoch)
        {
            _order ??= new int[Windows];
            for (int k = 0; k < _order.Length; k++) _order[k] = k;
            var r = new SplitMix64(SplitMix64.Mix(_seed, (ulong)epoch));
            for (int k = _order.Length - 1; k > 0; k--)
            {
                int j = (int)(r.Next() % (ulong)(k + 1));
                (_order[k], _order[j]) = (_order[j], _order[k]);
            }
            _orderEpoch = epoch;
        }
        _file.Read((long)_order![i] * _context, dst);
        Drawn++;
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Thrown when every source of a phase has reached its repetition cap.</summary>
public sealed class DataExhaustedException(string message) : Exception(message);

/// <summary>
/// The curriculum's data: one source per distinct token directory, each phase a weighted mixture of some of them.
/// Deterministic: the sequence of windows depends only on the seed and the position (the source picker's state
/// and each source's drawn count), which checkpoints save.
/// </summary>
public sealed class CurriculumData : IDisposable
{
    readonly List<(PhaseOptions Phase, List<(TrainSource Source, double Weight)> Mix)> _phases = [];
    public Dictionary<string, TrainSource> Sources { get; } = new(StringComparer.Ordinal);
    public SplitMix64 Picker;
    public int Context { get; }

    public CurriculumData(TrainOptions o, int context)
    {
        Context = context;
        Picker = new SplitMix64(SplitMix64.Mix((ulong)o.Seed, 0xDA7A));
        foreach (var p in o.Phases)
        {
            var mix = new List<(TrainSource, double)>();
            foreach (var s in p.Sources)
            {
                var dir = new TokenDir(s.Path);
                if (!Sources.TryGetValue(dir.Path, out var src))
                {
                    src = new TrainSource(dir, context, SplitMix64.Mix((ulong)o.Seed, DataForge.Synth.SynthRandom.Hash(dir.Path)));
                    Sources[dir.Path] = src;
                }
                if (s.MaxEpochs is { } cap) src.MaxEpochs = src.MaxEpochs is { } old ? Math.Min(old, cap) : cap;
                mix.Add((src, s.Weight));
            }
            _phases.Add((p, mix));
        }
    }

    /// <summary>The phase that covers step s (1-based).</summary>
    public int PhaseAt(int step, int steps)
    {
        for (int i = 0; i < _phases.Count; i++)
            if (step <= (_phases[i].Phase.UntilStep ?? steps)) return i;
        return _phases.Count - 1;
    }

    public string PhaseName(int i) => _phases[i].Phase.Name;

    /// <summary>Fills rows x (context + 1) tokens for a micro-batch of phase <paramref name="phase"/>.</summary>
    public void NextBatch(int phase, int rows, long[] dst)
    {
        var mix = _phases[phase].Mix;
        int w = Context + 1;
        for (int r = 0; r < rows; r++)
        {
            double total = 0;
            foreach (var (s, wt) in mix) if (!s.Exhausted) total += wt;
            if (total <= 0)
                throw new DataExhaustedException($"phase \"{_phases[phase].Phase.Name}\": every source reached its max_epochs cap ("
                    + string.Join(", ", mix.Select(m => $"{m.Source.Dir.Path}: {m.Source.Epochs:F2} epochs")) + ")");
            double u = Picker.NextDouble() * total;
            TrainSource? pick = null;
            foreach (var (s, wt) in mix)
            {
                if (s.Exhausted) continue;
                pick = s;
                u -= wt;
                if (u < 0) break;
            }
            pick!.Next(dst.AsSpan(r * w, w));
        }
    }

    public void Dispose()
    {
        foreach (var s in Sources.Values) s.Dispose();
    }
}
