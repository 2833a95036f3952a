using DataForge.Tokenization;
using DataForge.Training;

namespace DataForge.Cli;

/// <summary>The DataForge tokenizer as the trainer's text codec (samples, export, generate).</summary>
public sealed class TokenizerCodec(TextTokenizer tokenizer) : ITextCodec
{
    public int[] Encode(string text) => tokenizer.Encode(text);
    public string Decode(IReadOnlyList<int> ids) => tokenizer.Decode(ids.ToArray());
    public void ExportTo(string dir) => tokenizer.ExportTo(dir);

    static int _registered;

    /// <summary>Lets <see cref="Codecs.Load"/> open every tokenizer TextTokenizer.Load understands.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            Codecs.Loaders.Add(spec => new TokenizerCodec(TextTokenizer.Load(spec)));
    }
}
