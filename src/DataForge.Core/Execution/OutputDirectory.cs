using System.Text.Json;
using DataForge.IO;

namespace DataForge.Execution;

/// <summary>
/// The one rule for directories DataForge writes (pipeline outputs, mixes, training runs, tokenizers):
/// a directory is used only when it is new, empty or already a DataForge output of the same kind;
/// <c>--overwrite</c> clears only such a directory and says what it removes; a marker file records
/// that DataForge owns it. User files are never deleted.
/// </summary>
internal static class OutputDirectory
{
    /// <summary>Marker written into every directory DataForge claims as its output; holds the kind.</summary>
    public const string MarkerFile = ".dataforge-output";

    /// <summary>Files an output from before the marker existed is recognised by.</summary>
    static readonly string[] LegacyMarkers = ["_SUCCESS", "_work", "manifest.json", "mix_report.json", "metrics.jsonl"];

    /// <summary>Entries that belong to the directory's bookkeeping, not to its contents.</summary>
    static bool IsBookkeeping(string name) => name == MarkerFile || name.StartsWith(OutputLock.LockFile, StringComparison.Ordinal);

    /// <summary>True when the directory is missing or holds nothing but DataForge's own lock or marker.</summary>
    public static bool IsEmpty(string dir)
        => !Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any(e => !IsBookkeeping(Path.GetFileName(e)));

    /// <summary>True when DataForge wrote this directory (its marker, or the files an older output carries).</summary>
    public static bool IsOwned(string dir)
        => File.Exists(Path.Combine(dir, MarkerFile)) || LegacyMarkers.Any(m => Path.Exists(Path.Combine(dir, m)));

