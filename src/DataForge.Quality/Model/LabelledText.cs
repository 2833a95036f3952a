using System.Text;
using System.Text.Json;
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

    public static bool IsJsonl(string path)
    {
        string name = Path.GetFileName(path);
        foreach (var ext in new[] { ".gz", ".zst", ".zstd" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) name = name[..^ext.Length];
        return name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
    }

    public static IEnumerable<byte[]> Read(IEnumerable<string> files)
    {
        foreach (var f in files)
        {
            bool json = IsJsonl(f);
            using var s = InputFiles.OpenDecompressed(f);
            using var reader = new StreamReader(s, new UTF8Encoding(false, true));
            int line = 0;
            string? l;
            while (true)
            {
                try
                {
                    l = reader.ReadLine();
                }
                catch (DecoderFallbackException ex)
                {
                    throw new Execution.InputException($"{f}:{line + 1}", "invalid UTF-8", ex);
                }
                if (l is null) break;
                line++;
                if (l.Length == 0) continue;
                if (!json) { yield return Encoding.UTF8.GetBytes(l); continue; }
                string? text;
                try
                {
                    using var doc = JsonDocument.Parse(l);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                        throw new Execution.InputException($"{f}:{line}", "expected a JSON object with a string \"text\" field");
                    text = t.GetString();
                }
                catch (JsonException ex)
                {
                    throw new Execution.InputException($"{f}:{line}", $"malformed JSON: {ex.Message}", ex);
                }
                yield return Encoding.UTF8.GetBytes(text!);
            }
        }
    }
}
