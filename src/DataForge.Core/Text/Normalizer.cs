using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace DataForge.Text;

/// <summary>Which whitespace and control cleanups <see cref="Normalizer.Clean"/> applies.</summary>
public readonly record struct CleanupRules(bool CollapseSpaces = true, int MaxBlankLines = 1, bool RemoveControls = true);

/// <summary>
/// Unicode normalisation plus whitespace, control-character and line-ending cleanup, on UTF-8.
/// The cleanup never makes text longer, so it writes into a buffer the size of its input.
/// </summary>
public static class Normalizer
{
    /// <summary>
    /// Applies NFC/NFKC (or nothing for <see cref="NormalizationForm"/> null) when the text is not
    /// already in that form. Pure ASCII is in every form and takes no work. Returns the input span
    /// itself when nothing changes.
    /// </summary>
    public static ReadOnlySpan<byte> UnicodeNormalize(ReadOnlySpan<byte> utf8, NormalizationForm? form, ref byte[]? scratch)
    {
        if (form is null || Ascii.IsValid(utf8)) return utf8;
        string s = Encoding.UTF8.GetString(utf8);
        if (s.IsNormalized(form.Value)) return utf8;
        string n = s.Normalize(form.Value);
        int max = Encoding.UTF8.GetMaxByteCount(n.Length);
        if (scratch is null || scratch.Length < max) scratch = new byte[Math.Max(max, 4096)];
        int len = Encoding.UTF8.GetBytes(n, scratch);
        return scratch.AsSpan(0, len);
    }

    /// <summary>
    /// Cleans <paramref name="input"/> into <paramref name="output"/> (at least as long as the input):
    /// CRLF, CR, NEL, U+2028 and U+2029 become '\n'; C0/C1 controls (but tab and newline), DEL, BOM,
    /// zero-width space, word joiner and soft hyphen are removed; Unicode spaces become ' '; spaces
    /// at line ends go; runs of spaces inside a line collapse to one (indentation is kept); more than
    /// <see cref="CleanupRules.MaxBlankLines"/> blank lines in a row collapse; the document is trimmed.
    /// Returns the number of bytes written.
    /// </summary>
    public static int Clean(ReadOnlySpan<byte> input, Span<byte> output, CleanupRules rules)
    {
        int o = 0;
        int pendingNewlines = 0;
        bool atLineStart = true;
        Span<byte> indent = stackalloc byte[128];
        int indentLen = 0;
        int pendingSpaces = 0; // inside a line
        int i = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            int cp;
            int len;
            if (b < 0x80) { cp = b; len = 1; }
            else
            {
                // Invalid UTF-8 (only possible from unchecked sources) is dropped: output never grows.
                if (Rune.DecodeFromUtf8(input[i..], out var r, out len) != OperationStatus.Done) { i += Math.Max(1, len); continue; }
                cp = r.Value;
            }
            // Classify.
            if (cp == '\r')
            {
                // CRLF is one newline; a lone CR is a newline.
                if (i + 1 < input.Length && input[i + 1] == (byte)'\n') { i++; continue; }
                cp = '\n';
            }
            if (cp == '\n' || cp == 0x85 || cp == 0x2028 || cp == 0x2029)
            {
                pendingNewlines++;
                atLineStart = true;
                indentLen = 0;
                pendingSpaces = 0;
                i += len;
                continue;
            }
            if (cp == ' ' || cp == '\t' || IsUnicodeSpace(cp))
            {
                byte ws = cp == '\t' ? (byte)'\t' : (byte)' ';
                if (atLineStart) { if (indentLen < indent.Length) indent[indentLen++] = ws; }
                else if (rules.CollapseSpaces) pendingSpaces = 1;
                else pendingSpaces++;
                i += len;
                continue;
            }
            if (rules.RemoveControls && IsRemovable(cp)) { i += len; continue; }

            // A visible character: emit what is pending before it.
            if (o > 0 && pendingNewlines > 0)
            {
                int n = Math.Min(pendingNewlines, rules.MaxBlankLines + 1);
                output.Slice(o, n).Fill((byte)'\n');
                o += n;
            }
            if (atLineStart)
            {
                if (o > 0) { indent[..indentLen].CopyTo(output[o..]); o += indentLen; }
            }
            else if (pendingSpaces > 0)
            {
                output.Slice(o, pendingSpaces).Fill((byte)' ');
                o += pendingSpaces;
            }
            pendingNewlines = 0;
            pendingSpaces = 0;
            indentLen = 0;
            atLineStart = false;
            input.Slice(i, len).CopyTo(output[o..]);
            o += len;
            i += len;
        }
        return o;
    }

    /// <summary>Spaces other than ' ' and tab (no-break, en/em, ideographic ...).</summary>
    public static bool IsUnicodeSpace(int cp) =>
        cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000
        || cp == 0x0B || cp == 0x0C;

    /// <summary>Controls and invisible format characters that carry no text.</summary>
    public static bool IsRemovable(int cp) =>
        cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFEFF || cp == 0x200B || cp == 0x2060 || cp == 0xAD;
}
