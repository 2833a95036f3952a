using DataForge.Execution;
using System.CommandLine;
using System.Text.Json;
using Apache.Arrow;
using DataForge.Documents;
using DataForge.IO;

namespace DataForge.Cli;

public static class InspectCommand
{
    public static Command Build(CliIO io)
    {
        var path = new Argument<string>("path") { Description = "A shard file, an output directory, or a GGUF model file." };
        var rows = new Option<int>("--rows", "-n") { Description = "Sample documents to show.", DefaultValueFactory = _ => 3 };
        var cmd = new Command("inspect", "Show a shard's or output directory's schema, row counts, sample documents and stats, or a GGUF file's metadata and tensors.") { path, rows };
        cmd.SetAction(parse =>
        {
            string p = parse.GetValue(path)!;
            int n = Math.Max(0, parse.GetValue(rows));
            if (Directory.Exists(p)) InspectDirectory(io, p, n);
            else if (File.Exists(p) && p.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) InspectGguf(io, p);
            else if (File.Exists(p)) InspectShard(io, p, n);
            else throw new CliUsageException($"{p}: no such file or directory");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static void InspectDirectory(CliIO io, string dir, int n)
    {
        var m = Manifest.Read(dir)
            ?? throw new CliUsageException($"{dir}: no manifest.json; not a finished DataForge output directory" + (Directory.Exists(Path.Combine(dir, "_work")) ? " (an interrupted run: use run --resume)" : ""));
        var shards = m.Shards;
        io.Out.WriteLine($"{dir}: pipeline '{m.Pipeline}', format {m.Format}, "
            + $"{m.Rows:N0} documents in {shards.Count} shard(s), {shards.Sum(s => s.Bytes) / 1e6:F1} MB"
            + (File.Exists(Path.Combine(dir, "_SUCCESS")) ? "" : " (no _SUCCESS: incomplete)"));
        string stats = Path.Combine(dir, "stats.json");
        if (File.Exists(stats))
        {
            var r = RunStats.Read(stats);
            io.Out.WriteLine($"stats: {r.DocumentsIn:N0} in, {r.DocumentsOut:N0} out, {r.Dropped:N0} dropped, {r.Rejected:N0} rejected");
            foreach (var st in r.Stages)
            {
                var drops = st.Dropped.Select(d => $"{d.Key} {d.Value:N0}").ToList();
                io.Out.WriteLine($"  {st.Name,-20} {st.In,12:N0} -> {st.Out,12:N0}" + (drops.Count > 0 ? "  " + string.Join(", ", drops) : ""));
            }
        }
        if (shards.Count > 0) InspectShard(io, Path.Combine(dir, shards[0].File), n);
    }

    /// <summary>A GGUF file's metadata (arrays by their length) and tensor table, with the bytes per tensor type.</summary>
    static void InspectGguf(CliIO io, string file)
    {
        var g = DataForge.Deploy.GgufFile.Read(file);
        io.Out.WriteLine($"{file}: GGUF v{g.Version}, {g.Metadata.Count} metadata keys, {g.Tensors.Count} tensors, {new FileInfo(file).Length / 1e6:F2} MB");
        foreach (var (k, v) in g.Metadata) io.Out.WriteLine($"  {k} = {v}");
        foreach (var grp in g.Tensors.GroupBy(t => t.Type).OrderBy(x => x.Key))
            io.Out.WriteLine($"  {grp.Key}: {grp.Count()} tensors, {grp.Sum(t => DataForge.Deploy.Gguf.ByteSize(t.Type, t.Dims)) / 1e6:F2} MB");
        foreach (var t in g.Tensors) io.Out.WriteLine($"  {t.Name,-28} {t.Type,-5} [{string.Join(", ", t.Dims)}]");
    }

    static void InspectShard(CliIO io, string file, int n)
    {
        long rows = 0;
        Schema? schema = null;
        var samples = new List<string>();
        foreach (var b in ShardFiles.Read(file))
        {
            schema ??= b.Schema;
            for (int i = 0; i < b.Length && samples.Count < n; i++) samples.Add(Describe(b, i));
            rows += b.Length;
        }
        io.Out.WriteLine($"{file}: {rows:N0} documents");
        if (schema is not null)
            io.Out.WriteLine("columns: " + string.Join(", ", schema.FieldsList.Select(f => $"{f.Name}:{f.DataType.Name}")));
        foreach (var s in samples) io.Out.WriteLine(s);
    }

    static string Describe(DocumentBatch b, int i)
    {
        string text = b.Text.GetString(i).Replace("\n", "\\n", StringComparison.Ordinal);
        if (text.Length > 160) text = text[..157] + "...";
        var extras = new List<string>();
        for (int c = 0; c < b.Schema.FieldsList.Count; c++)
        {
            var f = b.Schema.GetFieldByIndex(c);
            if (Columns.IsCore(f.Name)) continue;
            var a = b.Batch.Column(c);
            extras.Add($"{f.Name}={(a.IsNull(i) ? "null" : a switch { FloatArray x => x.Values[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture), DoubleArray x => x.Values[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture), StringArray x => x.GetString(i), Int64Array x => x.Values[i].ToString(System.Globalization.CultureInfo.InvariantCulture), Int32Array x => x.Values[i].ToString(System.Globalization.CultureInfo.InvariantCulture), _ => "?" })}");
        }
        return $"- {b.Id.GetString(i)} [{b.Source.GetString(i)}]{(extras.Count > 0 ? " " + string.Join(" ", extras) : "")}: {text}";
    }
}
