using System.IO.MemoryMappedFiles;
using System.Text.Json;
using DataForge.Determinism;
using DataForge.Execution;

namespace DataForge.Training;

/// <summary>
/// A token directory (docs/reference.md#token-shards, nanoGPT form): train.bin and val.bin (raw little-endian uint16,
/// or uint32 when the vocabulary exceeds 65535) and tokens.json {"tokenizer", "vocab_size", "eot_id", "dtype"}.
/// </summary>
public sealed class TokenDir
{
    public string Path { get; }
    public int VocabSize { get; }
    public int EotId { get; }
    public string DType { get; }
    public string? Tokenizer { get; }

    /// <param name="origin">Where the configuration names this directory (a JSON path), for messages.</param>
    public TokenDir(string path, string? origin = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        string from = origin is null ? "" : $" ({origin})";
        if (!Directory.Exists(Path)) throw new FileNotFoundException($"{Path}: token directory not found{from}");
        // A phase of a mix (or a tokens pipeline output) that is not finished may hold another mix's tokens, or half of them.
        foreach (var dir in new[] { Path, System.IO.Path.GetDirectoryName(Path) })
            if (dir is not null && OutputDirectory.Unfinished(dir) is { } why) throw new InputException(why);
        string meta = System.IO.Path.Combine(Path, "tokens.json");
        if (!File.Exists(meta)) throw new FileNotFoundException($"{meta}: token directory has no tokens.json{from}");
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
            throw new InputException(meta, $"expected {{\"vocab_size\": N, \"eot_id\": N, \"dtype\": \"uint16\"|\"uint32\"}}: {ex.Message}", ex);
        }
        if (DType is not ("uint16" or "uint32")) throw new InputException(meta, $"dtype must be uint16 or uint32, found \"{DType}\"");
        if (VocabSize < 1 || EotId < 0 || EotId >= VocabSize)
            throw new InputException(meta, $"expected 0 <= eot_id < vocab_size, found vocab_size {VocabSize}, eot_id {EotId}");
    }

    public TokenFile Open(string split) => new(System.IO.Path.Combine(Path, split + ".bin"), DType);
}

