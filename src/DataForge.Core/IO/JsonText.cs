using System.Buffers;

namespace DataForge.IO;

/// <summary>
/// JSON string escaping for the writers' hot path: runs of plain bytes are found with a vectorised
/// search and copied whole; only '"', '\\' and control characters are escaped. Non-ASCII UTF-8 is
/// written as is (valid JSON, readable Chinese), like UnsafeRelaxedJsonEscaping.
/// </summary>
public static class JsonText
{
    static readonly SearchValues<byte> NeedsEscape = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    /// <summary>Writes <paramref name="utf8"/> as a quoted JSON string.</summary>
    public static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8)
    {
        // Worst case every byte becomes \u00XX (6 bytes), plus quotes.
        var dest = output.GetSpan(utf8.Length + 2 + Math.Min(utf8.Length * 5, 64));
        int o = 0;
        dest[o++] = (byte)'"';
        while (true)
        {
            int k = utf8.IndexOfAny(NeedsEscape);
            int run = k < 0 ? utf8.Length : k;
            if (dest.Length - o < run + 8)
            {
                output.Advance(o);
                dest = output.GetSpan(run + 8 + Math.Min((utf8.Length - run) * 6, 1 << 16));
                o = 0;
            }
            utf8[..run].CopyTo(dest[o..]);
            o += run;
            if (k < 0) break;
            byte b = utf8[k];
            dest[o++] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': dest[o++] = (byte)'"'; break;
                case (byte)'\\': dest[o++] = (byte)'\\'; break;
                case (byte)'\n': dest[o++] = (byte)'n'; break;
                case (byte)'\r': dest[o++] = (byte)'r'; break;
                case (byte)'\t': dest[o++] = (byte)'t'; break;
                case (byte)'\b': dest[o++] = (byte)'b'; break;
                case (byte)'\f': dest[o++] = (byte)'f'; break;
                default:
                    dest[o++] = (byte)'u';
                    dest[o++] = (byte)'0';
                    dest[o++] = (byte)'0';
                    dest[o++] = Hex(b >> 4);
                    dest[o++] = Hex(b & 0xF);
                    break;
            }
            utf8 = utf8[(k + 1)..];
        }
        if (dest.Length - o < 1) { output.Advance(o); dest = output.GetSpan(1); o = 0; }
        dest[o++] = (byte)'"';
        output.Advance(o);
    }

    static byte Hex(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);
}
