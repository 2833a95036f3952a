using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace DataForge.Tokenization;

public sealed class BpeTrainerOptions
{
    /// <summary>Final vocabulary size: 256 bytes + merges + special tokens.</summary>
    public int VocabSize { get; init; } = 8192;
    /// <summary>Merging stops when the most frequent pair occurs fewer times than this.</summary>
    public long MinFrequency { get; init; } = 2;
    /// <summary>Special tokens besides &lt;|endoftext|&gt; (which is always the first special token).</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];
    public string Pattern { get; init; } = ByteLevel.DefaultPattern;
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Byte-level BPE trainer. Pre-tokens (matches of <see cref="BpeTrainerOptions.Pattern"/>) are
/// counted in parallel into word -&gt; count; then the most frequent adjacent pair is merged, over
/// and over, with pair counts updated incrementally (only the words that contain the merged pair are
/// revisited) and a priority queue with lazy invalidation picking the next pair. Ties go to the
/// smaller (left, right) pair, so training is deterministic whatever the thread count.
/// </summary>
public sealed class BpeTrainer
{
    readonly BpeTrainerOptions _options;
    readonly Regex _regex;
    readonly List<Dictionary<string, long>> _locals = [];
    readonly Dictionary<string, long> _added = new(StringComparer.Ordinal);
    readonly ThreadLocal<Dictionary<string, long>> _count;

    public BpeTrainer(BpeTrainerOptions options)
    {
        int specials = 1 + options.SpecialTokens.Count(s => s != TextTokenizer.EndOfText);
        if (options.VocabSize < 256 + specials)
            throw new ArgumentException($"vocab size must be at least 256 + {specials} special token(s) = {256 + specials}, got {options.VocabSize}");
        if (options.MinFrequency < 1) throw new ArgumentException($"min frequency must be >= 1, got {options.MinFrequency}");
        _options = options;
        _regex = ByteLevel.Compile(options.Pattern);
        _count = new ThreadLocal<Dictionary<string, long>>(() =>
        {
            var d = new Dictionary<string, long>(StringComparer.Ordinal);
            lock (_locals) _locals.Add(d);
            return d;
        });
    }

    /// <summary>Pre-tokens counted so far.</summary>
    public long PreTokens => _preTokens;
    long _preTokens;

    /// <summary>Counts the pre-tokens of one text; thread-safe (each thread counts into its own table).</summary>
    public void Add(ReadOnlySpan<char> text)
    {
        var counts = _count.Value!.GetAlternateLookup<ReadOnlySpan<char>>();
        long n = 0;
        foreach (var m in _regex.EnumerateMatches(text))
        {
            ref long c = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, text.Slice(m.Index, m.Length), out _);
            c++;
            n++;
        }
        Interlocked.Add(ref _preTokens, n);
    }

