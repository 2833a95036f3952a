using System.Text;
using System.Text.RegularExpressions;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Filters;

/// <summary>
/// Adapter for rules defined on text as characters (the heuristics are defined in Python string
/// semantics): decodes each document once into a reusable buffer and applies the rule, which
/// returns a drop reason or null.
/// </summary>
public abstract class TextRuleStage(StageInit init) : RowRuleStage(init)
{
    [ThreadStatic] static char[]? _buffer;

    /// <summary>Decodes UTF-8 into a per-thread buffer (valid until the next call on this thread).</summary>
    public static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8)
    {
        int max = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (_buffer is null || _buffer.Length < max) _buffer = new char[Math.Max(max, 1 << 16)];
        int n = Encoding.UTF8.GetChars(utf8, _buffer);
        return _buffer.AsSpan(0, n);
    }

    /// <summary>The rule: a drop reason (<c>stage.rule</c>) or null to keep.</summary>
    protected abstract string? Check(ReadOnlySpan<char> text, DocumentBatch batch, int row, StageContext context);

    protected sealed override string? Rule(DocumentBatch batch, int row, StageContext context)
        => Check(Decode(batch.GetText(row)), batch, row, context);
}

/// <summary>
/// A regular expression supplied by a user, compiled with a match timeout so that a pathological
/// pattern on some document is a clear error instead of a hang.
/// </summary>
public sealed class UserRegex
{
    public Regex Regex { get; }
    public string Pattern { get; }
    readonly string _stage;

    public UserRegex(string pattern, string option, string stage, int timeoutMs, RegexOptions extra = RegexOptions.None)
    {
        Pattern = pattern;
        _stage = stage;
        try
        {
            Regex = new Regex(pattern, RegexOptions.CultureInvariant | extra, TimeSpan.FromMilliseconds(timeoutMs));
        }
        catch (ArgumentException ex)
        {
            throw new OptionException(option, $"invalid regular expression \"{pattern}\": {ex.Message}");
        }
    }

    /// <summary>Runs <paramref name="action"/>; a match timeout becomes an error naming stage, pattern and document.</summary>
    public T Run<T>(Func<Regex, T> action, string documentId)
    {
        try { return action(Regex); }
        catch (RegexMatchTimeoutException ex)
        {
            throw new InputException($"{_stage}: regular expression \"{Pattern}\" timed out after {ex.MatchTimeout.TotalMilliseconds:F0} ms on document '{documentId}'; simplify the pattern or raise regex_timeout_ms", ex);
        }
    }
}