/// <summary>A memory-mapped .bin of token ids.</summary>
public sealed class TokenFile : IDisposable
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly int _width;
    public string Path { get; }
    public long Count { get; }

    /// <param name="dtype">uint16 or uint32 (tokens.json "dtype").</param>
    public TokenFile(string path, string dtype)
    {
        Path = path;
        _width = dtype == "uint32" ? 4 : 2;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: token file not found");
        long len = new FileInfo(path).Length;
        // A truncated copy or a file of another dtype: reading it would shift every token after the cut.
        if (len % _width != 0)
            throw new InputException(path, $"size {len} bytes is not a multiple of {_width}, the size of one {dtype} token (tokens.json dtype); the file is truncated or of another dtype");
        Count = len / _width;
        if (len == 0) return;
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, len, MemoryMappedFileAccess.Read);
    }

    /// <summary>
    /// Training windows of context + 1 tokens that start every <paramref name="context"/> tokens (so consecutive
    /// windows share one token); fails when the file holds less than one.
    /// </summary>
    public long Windows(int context)
    {
        long n = Count < 1 ? 0 : (Count - 1) / context;
        if (n < 1) throw new InputException(Path, $"{Count} tokens, fewer than one window of {context + 1}");
        return n;
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

/// <summary>
/// One training source: the train.bin of a token directory cut into windows of context + 1 tokens starting every
/// context tokens (window k is tokens [k * context, (k + 1) * context]: its last token, a target only, is the first
/// input of window k + 1), visited in a seeded random order that is reshuffled each epoch. Drawn counts how many
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
    /// <summary>Position among the run's distinct sources, in order of first mention in the config (seeds its order; keys its checkpoint state).</summary>
    public int Index { get; }
    /// <summary>The path as the config writes it at its first mention (for checkpoint state and messages; never hashed).</summary>
    public string ConfigPath { get; }
    public long Windows { get; }
    public long Drawn { get; set; }
    public double? MaxEpochs { get; set; }
    public long MaxWindows => MaxEpochs is { } e ? Math.Max(1, (long)Math.Floor(e * Windows)) : long.MaxValue;
    public bool Exhausted => Drawn >= MaxWindows;
    public double Epochs => Windows == 0 ? 0 : Drawn / (double)Windows;

    public TrainSource(TokenDir dir, int index, string configPath, int context, ulong seed)
    {
        Dir = dir;
        Index = index;
        ConfigPath = configPath;
        _context = context;
        _seed = seed;
        _file = dir.Open("train");
        try
        {
            Windows = _file.Windows(context);
            if (Windows > int.MaxValue) throw new InputException(_file.Path, $"{Windows} windows, more than one source can index; split it");
        }
        catch { _file.Dispose(); throw; }
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
            var r = new SplitMix64(Seeds.DeriveChained(_seed, (ulong)epoch));
            r.Shuffle(_order.AsSpan(), BoundedDraw.Modulo);
            _orderEpoch = epoch;
        }
        long start = (long)_order![i] * _context;
        _file.Read(start, dst);
        // An id past the vocabulary would fail deep inside the embedding lookup; name the file and position instead.
        foreach (long id in dst)
            if ((ulong)id >= (ulong)Dir.VocabSize)
                throw new InputException(_file.Path, $"token {id} in the window at token {start} is outside the vocabulary (tokens.json vocab_size {Dir.VocabSize})");
        Drawn++;
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Thrown when every source of a phase has reached its repetition cap.</summary>
public sealed class DataExhaustedException(string message) : Exception(message);

/// <summary>
/// The curriculum's data: one source per distinct token directory, each phase a weighted mixture of some of them.
/// Deterministic: the sequence of windows depends only on the config (the seed and each source's position in it),
/// the data's bytes and the position (the source picker's state and each source's drawn count), which checkpoints
/// save. Where the files sit never enters, so the same config and data train identically in any directory.
/// </summary>
public sealed class CurriculumData : IDisposable
{
    readonly List<(PhaseOptions Phase, List<(TrainSource Source, double Weight)> Mix)> _phases = [];
    readonly List<TrainSource> _sources = [];
    /// <summary>The distinct sources in order of first mention (<see cref="TrainSource.Index"/>).</summary>
    public IReadOnlyList<TrainSource> Sources => _sources;
    public SplitMix64 Picker;
    public int Context { get; }

    public CurriculumData(TrainOptions o, int context)
    {
        Context = context;
        Picker = new SplitMix64(Seeds.DeriveChained((ulong)o.Seed, 0xDA7A));
        // Identity (the same directory named twice is one source for the caps) is by full path; that only
        // compares paths of one run, so it holds wherever the run sits.
        var byPath = new Dictionary<string, TrainSource>(StringComparer.Ordinal);
        try
        {
            for (int pi = 0; pi < o.Phases.Count; pi++)
            {
                var p = o.Phases[pi];
                var mix = new List<(TrainSource, double)>();
                for (int si = 0; si < p.Sources.Count; si++)
                {
                    var s = p.Sources[si];
                    var dir = new TokenDir(s.Path, $"$.phases[{pi}].sources[{si}].path");
                    if (!byPath.TryGetValue(dir.Path, out var src))
                    {
                        int index = _sources.Count;
                        src = new TrainSource(dir, index, s.Path, context, Seeds.DeriveChained((ulong)o.Seed, 0x50C7CE, (ulong)index));
                        byPath[dir.Path] = src;
                        _sources.Add(src);
                    }
                    if (s.MaxEpochs is { } cap) src.MaxEpochs = src.MaxEpochs is { } old ? Math.Min(old, cap) : cap;
                    mix.Add((src, s.Weight));
                }
                _phases.Add((p, mix));
            }
        }
        catch { Dispose(); throw; }
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
        foreach (var s in _sources) s.Dispose();
    }
}