    /// <summary>Counts every text in parallel.</summary>
    public void AddAll(IEnumerable<string> texts)
    {
        try
        {
            Parallel.ForEach(texts, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Threads) }, t => Add(t));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            // A bad input (file:line) is one error: report it as itself, not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }
    }

    /// <summary>
    /// Adds counts made elsewhere (another process's <see cref="WordCounts"/>, <see cref="BpeCounts"/>): counts
    /// are summed, so training on them equals training on the texts they were counted from, in any order.
    /// Not thread-safe.
    /// </summary>
    public void AddCounts(IEnumerable<KeyValuePair<string, long>> counts, long preTokens)
    {
        foreach (var (w, c) in counts)
        {
            ref long t = ref CollectionsMarshal.GetValueRefOrAddDefault(_added, w, out _);
            t += c;
        }
        Interlocked.Add(ref _preTokens, preTokens);
    }

    /// <summary>Merged word counts (word -&gt; count), in ordinal order.</summary>
    public SortedDictionary<string, long> WordCounts()
    {
        var all = new Dictionary<string, long>(_added, StringComparer.Ordinal);
        lock (_locals)
            foreach (var d in _locals)
                foreach (var (w, c) in d)
                {
                    ref long t = ref CollectionsMarshal.GetValueRefOrAddDefault(all, w, out _);
                    t += c;
                }
        return new SortedDictionary<string, long>(all, StringComparer.Ordinal);
    }

    /// <summary>Runs the merges over everything added and returns the model.</summary>
    public ByteBpeModel Train(Action<string>? log = null)
    {
        var words = WordCounts();
        log?.Invoke($"{_preTokens:N0} pre-tokens, {words.Count:N0} distinct");
        var specials = new List<string> { TextTokenizer.EndOfText };
        foreach (var s in _options.SpecialTokens) if (!specials.Contains(s)) specials.Add(s);
        int targetTokens = _options.VocabSize - specials.Count;

        // All words' symbols in one pool: word w occupies pool[start[w] .. start[w] + len[w]).
        int nw = words.Count;
        var start = new int[nw];
        var len = new int[nw];
        var freq = new long[nw];
        var utf8 = new List<byte[]>(nw);
        long total = 0;
        int wi = 0;
        foreach (var (w, c) in words)
        {
            var b = Encoding.UTF8.GetBytes(w);
            utf8.Add(b);
            start[wi] = (int)total;
            len[wi] = b.Length;
            freq[wi] = c;
            total += b.Length;
            wi++;
        }
        if (total > int.MaxValue) throw new InvalidOperationException("too many distinct pre-token bytes for one training run");
        var pool = new int[total];
        for (int w = 0; w < nw; w++)
            for (int i = 0; i < len[w]; i++) pool[start[w] + i] = utf8[w][i];
        utf8.Clear();

        var pairCount = new Dictionary<long, long>();
        var where = new Dictionary<long, List<int>>();
        for (int w = 0; w < nw; w++)
        {
            int s0 = start[w];
            for (int i = 0; i + 1 < len[w]; i++)
            {
                long key = Key(pool[s0 + i], pool[s0 + i + 1]);
                ref long c = ref CollectionsMarshal.GetValueRefOrAddDefault(pairCount, key, out _);
                c += freq[w];
                ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(where, key, out bool exists);
                if (!exists) list = [];
                if (list!.Count == 0 || list[^1] != w) list.Add(w);
            }
        }
        var queue = new PriorityQueue<long, (long NegCount, long Key)>(pairCount.Count);
        foreach (var (k, c) in pairCount) queue.Enqueue(k, (-c, k));

        var tokens = new List<byte[]>(targetTokens);
        for (int b = 0; b < 256; b++) tokens.Add([(byte)b]);
        var byBytes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) byBytes[Latin1(tokens[b])] = b;
        var merges = new List<(int, int)>();
        var before = new List<long>();
        var touched = new HashSet<long>();

        while (tokens.Count < targetTokens && queue.TryDequeue(out long pair, out var pri))
        {
            long current = pairCount.GetValueOrDefault(pair);
            if (current != -pri.NegCount)
            {
                if (current > 0) queue.Enqueue(pair, (-current, pair));
                continue;
            }
            if (current < _options.MinFrequency) break;
            int a = (int)(pair >> 32), bsym = (int)(pair & 0xffffffff);
            byte[] merged = [.. tokens[a], .. tokens[bsym]];
            string mk = Latin1(merged);
            if (!byBytes.TryGetValue(mk, out int z))
            {
                z = tokens.Count;
                tokens.Add(merged);
                byBytes[mk] = z;
            }
            merges.Add((a, bsym));
            touched.Clear();
            foreach (int w in where[pair])
            {
                int s0 = start[w], n = len[w];
                bool found = false;
                for (int i = 0; i + 1 < n; i++)
                    if (pool[s0 + i] == a && pool[s0 + i + 1] == bsym) { found = true; break; }
                if (!found) continue;
                long f = freq[w];
                for (int i = 0; i + 1 < n; i++) Add(pairCount, Key(pool[s0 + i], pool[s0 + i + 1]), -f);
                int o = 0;
                for (int i = 0; i < n; i++)
                {
                    if (i + 1 < n && pool[s0 + i] == a && pool[s0 + i + 1] == bsym) { pool[s0 + o++] = z; i++; }
                    else pool[s0 + o++] = pool[s0 + i];
                }
                len[w] = o;
                for (int i = 0; i + 1 < o; i++)
                {
                    int l = pool[s0 + i], r = pool[s0 + i + 1];
                    long k = Key(l, r);
                    Add(pairCount, k, f);
                    if (l == z || r == z)
                    {
                        touched.Add(k);
                        ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(where, k, out bool exists);
                        if (!exists) list = [];
                        if (list!.Count == 0 || list[^1] != w) list.Add(w);
                    }
                }
            }
            where.Remove(pair);
            pairCount.Remove(pair);
            foreach (long k in touched)
                if (pairCount.GetValueOrDefault(k) is long c and > 0) queue.Enqueue(k, (-c, k));
            if (log is not null && merges.Count % 1000 == 0) log($"{merges.Count:N0} merges, vocabulary {tokens.Count:N0}");
        }

        var specialIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in specials) specialIds[s] = tokens.Count + specialIds.Count;
        return new ByteBpeModel { Tokens = tokens, Merges = merges, SpecialTokens = specialIds, Pattern = _options.Pattern };
    }

    static long Key(int l, int r) => ((long)l << 32) | (uint)r;

    static void Add(Dictionary<long, long> d, long k, long delta)
    {
        ref long c = ref CollectionsMarshal.GetValueRefOrAddDefault(d, k, out _);
        c += delta;
    }

    static string Latin1(byte[] b) => Encoding.Latin1.GetString(b);

    /// <summary>
    /// Texts of the input files, in pieces: DataForge shards (jsonl, parquet, arrow) by document,
    /// other files as plain text in blocks of about 1 MB cut at line ends.
    /// </summary>
    public static IEnumerable<string> ReadTexts(IEnumerable<string> files)
    {
        foreach (var f in files)
        {
            if (DataForge.IO.ShardFiles.IsShard(f))
            {
                foreach (var batch in DataForge.IO.ShardFiles.Read(f))
                    using (batch)
                        for (int i = 0; i < batch.Length; i++) yield return batch.Text.GetString(i);
                continue;
            }
            using var reader = new StreamReader(DataForge.IO.InputFiles.OpenDecompressed(f), Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            var buf = new char[1 << 20];
            int have = 0;
            while (true)
            {
                int r = reader.ReadBlock(buf, have, buf.Length - have);
                have += r;
                if (have == 0) break;
                int cut = have;
                if (r > 0 && have == buf.Length)
                {
                    int nl = Array.LastIndexOf(buf, '\n', have - 1);
                    if (nl > 0) cut = nl + 1;
                }
                yield return new string(buf, 0, cut);
                Array.Copy(buf, cut, buf, 0, have - cut);
                have -= cut;
                if (r == 0 && have == 0) break;
            }
        }
    }
}
