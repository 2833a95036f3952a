using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Text;
using DataForge.Configuration;

namespace DataForge.Dedup;

public sealed class SentenceDedupOptions
{
    [Option("Sentences per span: a span of this many consecutive sentences seen earlier in the corpus is removed from later documents.", Min = 1, Max = 100)]
    public int NSentences { get; init; } = 3;

    [Option("Documents with fewer words are left untouched (neither indexed nor changed).", Min = 0)]
    public int MinDocWords { get; init; } = 50;
}

/// <summary>
/// C4-style sentence-span dedup in two phases with bounded memory. Observe: every span of
/// <c>n_sentences</c> consecutive sentences (<see cref="TextSpans.Sentences"/>; each sentence
/// compared after <see cref="DedupNormalizer"/>) of documents with at least <c>min_doc_words</c>
/// words is hashed and spilled with its location as sorted runs in 32 buckets. Resolve: buckets are
/// merged externally in parallel; every occurrence of a span after the first in input order is a
/// removal, spilled per partition and then sorted into a per-partition file plus a row index.
/// Apply: removes the sentences covered by removed spans; a document left blank is dropped
/// (<c>sentence_dedup.empty</c>).
/// </summary>
[Stage("sentence_dedup", StageShape.Global, "Removes spans of n_sentences sentences already seen earlier in the corpus (C4-style); documents under min_doc_words words are untouched.")]
public sealed class SentenceDedupStage(SentenceDedupOptions options, StageInit init) : GlobalStage(init)
{
    const int Buckets = 32;
    const string Prefix = "spans";
    // Location of a span: partition (20 bits), row (28 bits), span index (16 bits): sorts in input order.
    const int SpanBits = 16, RowBits = 28;
    const int MaxSpans = (1 << SpanBits) - 1;
    string? _dir;

    static ulong Pack(int partition, long row, int span)
    {
        if (partition >= 1 << 20) throw new InvalidOperationException($"sentence_dedup supports at most {1 << 20} partitions");
        if (row >= 1L << RowBits) throw new InvalidOperationException($"sentence_dedup supports at most {1 << RowBits} rows per partition; lower partition_bytes");
        return ((ulong)partition << (RowBits + SpanBits)) | ((ulong)row << SpanBits) | (uint)span;
    }

    static int PartitionOf(ulong loc) => (int)(loc >> (RowBits + SpanBits));
    static long RowOf(ulong loc) => (long)((loc >> SpanBits) & ((1UL << RowBits) - 1));
    static int SpanOf(ulong loc) => (int)(loc & MaxSpans);

