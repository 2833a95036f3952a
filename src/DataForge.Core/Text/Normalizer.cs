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
        if (form is null || IsStable(utf8, form.Value)) return utf8;
        string s = Encoding.UTF8.GetString(utf8);
        if (s.IsNormalized(form.Value)) return utf8;
        string n = s.Normalize(form.Value);
        int max = Encoding.UTF8.GetMaxByteCount(n.Length);
        if (scratch is null || scratch.Length < max) scratch = new byte[Math.Max(max, 4096)];
        int len = Encoding.UTF8.GetBytes(n, scratch);
        return scratch.AsSpan(0, len);
    }

    /// <summary>
    /// A quick check on UTF-8: true when every character is one that the form neither changes nor
    /// combines with a neighbour, so the text is already normalised. Covers ASCII, and for NFC also
    /// Latin-1 and Latin Extended letters, general punctuation, currency signs, kana and CJK
    /// ideographs: the common case of web text, which then skips the costly UTF-16 round trip.
    /// </summary>
    public static bool IsStable(ReadOnlySpan<byte> utf8, NormalizationForm form)
    {
        bool nfc = form == NormalizationForm.FormC;
        int i = 0;
        while (true)
        {
            int next = utf8[i..].IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
            if (next < 0) return true;
            i += next;
            if (Rune.DecodeFromUtf8(utf8[i..], out var r, out int len) != OperationStatus.Done) return false;
            int cp = r.Value;
            bool stable = nfc
                ? cp < 0x0300
                  || (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205E) || (cp >= 0x20A0 && cp <= 0x20BF)
                  || (cp >= 0x3000 && cp <= 0x3098) || (cp >= 0x309B && cp <= 0x30FF)
                  || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xFF01 && cp <= 0xFFEF)
                : cp < 0x00A0 || (cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0x4E00 && cp <= 0x9FFF);
            if (!stable) return false;
            i += len;
        }
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
        => Clean(input, output, rules, out _);

    /// <summary>As <see cref="Clean(ReadOnlySpan{byte}, Span{byte}, CleanupRules)"/>, also telling whether the text changed.</summary>
    public static int Clean(ReadOnlySpan<byte> input, Span<byte> output, CleanupRules rules, out bool changed)
    {
        // Every rule but one-byte whitespace replaced by ' ' shortens the text, so a change is
        // visible in the length, except for those replacements, which are flagged here.
        bool sameLengthChange = false;
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
            if (b >= 0x20 && b < 0x7F)
            {
                // Printable ASCII up to the next control, newline or non-ASCII byte: handled in bulk.
                int end = input[i..].IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
                end = end < 0 ? input.Length : i + end;
                o = AsciiSegment(input[i..end], output, o, ref pendingNewlines, ref pendingSpaces, ref atLineStart, indent, ref indentLen, rules);
                i = end;
                continue;
            }
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
                sameLengthChange = true;
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
                if (cp is 0x0B or 0x0C || (cp == '\t' && !atLineStart)) sameLengthChange = true;
                if (atLineStart) { if (indentLen < indent.Length) indent[indentLen++] = ws; }
                else if (rules.CollapseSpaces) pendingSpaces = 1;
                else pendingSpaces++;
                i += len;
                continue;
            }
            if (rules.RemoveControls && IsRemovable(cp)) { i += len; continue; }

            // A visible character: emit what is pending before it.
            o = EmitPending(output, o, ref pendingNewlines, ref pendingSpaces, ref atLineStart, indent, ref indentLen, rules);
            input.Slice(i, len).CopyTo(output[o..]);
            o += len;
            i += len;
        }
        changed = sameLengthChange || o != input.Length;
        return o;
    }

    /// <summary>
    /// A run of printable ASCII (spaces included): leading spaces become indentation or a pending
    /// space, trailing spaces become pending (dropped at a line end), and the middle is copied at
    /// once unless it holds a run of spaces to collapse.
    /// </summary>
    static int AsciiSegment(ReadOnlySpan<byte> seg, Span<byte> output, int o, ref int pendingNewlines, ref int pendingSpaces,
        ref bool atLineStart, Span<byte> indent, ref int indentLen, CleanupRules rules)
    {
        int s = 0;
        while (s < seg.Length && seg[s] == (byte)' ')
        {
            if (atLineStart) { if (indentLen < indent.Length) indent[indentLen++] = (byte)' '; }
            else if (rules.CollapseSpaces) pendingSpaces = 1;
            else pendingSpaces++;
            s++;
        }
        if (s == seg.Length) return o;
        int e = seg.Length;
        while (seg[e - 1] == (byte)' ') e--;
        var core = seg[s..e];
        o = EmitPending(output, o, ref pendingNewlines, ref pendingSpaces, ref atLineStart, indent, ref indentLen, rules);
        if (!rules.CollapseSpaces || core.IndexOf("  "u8) < 0)
        {
            core.CopyTo(output[o..]);
            o += core.Length;
        }
        else
        {
            for (int k = 0; k < core.Length; k++)
            {
                if (core[k] == (byte)' ' && core[k - 1] == (byte)' ') continue;
                output[o++] = core[k];
            }
        }
        int trailing = seg.Length - e;
        if (trailing > 0) pendingSpaces = rules.CollapseSpaces ? 1 : trailing;
        return o;
    }

    /// <summary>Writes the newlines, indentation or single space that precede a visible character.</summary>
    static int EmitPending(Span<byte> output, int o, ref int pendingNewlines, ref int pendingSpaces, ref bool atLineStart,
        Span<byte> indent, ref int indentLen, CleanupRules rules)
    {
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
