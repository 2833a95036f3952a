using Apache.Arrow;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Stages;
using Parquet;
using Parquet.Schema;
using DataForge.Configuration;

namespace DataForge.IO;

public sealed class TableReaderOptions : ReaderOptions
{
    [Option("Column holding the document text.")]
    public string TextColumn { get; init; } = "text";

    [Option("Column holding the document id; rows without one get PATH#ROW.")]
    public string IdColumn { get; init; } = "id";
}

/// <summary>Parquet reader (Parquet.Net). Row groups of large files become separate partitions.</summary>
[Stage("parquet", StageShape.Source, "Reads Parquet files; numeric and boolean columns stay typed, other extra columns go to meta.")]
public sealed class ParquetSource(TableReaderOptions options, StageInit init) : FileSourceStage(options, init)
{
    public override IReadOnlyList<PartitionSpec> Plan(PlanContext context)
    {
        // Partition = a run of whole row groups, up to partition_bytes of compressed data.
        var parts = new List<PartitionSpec>();
        bool skip = (Options.OnError ?? context.Settings.OnError) == "skip";
        foreach (var f in Files())
        {
            List<long> groups;
            try { groups = Sync(ReadGroupSizes(f)); }
            catch (InputException) when (skip)
            {
                // Unreadable: one empty partition, whose read records the fault in rejects/.
                parts.Add(new PartitionSpec(DisplayPath(f), f, 0, 0));
                continue;
            }
            int start = 0;
            long acc = 0;
            for (int g = 0; g < groups.Count; g++)
            {
                acc += groups[g];
                if (acc >= context.PartitionBytes || g == groups.Count - 1)
                {
                    parts.Add(new PartitionSpec(groups.Count == 1 ? DisplayPath(f) : $"{DisplayPath(f)}#row-groups[{start}..{g + 1})", f, start, g + 1));
                    start = g + 1;
                    acc = 0;
                }
            }
            if (groups.Count == 0) parts.Add(new PartitionSpec(DisplayPath(f), f, 0, 0));
        }
        return parts;
    }

    async Task<List<long>> ReadGroupSizes(string path)
    {
        try
        {
            await using var fs = InputFiles.OpenRead(path);
            await using var r = await ParquetReader.CreateAsync(fs, ParquetMemory.ReaderOptions());
            return r.RowGroups.Select(g => g.RowGroup.TotalByteSize).ToList();
        }
        catch (Exception ex) when (ex is not InputException)
        {
            throw new InputException($"{DisplayPath(path)}: not a readable Parquet file ({ex.Message})", ex);
        }
    }

    static T Sync<T>(Task<T> t) => t.GetAwaiter().GetResult();

    public override IEnumerable<DocumentBatch> Read(PartitionSpec partition, SourceContext ctx)
    {
        string path = partition.Path!, display = DisplayPath(path);
        using var fs = InputFiles.OpenRead(path);
        ParquetReader reader;
        try { reader = Sync(ParquetReader.CreateAsync(fs, ParquetMemory.ReaderOptions())); }
        catch (Exception ex) when (ex is not InputException)
        {
            ctx.FileFault(display, $"not a readable Parquet file ({ex.Message})");
            yield break;
        }
        using var _ = new SyncDisposer(reader);
        var fields = reader.Schema.GetDataFields();
        var textField = fields.FirstOrDefault(f => f.Name == options.TextColumn);
        if (textField is null)
        {
            ctx.Reject(display, $"no column '{options.TextColumn}' (columns: {string.Join(", ", fields.Select(f => f.Name))}); set text_column", default);
            yield break;
        }
        var assembler = new TabularBatchAssembler(options.TextColumn, options.IdColumn, SourceName(path), options.Source is not null);
        long rowBase = 0;
        for (int g = 0; g < partition.Start; g++) rowBase += reader.RowGroups[g].RowCount;
        for (int g = (int)partition.Start; g < partition.End; g++)
        {
            DocumentBatch? batch;
            try { batch = ReadRowGroup(reader, g, fields, assembler, display, rowBase, ctx); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A damaged row group ends the file; with on_error "skip" the groups before it are kept.
                ctx.FileFault($"{display}#row-group-{g}", ex is InputException ie ? ie.Reason : $"corrupt Parquet data ({ex.Message})");
                yield break;
            }
            if (batch is null) yield break;
            rowBase += reader.RowGroups[g].RowCount;
            ctx.BytesRead += reader.RowGroups[g].RowGroup.TotalByteSize;
            // Row groups can be large; hand them on in batch_rows slices, each counted when handed on
            // (a --limit may stop reading between slices).
            for (int s = 0; s < batch.Length; s += ctx.BatchRows)
            {
                int n = Math.Min(ctx.BatchRows, batch.Length - s);
                var slice = n == batch.Length ? batch : batch.Take(Enumerable.Range(s, n).ToArray());
                ctx.Stats.In += slice.Length;
                ctx.Stats.Out += slice.Length;
                ctx.Stats.OutBytes += slice.TextBytes;
                yield return slice;
            }
        }
    }

