using System.Numerics;
using System.Text.Json.Serialization;

namespace DataForge.Quality.Features;

/// <summary>How documents become feature vectors; saved inside the model so scoring featurises exactly like training.</summary>
public sealed record FeaturizerSettings
{
    /// <summary>Feature space is 2^hash_bits buckets.</summary>
    [JsonPropertyName("hash_bits")] public int HashBits { get; init; } = 20;
    /// <summary>Longest word n-gram (1 = unigrams, 2 = unigrams + bigrams, ...).</summary>
    [JsonPropertyName("word_ngrams")] public int WordNgrams { get; init; } = 2;
    /// <summary>Character n-grams of each word (with &lt; &gt; boundaries), min and max length; 0 disables.</summary>
    [JsonPropertyName("char_min")] public int CharMin { get; init; }
    [JsonPropertyName("char_max")] public int CharMax { get; init; }

    [JsonIgnore] public int Dimension => 1 << HashBits;

    public void Validate()
    {
        if (HashBits is < 10 or > 26) throw new ArgumentException($"hash_bits must be between 10 and 26, got {HashBits}");
        if (WordNgrams is < 1 or > 5) throw new ArgumentException($"word_ngrams must be between 1 and 5, got {WordNgrams}");
        if (CharMin < 0 || CharMax < 0 || CharMax > 8 || (CharMax > 0 && (CharMin < 1 || CharMin > CharMax)))
            throw new ArgumentException($"character n-grams need 1 <= char_min <= char_max <= 8 (or both 0), got {CharMin}..{CharMax}");
    }
}

/// <summary>
/// fastText-style hashed features over normalised text, computed straight from UTF-8 spans.
/// Normalisation (the same for training and scoring): ASCII letters lower-cased, every ASCII digit
/// read as 0, ASCII punctuation and symbols are one-character tokens, runs of line breaks are one
/// <c>&lt;nl&gt;</c> token, other whitespace separates tokens, non-ASCII bytes belong to words.
/// Features: hashed word n-grams up to <see cref="FeaturizerSettings.WordNgrams"/>, optional character
/// n-grams, and a document-length bucket; values are 1 + ln(count), L2-normalised; indices sorted.
/// Not thread-safe: one instance per thread (see <see cref="FeaturizerPool"/>).
/// </summary>
public sealed class HashedFeaturizer
{
    const ulong Prime = 0x100000001B3UL;
    const ulong Basis = 0xCBF29CE484222325UL;
    const ulong NewlineToken = 0x9E3779B97F4A7C15UL;
    readonly FeaturizerSettings _s;
    readonly uint _mask;
    readonly float[] _counts;
    readonly List<int> _touched = new(1024);
    readonly ulong[] _window;
    readonly byte[] _word = new byte[128];

    public HashedFeaturizer(FeaturizerSettings settings)
    {
        settings.Validate();
        _s = settings;
        _mask = (uint)settings.Dimension - 1;
        _counts = new float[settings.Dimension];
        _window = new ulong[Math.Max(1, settings.WordNgrams)];
    }

    public FeaturizerSettings Settings => _s;

    static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }

    void Add(ulong h)
    {
        int i = (int)((uint)Mix(h) & _mask);
        if (_counts[i] == 0) _touched.Add(i);
        _counts[i] += 1;
    }

    static bool IsWordByte(byte b) => b >= 0x80 || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '\'';

    int _tokens;
    int _wordLength;

    void EmitToken(ulong h)
    {
        _tokens++;
        int n = _s.WordNgrams;
        // Shift the window of the last n token hashes; emit the n-grams ending here.
        for (int k = n - 1; k > 0; k--) _window[k] = _window[k - 1];
        _window[0] = h;
        Add(h);
        ulong g = h;
        for (int k = 1; k < n && k < _tokens; k++)
        {
            g = (g * 0x9E3779B97F4A7C15UL) ^ _window[k] ^ ((ulong)k << 56);
            Add(g);
        }
    }

    void EmitCharNgrams()
    {
        // <word> with boundaries; n-grams counted in bytes of the lower-cased word (non-ASCII: whole UTF-8 sequences start only at lead bytes).
        int len = Math.Min(_wordLength, _word.Length);
        Span<byte> w = stackalloc byte[len + 2];
        w[0] = (byte)'<';
        _word.AsSpan(0, len).CopyTo(w[1..]);
        w[^1] = (byte)'>';
        for (int i = 0; i < w.Length; i++)
        {
            if ((w[i] & 0xC0) == 0x80) continue;
            ulong h = Basis ^ 0x5A;
            int j = i;
            for (int n = 1; j < w.Length && n <= _s.CharMax; n++)
            {
                h = (h ^ w[j++]) * Prime;
                while (j < w.Length && (w[j] & 0xC0) == 0x80) h = (h ^ w[j++]) * Prime;
                if (n >= _s.CharMin && !(n == 1 && (i == 0 || j == w.Length))) Add(h ^ 0xC4A2);
            }
        }
    }

    /// <summary>Featurises <paramref name="text"/> into sorted <paramref name="indices"/> and <paramref name="values"/>; returns the count.</summary>
    public int Featurize(ReadOnlySpan<byte> text, ref int[] indices, ref float[] values)
    {
        _touched.Clear();
        _tokens = 0;
        bool chars = _s.CharMax > 0;
        int i = 0;
        bool pendingNewline = false;
        while (i < text.Length)
        {
            byte b = text[i];
            if (IsWordByte(b))
            {
                if (pendingNewline) { EmitToken(NewlineToken); pendingNewline = false; }
                ulong h = Basis;
                _wordLength = 0;
                while (i < text.Length && IsWordByte(b = text[i]))
                {
                    byte c = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b is >= (byte)'0' and <= (byte)'9' ? (byte)'0' : b;
                    h = (h ^ c) * Prime;
                    if (chars && _wordLength < _word.Length) _word[_wordLength] = c;
                    _wordLength++;
                    i++;
                }
                EmitToken(h);
                if (chars) EmitCharNgrams();
                continue;
            }
            i++;
            if (b == '\n') { pendingNewline = true; continue; }
            if (b <= ' ') continue;
            if (pendingNewline) { EmitToken(NewlineToken); pendingNewline = false; }
            EmitToken((Basis ^ b) * Prime ^ 0x7F);
        }
        // Length bucket: floor(log2(tokens + 1)).
        Add(0xABCDEF0123456789UL + (ulong)BitOperations.Log2((uint)_tokens + 1));

        int n = _touched.Count;
        if (indices.Length < n) { indices = new int[Math.Max(n, indices.Length * 2)]; values = new float[indices.Length]; }
        var idx = indices.AsSpan(0, n);
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_touched).CopyTo(idx);
        idx.Sort();
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            float v = 1 + MathF.Log(_counts[idx[k]]);
            _counts[idx[k]] = 0;
            values[k] = v;
            sum += (double)v * v;
        }
        float scale = sum > 0 ? (float)(1 / Math.Sqrt(sum)) : 0;
        for (int k = 0; k < n; k++) values[k] *= scale;
        return n;
    }
}

/// <summary>One featuriser per thread (each owns a dense count array of the feature dimension).</summary>
public sealed class FeaturizerPool(FeaturizerSettings settings) : IDisposable
{
    readonly ThreadLocal<HashedFeaturizer> _local = new(() => new HashedFeaturizer(settings));
    public HashedFeaturizer Get() => _local.Value!;
    public void Dispose() => _local.Dispose();
}
