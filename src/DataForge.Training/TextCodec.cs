namespace DataForge.Training;

/// <summary>What training needs from a tokenizer: encoding prompts, decoding samples, exporting its files.</summary>
public interface ITextCodec
{
    int[] Encode(string text);
    string Decode(IReadOnlyList<int> ids);
    /// <summary>Writes the tokenizer's files (for example tokenizer.json) into dir.</summary>
    void ExportTo(string dir);
}

/// <summary>Bytes as tokens (ids 0..255); used by tests and when no tokenizer is configured.</summary>
public sealed class ByteCodec : ITextCodec
{
    /// <summary>The file that marks a directory as holding the byte codec.</summary>
    public const string ConfigFile = "dataforge_bytes_tokenizer.json";

    public int[] Encode(string text) => System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
    public string Decode(IReadOnlyList<int> ids) => System.Text.Encoding.UTF8.GetString(ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i).ToArray());
    public void ExportTo(string dir) => File.WriteAllText(Path.Combine(dir, ByteCodec.ConfigFile), "{\"tokenizer_class\": \"bytes\"}\n");
}

/// <summary>Finds the tokenizer in a directory.</summary>
public static class Codecs
{
    /// <summary>Loaders tried in order after the built-in byte codec (the CLI adds the DataForge tokenizer).</summary>
    public static List<Func<string, ITextCodec?>> Loaders { get; } = [];

    /// <summary>Loads a tokenizer from a directory (or any spec a registered loader understands, such as an encoding name).</summary>
    public static ITextCodec Load(string dir)
    {
        if (File.Exists(Path.Combine(dir, ByteCodec.ConfigFile))) return new ByteCodec();
        foreach (var l in Loaders)
            if (l(dir) is { } c) return c;
        throw new FileNotFoundException($"{dir}: no tokenizer found (expected the files a DataForge tokenizer exports)");
    }
}
