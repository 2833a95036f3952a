using System.Text;
using System.Text.Unicode;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;

namespace DataForge.IO;

public sealed class TextReaderOptions : ReaderOptions;

/// <summary>One document per file. Files are grouped into partitions of about partition_bytes.</summary>
[Stage("text", StageShape.Source, "Reads plain-text files, one document per file (id = the file's path).")]
public sealed class TextSource(TextReaderOptions options, StageInit init) : FileSourceStage(options, init)
{
    // Partition boundaries are file indices into the expanded list (expanded once per run).
    public override IReadOnlyList<PartitionSpec> Plan(PlanContext context)
    {
        var files = Files();
        var parts = new List<PartitionSpec>();
        int start = 0;
        long acc = 0;
        for (int i = 0; i < files.Count; i++)
        {
            acc += new FileInfo(files[i]).Length;
            if (acc >= context.PartitionBytes || i == files.Count - 1)
            {
                parts.Add(new PartitionSpec($"{DisplayPath(files[start])} (+{i - start} files)", null, start, i + 1));
                start = i + 1;
                acc = 0;
            }
        }
        return parts;
    }

    public override IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext ctx)
    {
        var files = Files();
        var b = new DocumentBatchBuilder();
        for (long i = partition.Start; i < partition.End; i++)
        {
            string path = files[(int)i], display = DisplayPath(path);
            ArraySegment<byte> bytes;
            try { bytes = ReadAll(path); }
            catch (InputException ex)
            {
                // With on_error "skip" an unreadable file is recorded and the next one is read.
                ctx.FileFault(display, ex.Reason);
                continue;
            }
            ctx.BytesRead += bytes.Count;
            ReadOnlySpan<byte> text = bytes;
            if (text.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) text = text[3..];
            if (!Utf8.IsValid(text)) { ctx.Reject(display, "invalid UTF-8; text files must be UTF-8", default); continue; }
            b.Append(Encoding.UTF8.GetBytes(display), text, Encoding.UTF8.GetBytes(SourceName(path)));
            if (b.Count >= ctx.BatchRows || b.TextBytes >= ctx.BatchBytes)
            {
                var batch = b.Build();
                Count(ctx, batch);
                yield return batch;
                b = new DocumentBatchBuilder();
            }
        }
        if (b.Count > 0)
        {
            var batch = b.Build();
            Count(ctx, batch);
            yield return batch;
        }
    }

    /// <summary>A whole file, decompressed; one buffer the size of the file when it is not compressed.</summary>
    static ArraySegment<byte> ReadAll(string path)
    {
        using var s = InputFiles.OpenDecompressed(path);
        if (s is FileStream fs)
        {
            var buf = GC.AllocateUninitializedArray<byte>(checked((int)fs.Length));
            fs.ReadExactly(buf);
            return buf;
        }
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return new ArraySegment<byte>(ms.GetBuffer(), 0, (int)ms.Length);
    }

    static void Count(SourceContext ctx, DocumentBatch batch)
    {
        ctx.Stats.In += batch.Length;
        ctx.Stats.Out += batch.Length;
        ctx.Stats.OutBytes += batch.TextBytes;
    }
}
