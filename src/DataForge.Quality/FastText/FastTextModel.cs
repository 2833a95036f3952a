using System.Runtime.InteropServices;
using System.Text;

namespace DataForge.Quality.FastText;

/// <summary>fastText's loss functions (args.h <c>loss_name</c>).</summary>
public enum FastTextLoss { HierarchicalSoftmax = 1, NegativeSampling = 2, Softmax = 3, OneVsAll = 4 }

/// <summary>
/// A fastText supervised model read from the <c>.bin</c> file <c>fasttext supervised</c> writes (format version 11/12),
/// predicting label probabilities the way <c>fasttext predict-prob</c> does: whitespace tokens plus the end-of-sentence
/// token <c>&lt;/s&gt;</c>, in-vocabulary words (or their character n-grams when minn/maxn are set), character n-grams
/// of out-of-vocabulary words, hashed word n-grams, the average of their input rows, then softmax (or the
/// table sigmoid of one-vs-all / negative sampling) over the output rows. Quantized (.ftz) models and hierarchical
/// softmax are refused with a clear error.
/// </summary>
public sealed class FastTextModel
{
    const int Magic = 793712314;
    const string Eos = "</s>";
    static readonly byte[] EosBytes = Encoding.UTF8.GetBytes(Eos);
    static readonly byte[] LabelPrefix = Encoding.UTF8.GetBytes("__label__");

    readonly byte[][] _words;          // dictionary entries (words then labels), UTF-8
    readonly bool[] _isLabel;
    readonly int[] _table;             // open addressing: entry index + 1, 0 = empty
    readonly int[][]? _subwords;       // per word: its own id and its char n-grams (when maxn > 0)
    readonly Dictionary<int, int>? _pruneIndex;
    readonly long _pruneSize;
    readonly float[] _input;           // (nwords + bucket) x dim, row-major
    readonly float[] _output;          // nlabels x dim
    readonly float[] _sigmoidTable;

    public int Version { get; }
    public int Dim { get; }
    public int WordNgrams { get; }
    public int Bucket { get; }
    public int MinN { get; }
    public int MaxN { get; }
    public FastTextLoss Loss { get; }
    public int WordCount { get; }
    /// <summary>Labels in output-row order (e.g. <c>__label__hq</c>).</summary>
    public IReadOnlyList<string> Labels { get; }

