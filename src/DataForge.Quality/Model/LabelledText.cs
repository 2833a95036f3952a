using System.Text;
using DataForge.IO;

namespace DataForge.Quality.Model;

/// <summary>Reads documents for training and evaluation: JSONL (.jsonl, optionally .gz/.zst) takes the <c>text</c> field; any other file is one document per line.</summary>
public static class LabelledText
{
    /// <summary>Expands globs (relative to <paramref name="baseDirectory"/>); an empty match is an error.</summary>
    public static IReadOnlyList<string> Files(IEnumerable<string> patterns, string baseDirectory)
    {
        var files = InputFiles.Expand(patterns, baseDirectory);
        if (files.Count == 0) throw new FileNotFoundException($"no files match {string.Join(", ", patterns)}");
        return files;
    }

    public static bool IsJsonl(string path) => ShardFiles.IsJsonl(path);

    /// <summary>
    /// Documents of the files: JSONL (and Parquet/Arrow shards) through DataForge's readers, so compressed input,
    /// invalid UTF-8 and malformed records get the same checks and file:line errors as in a pipeline; other files
    /// one document per non-empty line.
    /// </summary>
    public static IEnumerable<byte[]> Read(IEnumerable<string> files)
    {
        foreach (var f in files)
        {
            if (IsJsonl(f) || ShardFiles.IsShard(f))
            {
                foreach (var batch in ShardFiles.Read(f))
                    using (batch)
                        for (int i = 0; i < batch.Length; i++) yield return batch.GetText(i).ToArray();
                continue;
            }
            foreach (var (line, _) in Lines(f))
                if (line.Length > 0) yield return Encoding.UTF8.GetBytes(line);
        }
    }

    /// <summary>Lines of a (possibly compressed) text file with their 1-based numbers; invalid UTF-8 names the line.</summary>
    public static IEnumerable<(string Line, int Number)> Lines(string path)
    {
        using var s = InputFiles.OpenDecompressed(path);
        using var reader = new StreamReader(s, new UTF8Encoding(false, true));
        int n = 0;
        while (true)
        {
            string? l;
            try
            {
                l = reader.ReadLine();
            }
            catch (DecoderFallbackException ex)
            {
                throw new Execution.InputException($"{path}:{n + 1}", "invalid UTF-8", ex);
            }
            if (l is null) yield break;
            yield return (l, ++n);
        }
    }
}
