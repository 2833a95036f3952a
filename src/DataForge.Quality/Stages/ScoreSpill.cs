using Apache.Arrow;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;

namespace DataForge.Quality.Stages;

/// <summary>Reads a float score column of a batch (float32 or float64; nulls and NaN read as NaN).</summary>
public static class ScoreColumn
{
    public static float[] Read(DocumentBatch batch, string column, string stage)
    {
        var array = batch.Column(column) ?? throw new InputException($"{stage}: the documents have no '{column}' column; add a scoring stage (quality_score or fasttext_score) before it, or set 'column'");
        var scores = new float[batch.Length];
        switch (array)
        {
            case FloatArray f:
                for (int i = 0; i < scores.Length; i++) scores[i] = f.GetValue(i) ?? float.NaN;
                break;
            case DoubleArray d:
                for (int i = 0; i < scores.Length; i++) scores[i] = (float)(d.GetValue(i) ?? double.NaN);
                break;
            default:
                throw new InputException($"{stage}: column '{column}' must be float32 or float64, found {array.Data.DataType.Name}");
        }
        return scores;
    }
}

/// <summary>Observer that spills a partition's scores (4 bytes per document, in row order) to one file.</summary>
public sealed class ScoreSpillObserver(string path, string column, string stage) : IGlobalObserver
{
    readonly FileStream _file = new(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);

    public static string PathFor(GlobalContext context, int partition) => Path.Combine(context.WorkDirectory, $"scores-{partition:D5}.f32");

    public void Observe(DocumentBatch batch, long rowOffset)
    {
        var scores = ScoreColumn.Read(batch, column, stage);
        _file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scores.AsSpan()));
    }

    public void Complete()
    {
        _file.Flush(true);
        _file.Dispose();
        File.Move(path + ".tmp", path, true);
    }
}

/// <summary>
/// Exact order statistics of spilled float scores in bounded memory: a 65,536-bin histogram over the high 16 bits
/// of each score's order-preserving key, then a second histogram over the low 16 bits inside the chosen bin.
/// NaN sorts below every number.
/// </summary>
public sealed class SpilledScores(IReadOnlyList<string> files)
{
    /// <summary>Maps a float to a uint whose unsigned order is the float order (NaN lowest).</summary>
    public static uint Key(float f)
    {
        if (float.IsNaN(f)) return 0;
        if (f == 0) f = 0; // -0 == +0
        uint b = BitConverter.SingleToUInt32Bits(f);
        return (b & 0x80000000) != 0 ? ~b : b | 0x80000000;
    }

    public static float FromKey(uint k) => k == 0 ? float.NaN : BitConverter.UInt32BitsToSingle((k & 0x80000000) != 0 ? k & 0x7FFFFFFF : ~k);

    public IReadOnlyList<string> Files => files;

    public void ForEach(Action<int, long, float> visit)
    {
        var buf = new float[1 << 14];
        for (int p = 0; p < files.Count; p++)
        {
            if (!File.Exists(files[p])) continue;
            using var s = new FileStream(files[p], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long row = 0;
            while (true)
            {
                int got = s.ReadAtLeast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buf.AsSpan()), buf.Length * 4, throwOnEndOfStream: false);
                int n = got / 4;
                for (int i = 0; i < n; i++) visit(p, row++, buf[i]);
                if (got < buf.Length * 4) break;
            }
        }
    }

    public long Count()
    {
        long n = 0;
        foreach (var f in files) if (File.Exists(f)) n += new FileInfo(f).Length / 4;
        return n;
    }

    /// <summary>The scores of ascending rank <paramref name="ranks"/> (0-based), exactly.</summary>
    public float[] OrderStatistics(IReadOnlyList<long> ranks)
    {
        var high = new long[65536];
        ForEach((_, _, v) => high[Key(v) >> 16]++);
        var result = new float[ranks.Count];
        // Bins holding each rank, and the rank within the bin.
        var bins = new int[ranks.Count];
        var within = new long[ranks.Count];
        for (int r = 0; r < ranks.Count; r++)
        {
            long k = ranks[r], acc = 0;
            int b = 0;
            while (b < 65535 && acc + high[b] <= k) acc += high[b++];
            bins[r] = b;
            within[r] = k - acc;
        }
        var distinct = bins.Distinct().ToArray();
        var low = distinct.ToDictionary(b => b, _ => new long[65536]);
        ForEach((_, _, v) =>
        {
            uint key = Key(v);
            if (low.TryGetValue((int)(key >> 16), out var h)) h[key & 0xFFFF]++;
        });
        for (int r = 0; r < ranks.Count; r++)
        {
            var h = low[bins[r]];
            long acc = 0;
            int b = 0;
            while (b < 65535 && acc + h[b] <= within[r]) acc += h[b++];
            result[r] = FromKey(((uint)bins[r] << 16) | (uint)b);
        }
        return result;
    }
}