    FastTextModel(BinaryReader r, string path)
    {
        if (r.ReadInt32() != Magic) throw new InvalidDataException($"{path}: not a fastText model (bad magic number)");
        Version = r.ReadInt32();
        if (Version is < 11 or > 12) throw new InvalidDataException($"{path}: unsupported fastText format version {Version} (expected 11 or 12)");
        Dim = r.ReadInt32();
        r.ReadInt32(); // ws
        r.ReadInt32(); // epoch
        r.ReadInt32(); // minCount
        r.ReadInt32(); // neg
        WordNgrams = r.ReadInt32();
        int loss = r.ReadInt32();
        int model = r.ReadInt32();
        Bucket = r.ReadInt32();
        MinN = r.ReadInt32();
        MaxN = r.ReadInt32();
        r.ReadInt32(); // lrUpdateRate
        r.ReadDouble(); // t
        if (model != 3) throw new InvalidDataException($"{path}: not a supervised model (model type {model}; only 'fasttext supervised' models can be scored)");
        if (Version == 11) MaxN = 0; // old supervised models do not use character n-grams
        Loss = (FastTextLoss)loss;
        if (Loss is not (FastTextLoss.Softmax or FastTextLoss.OneVsAll or FastTextLoss.NegativeSampling))
            throw new NotSupportedException($"{path}: loss {(loss == 1 ? "hs (hierarchical softmax)" : loss.ToString(System.Globalization.CultureInfo.InvariantCulture))} is not supported; train with -loss softmax, ova or ns");
        if (Dim <= 0) throw new InvalidDataException($"{path}: invalid dimension {Dim}");

        int size = r.ReadInt32();
        WordCount = r.ReadInt32();
        int nlabels = r.ReadInt32();
        r.ReadInt64(); // ntokens
        _pruneSize = r.ReadInt64();
        if (size < 0 || WordCount < 0 || nlabels <= 0 || WordCount + nlabels != size)
            throw new InvalidDataException($"{path}: inconsistent dictionary header (size {size}, words {WordCount}, labels {nlabels})");
        _words = new byte[size][];
        _isLabel = new bool[size];
        var buf = new List<byte>(32);
        var labels = new List<string>(nlabels);
        for (int i = 0; i < size; i++)
        {
            buf.Clear();
            byte b;
            while ((b = r.ReadByte()) != 0) buf.Add(b);
            _words[i] = [.. buf];
            r.ReadInt64(); // count
            byte type = r.ReadByte();
            _isLabel[i] = type == 1;
            if (type == 1)
            {
                if (i < WordCount) throw new InvalidDataException($"{path}: label entry {i} among the words");
                labels.Add(Encoding.UTF8.GetString(_words[i]));
            }
        }
        Labels = labels;
        if (_pruneSize > 0)
        {
            _pruneIndex = new Dictionary<int, int>((int)_pruneSize);
            for (long i = 0; i < _pruneSize; i++) _pruneIndex[r.ReadInt32()] = r.ReadInt32();
        }

        _table = new int[(int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size * 2))];
        for (int i = 0; i < size; i++)
        {
            int slot = Slot(_words[i], Hash(_words[i]));
            if (_table[slot] == 0) _table[slot] = i + 1;
        }
        if (MaxN > 0)
        {
            _subwords = new int[WordCount][];
            var list = new List<int>();
            for (int i = 0; i < WordCount; i++)
            {
                list.Clear();
                list.Add(i);
                if (!_words[i].AsSpan().SequenceEqual(EosBytes)) AddCharNgrams(_words[i], list);
                _subwords[i] = [.. list];
            }
        }

        if (r.ReadByte() != 0)
            throw new NotSupportedException($"{path}: quantized fastText models (.ftz, 'fasttext quantize') are not supported; score with the unquantized .bin model");
        _input = ReadMatrix(r, path, "input", out long inRows);
        if (_pruneSize > 0) throw new InvalidDataException($"{path}: pruned dictionary without a quantized matrix (invalid model file)");
        if (inRows != (long)WordCount + (_pruneSize > 0 ? _pruneSize : Bucket))
            throw new InvalidDataException($"{path}: input matrix has {inRows} rows, expected words {WordCount} + buckets {Bucket}");
        if (r.ReadByte() != 0) throw new NotSupportedException($"{path}: quantized output matrix is not supported");
        _output = ReadMatrix(r, path, "output", out long outRows);
        if (outRows != nlabels) throw new InvalidDataException($"{path}: output matrix has {outRows} rows, expected {nlabels} labels");