    /// <summary>
    /// One row group as a batch; null when its text column is not a string column (rejected). Throws
    /// <see cref="InputException"/> for columns DataForge cannot carry, and Parquet.Net's errors for damaged data.
    /// </summary>
    DocumentBatch? ReadRowGroup(ParquetReader reader, int g, DataField[] fields, TabularBatchAssembler assembler, string display, long rowBase, SourceContext ctx)
    {
        using var group = reader.OpenRowGroupReader(g);
        int rows = checked((int)group.RowCount);
        var strings = new Dictionary<string, string?[]>();
        var typed = new List<(string, IArrowArray)>();
        var metaCols = new List<(string, Func<int, string?>)>();
        foreach (var f in fields)
        {
            if (f.IsArray)
                throw new InputException(display, $"column '{f.Name}' is a list column, which DataForge cannot carry; flatten or drop it first");
            var t = Nullable.GetUnderlyingType(f.ClrType) ?? f.ClrType;
            if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
            {
                var values = new string?[rows];
                group.ReadAsync(f, values.AsMemory()).AsTask().GetAwaiter().GetResult();
                // Core, text and id columns are mapped; other string columns stay columns (as the Arrow reader
                // keeps them), so stage outputs such as quality_bucket or code_lang survive a Parquet round trip.
                if (f.Name == assembler.TextColumn || f.Name == assembler.IdColumn || Columns.IsCore(f.Name)) strings[f.Name] = values;
                else typed.Add((f.Name, Utf8Array(values)));
            }
            else if (t == typeof(float)) typed.Add((f.Name, ReadTyped<float>(group, f, rows)));
            else if (t == typeof(double)) typed.Add((f.Name, ReadTyped<double>(group, f, rows)));
            else if (t == typeof(int)) typed.Add((f.Name, ReadTyped<int>(group, f, rows)));
            else if (t == typeof(long)) typed.Add((f.Name, ReadTyped<long>(group, f, rows)));
            else if (t == typeof(bool)) typed.Add((f.Name, ReadBooleans(group, f, rows)));
            else if (t == typeof(byte[]) || t == typeof(ReadOnlyMemory<byte>))
            {
                // Binary values go to meta as base64 strings: kept, and valid JSON.
                var values = new byte[]?[rows];
                group.ReadAsync(f, values.AsMemory()).AsTask().GetAwaiter().GetResult();
                metaCols.Add((f.Name, i => values[i] is { } v ? System.Text.Json.JsonSerializer.Serialize(Convert.ToBase64String(v)) : null));
            }
            else if (!t.IsValueType)
                throw new InputException(display, $"column '{f.Name}' has type {t.Name}, which DataForge cannot carry; drop or convert it first");
            else
            {
                var json = ReadAsJson(group, f, rows);
                metaCols.Add((f.Name, i => json[i]));
            }
        }
        if (!strings.ContainsKey(options.TextColumn))
        {
            ctx.Reject(display, $"column '{options.TextColumn}' is not a string column", default);
            return null;
        }
        return assembler.Build(rows, strings, typed, i => $"{display}#{rowBase + i}",
            (i, err) => ctx.Reject($"{display}: row {rowBase + i + 1}", err, default), metaCols);
    }

    static StringArray Utf8Array(string?[] values)
    {
        var b = new Utf8ColumnBuilder(values.Length);
        foreach (var v in values)
            if (v is null) b.AppendNull(); else b.Append(v);
        return b.Build();
    }

    static IArrowArray ReadTyped<T>(ParquetRowGroupReader group, DataField f, int rows) where T : unmanaged
    {
        var b = new PrimitiveColumnBuilder<T>(rows);
        if (f.IsNullable)
        {
            var values = new T?[rows];
            group.ReadAsync<T>(f, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            foreach (var v in values) { if (v is { } x) b.Append(x); else b.AppendNull(); }
        }
        else
        {
            var values = new T[rows];
            group.ReadAsync<T>(f, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            foreach (var v in values) b.Append(v);
        }
        return b.Build();
    }

    static IArrowArray ReadBooleans(ParquetRowGroupReader group, DataField f, int rows)
    {
        var b = new BooleanArray.Builder();
        var values = new bool?[rows];
        group.ReadAsync<bool>(f, values.AsMemory()).AsTask().GetAwaiter().GetResult();
        foreach (var v in values) { if (v is { } x) b.Append(x); else b.AppendNull(); }
        return b.Build();
    }

    static string?[] ReadAsJson(ParquetRowGroupReader group, DataField f, int rows)
    {
        var t = Nullable.GetUnderlyingType(f.ClrType) ?? f.ClrType;
        var method = typeof(ParquetSource).GetMethod(nameof(ReadBoxed), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(t);
        return (string?[])method.Invoke(null, [group, f, rows])!;
    }

    static string?[] ReadBoxed<T>(ParquetRowGroupReader group, DataField f, int rows) where T : struct
    {
        var values = new T?[rows];
        group.ReadAsync<T>(f, values.AsMemory()).AsTask().GetAwaiter().GetResult();
        // Values become JSON text in meta: booleans and numbers as literals, anything else as a string.
        return values.Select(v => v switch
        {
            null => null,
            bool b => b ? "true" : "false",
            { } x when x is byte or sbyte or short or ushort or uint or ulong or decimal
                => Convert.ToString(x, System.Globalization.CultureInfo.InvariantCulture),
            { } x => System.Text.Json.JsonSerializer.Serialize(Convert.ToString(x, System.Globalization.CultureInfo.InvariantCulture)),
        }).ToArray();
    }
}

/// <summary>Disposes an async-disposable synchronously (iterators cannot <c>await using</c>).</summary>
internal readonly struct SyncDisposer(IAsyncDisposable inner) : IDisposable
{
    public void Dispose() => inner.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