    /// <summary>Hashes of the document's spans (empty when the document is too short), in order.</summary>
    public static void SpanHashes(ReadOnlySpan<byte> text, SentenceDedupOptions o, List<Range> sentences, List<ulong> hashes, ref byte[] scratch)
    {
        hashes.Clear();
        if (TextMeasures.WordCount(text) < o.MinDocWords) return;
        TextSpans.Sentences(text, sentences);
        if (sentences.Count < o.NSentences) return;
        Span<ulong> window = stackalloc ulong[o.NSentences];
        Span<ulong> ordered = stackalloc ulong[o.NSentences];
        for (int s = 0; s < sentences.Count && hashes.Count < MaxSpans; s++)
        {
            int n = DedupNormalizer.Normalize(text[sentences[s]], ref scratch);
            window[s % o.NSentences] = XxHash64.HashToUInt64(scratch.AsSpan(0, n));
            if (s + 1 < o.NSentences) continue;
            // Combine the window in sentence order.
            for (int k = 0; k < o.NSentences; k++) ordered[k] = window[(s + 1 + k) % o.NSentences];
            hashes.Add(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(ordered)));
        }
    }

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context)
    {
        _dir = context.WorkDirectory;
        return new Observer(options, new RunWriter<KeyLoc>(context.WorkDirectory, Prefix, partition, Buckets), partition);
    }

    sealed class Observer(SentenceDedupOptions options, RunWriter<KeyLoc> writer, int partition) : IGlobalObserver
    {
        readonly List<Range> _sentences = [];
        readonly List<ulong> _hashes = [];
        byte[] _scratch = [];
        long _rows;

        public void Observe(DocumentBatch batch, long rowOffset)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                SpanHashes(batch.GetText(i), options, _sentences, _hashes, ref _scratch);
                for (int s = 0; s < _hashes.Count; s++)
                    writer.Add((int)(_hashes[s] % Buckets), new KeyLoc(_hashes[s], Pack(partition, rowOffset + i, s)));
            }
            _rows = rowOffset + batch.Length;
        }

        public void Complete() => writer.Complete(_rows);
    }

    public override void Resolve(GlobalContext context)
    {
        string dir = _dir = context.WorkDirectory;
        var manifests = PartitionManifest.ReadAll(dir, Prefix, context.PartitionCount);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = context.Workers };
        var clock = Stopwatch.StartNew();
        long spans = 0, removed = 0;
        // Removals (every occurrence after the first) are spilled by partition, as sorted runs per bucket worker.
        var removalRuns = new int[Buckets];
        Parallel.For(0, Buckets, parallel, b =>
        {
            var rm = new RunWriter<ulong>(dir, $"rm{b:D3}", 0, manifests.Length, 4 << 20);
            using (var merger = new RunMerger<KeyLoc>(PartitionManifest.RunFiles(dir, Prefix, b, manifests)))
            {
                KeyLoc first = default;
                bool any = false;
                long n = 0, r = 0;
                while (merger.Next(out var rec))
                {
                    n++;
                    if (any && rec.Key == first.Key) { rm.Add(PartitionOf(rec.Loc), rec.Loc); r++; }
                    else { first = rec; any = true; }
                }
                Interlocked.Add(ref spans, n);
                Interlocked.Add(ref removed, r);
            }
            rm.Complete(0);
        });
        var rmManifests = Enumerable.Range(0, Buckets).Select(b => PartitionManifest.ReadAll(dir, $"rm{b:D3}", 1)[0]).ToArray();
        Parallel.For(0, manifests.Length, parallel, p =>
        {
            var files = new List<string>();
            for (int b = 0; b < Buckets; b++)
                for (int r = 0; r < rmManifests[b].Runs; r++)
                {
                    string path = RunWriter<ulong>.RunPath(dir, $"rm{b:D3}", p, 0, r);
                    if (File.Exists(path)) files.Add(path);
                }
            // Per row: index of its first removal; then the removals (span indexes), in row order.
            var index = new int[manifests[p].Rows + 1];
            var entries = new List<ushort>();
            using (var merger = new RunMerger<ulong>(files))
            {
                long row = 0;
                while (merger.Next(out ulong loc))
                {
                    long r = RowOf(loc);
                    while (row < r) index[++row] = entries.Count;
                    entries.Add((ushort)SpanOf(loc));
                }
                while (row < manifests[p].Rows) index[++row] = entries.Count;
            }
            RowResults.Write<int>(dir, "rmindex", p, index);
            RowResults.Write<ushort>(dir, "rmspans", p, CollectionsMarshal.AsSpan(entries));
        });
        context.Stats.AddCounter("sentence_dedup.spans", spans);
        context.Stats.AddCounter("sentence_dedup.duplicate_spans", removed);
        context.Stats.AddCounter("sentence_dedup.phase_ms.resolve", (long)clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Apply reads only the files that resolve wrote in the work directory.</summary>
    public override void Reopen(GlobalContext context) => _dir = context.WorkDirectory;

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        string dir = _dir ?? throw new InvalidOperationException($"{Name}: apply before resolve");
        var index = new int[batch.Length + 1];
        RowResults.Read<int>(dir, "rmindex", context.Partition, context.RowOffset, index);
        var spans = new ushort[index[^1] - index[0]];
        if (spans.Length > 0) RowResults.Read<ushort>(dir, "rmspans", context.Partition, index[0], spans);
        if (spans.Length == 0) return batch;
        var text = new Utf8ColumnBuilder(batch.Length, (int)Math.Min(int.MaxValue, batch.TextBytes + 64));
        var keep = new bool[batch.Length];
        var sentences = new List<Range>();
        bool anyDropped = false;
        long removedSentences = 0;
        for (int i = 0; i < batch.Length; i++)
        {
            var t = batch.GetText(i);
            var removed = spans.AsSpan(index[i] - index[0], index[i + 1] - index[i]);
            var dest = text.Reserve(t.Length);
            int n = SentenceDedupRules.Remove(t, removed, options.NSentences, sentences, dest, out int count);
            removedSentences += count;
            text.Commit(n);
            keep[i] = n > 0;
            if (!keep[i]) { context.Drop(batch, i, "sentence_dedup.empty"); anyDropped = true; }
        }
        context.Count("sentence_dedup.sentences_removed", removedSentences);
        var result = batch.WithColumn(Columns.Text, text.Build());
        return anyDropped ? result.Filter(keep) : result;
    }
}

/// <summary>The sentence-removal rule, separately testable.</summary>
public static class SentenceDedupRules
{
    /// <summary>
    /// Copies <paramref name="text"/> without the sentences covered by the removed spans (span s
    /// covers sentences s .. s+n-1), trailing whitespace trimmed. Returns the bytes written.
    /// </summary>
    public static int Remove(ReadOnlySpan<byte> text, ReadOnlySpan<ushort> removedSpans, int nSentences, List<Range> sentences, Span<byte> output, out int removed)
    {
        removed = 0;
        if (removedSpans.IsEmpty) { text.CopyTo(output); return text.Length; }
        TextSpans.Sentences(text, sentences);
        Span<bool> drop = sentences.Count <= 4096 ? stackalloc bool[sentences.Count] : new bool[sentences.Count];
        foreach (int s in removedSpans)
            for (int k = s; k < s + nSentences && k < drop.Length; k++) drop[k] = true;
        int n = 0;
        for (int s = 0; s < sentences.Count; s++)
        {
            if (drop[s]) { removed++; continue; }
            var part = text[sentences[s]];
            part.CopyTo(output[n..]);
            n += part.Length;
        }
        while (n > 0 && output[n - 1] is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r') n--;
        return n;
    }
}
