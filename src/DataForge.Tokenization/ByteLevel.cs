using System.Text.RegularExpressions;

namespace DataForge.Tokenization;

/// <summary>
/// GPT-2's reversible byte -&gt; printable character table (the form byte-level tokens take in
/// <c>vocab.json</c> and <c>merges.txt</c>), and the pre-tokenisation pattern of DataForge's BPE.
/// </summary>
public static class ByteLevel
{
    static readonly char[] ByteToChar = BuildTable();
    static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    static char[] BuildTable()
    {
        var t = new char[256];
        var printable = new bool[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) t[b] = printable[b] ? (char)b : (char)(256 + n++);
        return t;
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a vocab.json token stands for; null when it is not a byte-level token.</summary>
    public static byte[]? Decode(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out byte b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }

    /// <summary>GPT-4's (cl100k) pre-tokenisation pattern.</summary>
    public const string Gpt4Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// GPT-4's pattern made friendlier to Chinese: runs of CJK ideographs are pre-tokens of their own
    /// (not glued to adjacent Latin letters, as in "使用Python编程"), at most 16 characters long so
    /// that unsegmented sentences do not become one giant, unique "word".
    /// </summary>
    public const string DefaultPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}-[\p{IsCJKUnifiedIdeographs}\p{IsCJKUnifiedIdeographsExtensionA}\p{IsCJKCompatibilityIdeographs}]]+"
        + @"|[^\r\n\p{L}\p{N}]?[\p{IsCJKUnifiedIdeographs}\p{IsCJKUnifiedIdeographsExtensionA}\p{IsCJKCompatibilityIdeographs}]{1,16}"
        + @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// <see cref="DefaultPattern"/> in a syntax both .NET and Oniguruma (Hugging Face tokenizers) read: the CJK blocks as
    /// code point ranges and "a letter that is not CJK" as a negative lookahead instead of .NET's class subtraction.
    /// It splits every text as <see cref="DefaultPattern"/> does.
    /// </summary>
    public const string DefaultPatternPortable =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?(?:(?![\u4E00-\u9FFF\u3400-\u4DBF\uF900-\uFAFF])\p{L})+"
        + @"|[^\r\n\p{L}\p{N}]?[\u4E00-\u9FFF\u3400-\u4DBF\uF900-\uFAFF]{1,16}"
        + @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The pattern as other tools' regex engines read it (<see cref="DefaultPatternPortable"/> for the default pattern).</summary>
    public static string Portable(string pattern) => pattern == DefaultPattern ? DefaultPatternPortable : pattern;

    public static Regex Compile(string pattern) => new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
}
