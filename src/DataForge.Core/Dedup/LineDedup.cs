using System.IO.Hashing;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Dedup;

public sealed class LineDedupOptions
{
    [Option("A line (compared after trimming spaces) that occurs more than this many times in the whole corpus is boilerplate and is removed from every document.", Min = 1)]
    public int MaxOccurrences { get; init; } = 1;

    [Option("Lines shorter than this (bytes, after trimming) are never removed.", Min = 0)]
    public int MinLineBytes { get; init; }
}

/// <summary>
/// Boilerplate-line removal in two phases. Observe: the xxhash64 of each non-blank trimmed line is
/// spilled as sorted runs in 32 hash buckets. Resolve: each bucket's runs are merged externally (in
/// parallel) and the hashes occurring more than <c>max_occurrences</c> times are kept in a sorted
/// array (memory: 8 bytes per boilerplate line, at most total lines / (max_occurrences + 1)). Apply:
/// removes those lines; a document left blank is dropped (<c>line_dedup.empty</c>).
/// </summary>
[Stage("line_dedup", StageShape.Global, "Removes lines that occur more than max_occurrences times across the corpus (boilerplate); documents left empty are dropped.")]
public sealed class LineDedupStage(LineDedupOptions options, StageInit init) : GlobalStage(init)
{
    const int Buckets = 32;
    const string Prefix = "lines";
    ulong[]? _frequent;

    public override IGlobalObserver CreateObserver(int partition, GlobalContext context)
        => new Observer(this, new RunWriter<ulong>(context.WorkDirectory, Prefix, partition, Buckets));

    sealed class Observer(LineDedupStage stage, RunWriter<ulong> writer) : IGlobalObserver
    {
        readonly List<Range> _lines = [];
        long _rows;

        public void Observe(DocumentBatch batch, long rowOffset)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                var text = batch.GetText(i);
                TextSpans.Lines(text, _lines);
                foreach (var r in _lines)
                {
                    if (LineDedupRules.TryKey(text[r], stage.Options.MinLineBytes, out ulong h)) writer.Add((int)(h % Buckets), h);
                }
            }
            _rows = rowOffset + batch.Length;
        }

        public void Complete() => writer.Complete(_rows);
    }

    public LineDedupOptions Options => options;

    public override void Resolve(GlobalContext context)
    {
        string dir = context.WorkDirectory;
        var manifests = PartitionManifest.ReadAll(dir, Prefix, context.PartitionCount);
        var perBucket = new List<ulong>[Buckets];
        var counts = new long[Buckets];
        Parallel.For(0, Buckets, new ParallelOptions { MaxDegreeOfParallelism = context.Workers }, b =>
        {
            var list = new List<ulong>();
            using var merger = new RunMerger<ulong>(PartitionManifest.RunFiles(dir, Prefix, b, manifests));
            ulong prev = 0;
            long run = 0, lines = 0;
            while (merger.Next(out ulong h))
            {
                lines++;
                if (run > 0 && h == prev) { if (++run == options.MaxOccurrences + 1) list.Add(h); continue; }
                prev = h;
                run = 1;
            }
            perBucket[b] = list;
            counts[b] = lines;
        });
        var all = perBucket.SelectMany(l => l).ToArray();
        Array.Sort(all);
        _frequent = all;
        // Kept on disk too, for apply in a process that did not resolve (Reopen).
        RowResults.Write<ulong>(dir, Frequent, 0, all);
        context.Stats.AddCounter("line_dedup.lines", counts.Sum());
        context.Stats.AddCounter("line_dedup.frequent_lines", all.Length);
    }

    const string Frequent = "frequent";

    public override void Reopen(GlobalContext context) => _frequent = RowResults.ReadAll<ulong>(context.WorkDirectory, Frequent, 0);

    public override DocumentBatch Apply(DocumentBatch batch, StageContext context)
    {
        var frequent = _frequent ?? throw new InvalidOperationException($"{Name}: apply before resolve");
        var text = new Utf8ColumnBuilder(batch.Length, (int)Math.Min(int.MaxValue, batch.TextBytes + 64));
        var keep = new bool[batch.Length];
        var lines = new List<Range>();
        bool anyDropped = false;
        long removed = 0;
        for (int i = 0; i < batch.Length; i++)
        {
            var t = batch.GetText(i);
            var dest = text.Reserve(t.Length);
            int n = LineDedupRules.Remove(t, frequent, options.MinLineBytes, lines, dest, out int count);
            removed += count;
            text.Commit(n);
            keep[i] = !dest[..n].Trim(" \t\r\n"u8).IsEmpty;
            if (!keep[i]) { context.Drop(batch, i, "line_dedup.empty"); anyDropped = true; }
        }
        context.Count("line_dedup.lines_removed", removed);
        var result = batch.WithColumn(Columns.Text, text.Build());
        return anyDropped ? result.Filter(keep) : result;
    }
}

/// <summary>The line-removal rule, separately testable.</summary>
public static class LineDedupRules
{
    /// <summary>
    /// Copies <paramref name="text"/> to <paramref name="output"/> without the lines whose trimmed
    /// hash is in <paramref name="frequent"/> (sorted); the kept lines keep their '\n' separators.
    /// Returns the bytes written; <paramref name="removed"/> counts removed lines.
    /// </summary>
    /// <summary>The key of a line that counts (trimmed, non-empty, at least <paramref name="minLineBytes"/>): what is counted and what is removed agree.</summary>
    public static bool TryKey(ReadOnlySpan<byte> line, int minLineBytes, out ulong hash)
    {
        var trimmed = line.Trim(" \t\r"u8);
        hash = trimmed.Length > 0 && trimmed.Length >= minLineBytes ? XxHash64.HashToUInt64(trimmed) : 0;
        return trimmed.Length > 0 && trimmed.Length >= minLineBytes;
    }

    public static int Remove(ReadOnlySpan<byte> text, ulong[] frequent, int minLineBytes, List<Range> lines, Span<byte> output, out int removed)
    {
        removed = 0;
        TextSpans.Lines(text, lines);
        int n = 0;
        bool first = true;
        foreach (var r in lines)
        {
            var line = text[r];
            if (TryKey(line, minLineBytes, out ulong h) && Array.BinarySearch(frequent, h) >= 0) { removed++; continue; }
            if (!first) output[n++] = (byte)'\n';
            line.CopyTo(output[n..]);
            n += line.Length;
            first = false;
        }
        return n;
    }
}