        _sigmoidTable = new float[513];
        for (int i = 0; i <= 512; i++)
        {
            float x = (float)(i * 2 * 8) / 512 - 8;
            _sigmoidTable[i] = (float)(1.0 / (1.0 + Math.Exp(-x)));
        }
    }

    float[] ReadMatrix(BinaryReader r, string path, string name, out long rows)
    {
        rows = r.ReadInt64();
        long cols = r.ReadInt64();
        if (cols != Dim) throw new InvalidDataException($"{path}: {name} matrix has {cols} columns, expected dimension {Dim}");
        long n = rows * cols;
        if (rows < 0 || n > Array.MaxLength) throw new InvalidDataException($"{path}: {name} matrix of {rows} x {cols} is too large");
        var m = new float[n];
        var bytes = MemoryMarshal.AsBytes(m.AsSpan());
        while (bytes.Length > 0)
        {
            int got = r.BaseStream.Read(bytes[..Math.Min(bytes.Length, 1 << 24)]);
            if (got == 0) throw new InvalidDataException($"{path}: file ends inside the {name} matrix");
            bytes = bytes[got..];
        }
        return m;
    }

    /// <summary>Loads a <c>.bin</c> model; errors name the file and what is wrong.</summary>
    public static FastTextModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"fastText model not found: {path}", path);
        using var s = new BufferedStream(File.OpenRead(path), 1 << 20);
        using var r = new BinaryReader(s);
        try
        {
            return new FastTextModel(r, path);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{path}: file ends early (truncated fastText model?)", ex);
        }
    }

    /// <summary>Index of a label in <see cref="Labels"/>, or -1.</summary>
    public int LabelIndex(string label) => Labels is List<string> l ? l.IndexOf(label) : -1;

    /// <summary>fastText's FNV-1a variant: bytes are sign-extended before the xor.</summary>
    public static uint Hash(ReadOnlySpan<byte> s)
    {
        uint h = 2166136261;
        foreach (byte b in s)
        {
            h ^= (uint)(sbyte)b;
            h *= 16777619;
        }
        return h;
    }

    int Slot(ReadOnlySpan<byte> word, uint hash)
    {
        int mask = _table.Length - 1;
        int slot = (int)(hash & (uint)mask);
        while (_table[slot] != 0 && !_words[_table[slot] - 1].AsSpan().SequenceEqual(word)) slot = (slot + 1) & mask;
        return slot;
    }

    int Find(ReadOnlySpan<byte> word, uint hash) => _table[Slot(word, hash)] - 1;

    void PushHash(List<int> ids, int id)
    {
        if (_pruneSize == 0 || id < 0) return;
        if (_pruneSize > 0)
        {
            if (!_pruneIndex!.TryGetValue(id, out id)) return;
        }
        ids.Add(WordCount + id);
    }

    /// <summary>Character n-grams (minn..maxn characters) of <c>&lt;word&gt;</c>, as fastText's computeSubwords.</summary>
    void AddCharNgrams(ReadOnlySpan<byte> word, List<int> ids)
    {
        if (Bucket <= 0) return;
        Span<byte> padded = word.Length + 2 <= 256 ? stackalloc byte[word.Length + 2] : new byte[word.Length + 2];
        padded[0] = (byte)'<';
        word.CopyTo(padded[1..]);
        padded[^1] = (byte)'>';
        for (int i = 0; i < padded.Length; i++)
        {
            if ((padded[i] & 0xC0) == 0x80) continue;
            int j = i;
            for (int n = 1; j < padded.Length && n <= MaxN; n++)
            {
                j++;
                while (j < padded.Length && (padded[j] & 0xC0) == 0x80) j++;
                if (n >= MinN && !(n == 1 && (i == 0 || j == padded.Length)))
                    PushHash(ids, (int)(Hash(padded[i..j]) % (uint)Bucket));
            }
        }
    }

    static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\v' or (byte)'\f' or 0;

    /// <summary>Reusable per-thread buffers for <see cref="Predict"/>.</summary>
    public sealed class Scratch
    {
        internal readonly List<int> Ids = new(256);
        internal readonly List<int> WordHashes = new(256);
        internal float[] Hidden = [];
        internal float[] Output = [];
    }

    /// <summary>
    /// Input row ids of one document: the whitespace tokens of <paramref name="text"/> (newlines are whitespace
    /// here, so a multi-line document is one example, as DCLM scores it), then <c>&lt;/s&gt;</c>.
    /// </summary>
    public void InputIds(ReadOnlySpan<byte> text, List<int> ids, List<int> wordHashes)
    {
        ids.Clear();
        wordHashes.Clear();
        int i = 0;
        while (true)
        {
            while (i < text.Length && IsSpace(text[i])) i++;
            if (i >= text.Length) break;
            int start = i;
            while (i < text.Length && !IsSpace(text[i])) i++;
            AddToken(text[start..i], ids, wordHashes);
        }
        AddToken(EosBytes, ids, wordHashes);
        if (WordNgrams > 1 && Bucket > 0)
        {
            for (int a = 0; a < wordHashes.Count; a++)
            {
                ulong h = (ulong)(long)wordHashes[a];
                for (int b = a + 1; b < wordHashes.Count && b < a + WordNgrams; b++)
                {
                    h = h * 116049371 + (ulong)(long)wordHashes[b];
                    PushHash(ids, (int)(h % (ulong)Bucket));
                }
            }
        }
    }

    void AddToken(ReadOnlySpan<byte> token, List<int> ids, List<int> wordHashes)
    {
        uint h = Hash(token);
        int wid = Find(token, h);
        bool label = wid >= 0 ? _isLabel[wid] : token.StartsWith(LabelPrefix);
        if (label) return;
        if (wid < 0)
        {
            if (!token.SequenceEqual(EosBytes)) AddCharNgrams(token, ids);
        }
        else if (_subwords is null) ids.Add(wid);
        else ids.AddRange(_subwords[wid]);
        wordHashes.Add((int)h);
    }

    /// <summary>
    /// Probabilities of every label for one document, as <c>fasttext predict-prob MODEL - K</c> prints them
    /// (fastText reports exp(log(p + 1e-5)), so this is p + 1e-5 in float arithmetic). Returns false when
    /// the document yields no input features (fastText then prints nothing); <paramref name="probabilities"/> is zeroed.
    /// </summary>
    public bool Predict(ReadOnlySpan<byte> text, Span<float> probabilities, Scratch scratch)
    {
        if (probabilities.Length < Labels.Count) throw new ArgumentException("span shorter than the label count", nameof(probabilities));
        InputIds(text, scratch.Ids, scratch.WordHashes);
        var ids = CollectionsMarshal.AsSpan(scratch.Ids);
        if (ids.IsEmpty)
        {
            probabilities.Clear();
            return false;
        }
        if (scratch.Hidden.Length != Dim) scratch.Hidden = new float[Dim];
        if (scratch.Output.Length != Labels.Count) scratch.Output = new float[Labels.Count];
        var hidden = scratch.Hidden.AsSpan();
        hidden.Clear();
        var input = _input.AsSpan();
        foreach (int id in ids) AddTo(hidden, input.Slice(id * Dim, Dim));
        float scale = (float)(1.0 / ids.Length);
        for (int j = 0; j < hidden.Length; j++) hidden[j] *= scale;

        var output = scratch.Output.AsSpan();
        for (int o = 0; o < output.Length; o++)
        {
            var row = _output.AsSpan(o * Dim, Dim);
            float d = 0;
            for (int j = 0; j < Dim; j++) d += row[j] * hidden[j];
            if (float.IsNaN(d)) throw new InvalidOperationException("fastText model produced NaN");
            output[o] = d;
        }
        if (Loss == FastTextLoss.Softmax)
        {
            float max = output[0];
            foreach (float v in output) max = Math.Max(v, max);
            float z = 0;
            for (int o = 0; o < output.Length; o++) { output[o] = MathF.Exp(output[o] - max); z += output[o]; }
            for (int o = 0; o < output.Length; o++) output[o] /= z;
        }
        else
        {
            for (int o = 0; o < output.Length; o++) output[o] = TableSigmoid(output[o]);
        }
        for (int o = 0; o < output.Length; o++) probabilities[o] = MathF.Exp((float)Math.Log(output[o] + 1e-5));
        return true;
    }

    /// <summary>acc[j] += row[j] (element-wise, so vectorising keeps fastText's float results).</summary>
    static void AddTo(Span<float> acc, ReadOnlySpan<float> row)
    {
        int j = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int w = System.Numerics.Vector<float>.Count;
            for (; j <= acc.Length - w; j += w)
                (new System.Numerics.Vector<float>(acc[j..]) + new System.Numerics.Vector<float>(row[j..])).CopyTo(acc[j..]);
        }
        for (; j < acc.Length; j++) acc[j] += row[j];
    }

    float TableSigmoid(float x)
    {
        if (x < -8) return 0;
        if (x > 8) return 1;
        return _sigmoidTable[(long)((x + 8) * 512 / 8 / 2)];
    }
}
