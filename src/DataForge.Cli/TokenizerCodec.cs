using DataForge.Tokenization;
using DataForge.Training;

namespace DataForge.Cli;

/// <summary>
/// Lets training and generation use DataForge tokenizers (trained BPE directories, tiktoken encodings,
/// SentencePiece models). The training assembly does not reference the tokenization assembly; the command
/// line, which ships both, connects them.
/// </summary>
public sealed class TokenizerCodec(TextTokenizer tokenizer) : ITextCodec
{
    public int[] Encode(string text) => tokenizer.Encode(text);
    public string Decode(IReadOnlyList<int> ids) => tokenizer.Decode([.. ids]);
    public void ExportTo(string dir) => tokenizer.ExportTo(dir);

    /// <summary>A codec for a tokenizer spec or directory, or null when it holds no DataForge tokenizer.</summary>
    public static ITextCodec? TryLoad(string spec)
    {
        try
        {
            return new TokenizerCodec(TextTokenizer.Load(spec));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException)
        {
            return null;
        }
    }

    static int _registered;

    /// <summary>Adds the loader to <see cref="Codecs.Loaders"/> once per process.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            lock (Codecs.Loaders) Codecs.Loaders.Add(TryLoad);
    }
}