    /// <summary>The kind recorded in the marker (pipeline, mix, train, tokenizer), or null.</summary>
    public static string? KindOf(string dir)
    {
        string marker = Path.Combine(dir, MarkerFile);
        if (!File.Exists(marker)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(marker));
            return doc.RootElement.TryGetProperty("kind", out var k) ? k.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// Makes <paramref name="dir"/> ready for a fresh write of <paramref name="kind"/>: refuses a non-empty
    /// directory unless <paramref name="overwrite"/> is set and DataForge owns it, then clears it (naming
    /// what it removes through <paramref name="log"/>) and writes the marker.
    /// </summary>
    /// <param name="what">How commands name this directory in messages ("output directory", "run directory").</param>
    /// <param name="hint">What the user can do instead, appended to the "not empty" message.</param>
    public static void PrepareFresh(string dir, string kind, bool overwrite, Action<string>? log, string what = "output directory",
        string hint = "pass --overwrite to replace it")
    {
        if (!IsEmpty(dir))
        {
            if (!overwrite) throw new RunSetupException($"{dir}: {what} is not empty; {hint}");
            Clear(dir, kind, log, what);
        }
        Claim(dir, kind);
    }

    /// <summary>
    /// Throws unless <paramref name="dir"/> may be replaced by a new <paramref name="kind"/> output: it is empty,
    /// or DataForge wrote it as that kind. A command that replaces its output only at the end (mix) checks
    /// this before it starts, so it never works inside a directory it would then refuse to clear.
    /// </summary>
    public static void EnsureReplaceable(string dir, string kind, string what = "output directory")
    {
        if (IsEmpty(dir)) return;
        if (!IsOwned(dir))
            throw new RunSetupException($"{dir}: --overwrite refused: the {what} holds files DataForge did not write (no {MarkerFile}, _SUCCESS or manifest.json); choose another output or empty it yourself");
        string? owner = KindOf(dir);
        if (owner is not null && owner != kind)
            throw new RunSetupException($"{dir}: --overwrite refused: the {what} is a DataForge {owner} output, not a {kind} output; choose another output");
    }

    /// <summary>
    /// Removes everything a previous DataForge output left in <paramref name="dir"/> (not the lock or marker,
    /// nor the entries named in <paramref name="keep"/>: the work directory of a command that clears its previous
    /// output only once the new one is ready).
    /// </summary>
    public static void Clear(string dir, string kind, Action<string>? log, string what = "output directory", params string[] keep)
    {
        EnsureReplaceable(dir, kind, what);
        var entries = Directory.Exists(dir)
            ? Directory.EnumerateFileSystemEntries(dir).Where(e => !IsBookkeeping(Path.GetFileName(e)) && !keep.Contains(Path.GetFileName(e))).Order(StringComparer.Ordinal).ToList()
            : [];
        if (entries.Count == 0) return;
        long files = 0, bytes = 0;
        foreach (var e in entries)
        {
            if (Directory.Exists(e) && !IsLink(e))
                foreach (var f in new DirectoryInfo(e).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
                { files++; bytes += f.Length; }
            else { files++; bytes += IsLink(e) ? 0 : new FileInfo(e).Length; }
        }
        log?.Invoke($"--overwrite: removing the previous {kind} output in {dir}: {files:N0} file(s), {bytes / 1048576.0:F1} MB ({string.Join(", ", entries.Take(5).Select(Path.GetFileName))}{(entries.Count > 5 ? ", ..." : "")})");
        foreach (var e in entries)
        {
            // A symbolic link is removed itself; what it points to is never followed.
            if (Directory.Exists(e) && !IsLink(e)) Directory.Delete(e, recursive: true);
            else File.Delete(e);
        }
    }

    /// <summary>Writes the marker that says DataForge owns <paramref name="dir"/> (creating the directory).</summary>
    public static void Claim(string dir, string kind)
    {
        Directory.CreateDirectory(dir);
        string marker = Path.Combine(dir, MarkerFile);
        if (KindOf(dir) == kind) return;
        File.WriteAllText(marker, $"{{\"kind\": \"{kind}\"}}\n");
    }

    static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>Written last into a finished pipeline or mix output; until it exists readers must not use the output.</summary>
    public const string SuccessFile = "_SUCCESS";

    /// <summary>
    /// Why a reader must not use <paramref name="dir"/>: it is a DataForge pipeline or mix output without
    /// <see cref="SuccessFile"/> (interrupted, or still being written). Null when it is finished, or not such
    /// an output (outputs written before the marker existed are trusted as before).
    /// </summary>
    public static string? Unfinished(string dir)
    {
        string? kind = KindOf(dir);
        if (kind is not ("mix" or "pipeline") || File.Exists(Path.Combine(dir, SuccessFile))) return null;
        string command = kind == "mix" ? "mix" : "run";
        return $"{dir}: the {kind} output is incomplete (no {SuccessFile}): it was interrupted or is still being written; finish it with dataforge {command} --resume";
    }

    /// <summary>
    /// Whether <paramref name="outputDir"/> and an input path overlap: the output equals the input, contains it,
    /// or lies inside it. Paths are compared after full resolution (and, where they exist, with symbolic
    /// links resolved), so "./data" and "data/" are the same directory.
    /// </summary>
    public static string? Overlap(string outputDir, string inputPath)
    {
        string o = Canonical(outputDir), i = Canonical(inputPath);
        if (o == i) return "is";
        if (IsInside(i, o)) return "contains";
        if (IsInside(o, i)) return "lies inside";
        return null;
    }

    static bool IsInside(string path, string dir)
    {
        string d = dir.EndsWith(Path.DirectorySeparatorChar) ? dir : dir + Path.DirectorySeparatorChar;
        return path.StartsWith(d, StringComparison.Ordinal);
    }

    /// <summary>Full path with symbolic links resolved for the part of it that exists.</summary>
    public static string Canonical(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        // Resolve the longest existing prefix, then append the rest.
        string existing = full, rest = "";
        while (!Path.Exists(existing))
        {
            string? parent = Path.GetDirectoryName(existing);
            if (parent is null) return full;
            rest = rest.Length == 0 ? Path.GetFileName(existing) : Path.Combine(Path.GetFileName(existing), rest);
            existing = parent;
        }
        string resolved = FileIdentity.RealPath(existing) ?? existing;
        return rest.Length == 0 ? resolved : Path.Combine(resolved, rest);
    }
}
