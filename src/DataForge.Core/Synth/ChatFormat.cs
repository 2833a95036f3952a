using System.Text;
using System.Text.Json;
using DataForge.Documents;
using DataForge.Execution;
using DataForge.Filters;
using DataForge.Pipelines;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Synth;

/// <summary>One message of a dialogue.</summary>
public readonly record struct ChatMessage(string Role, string Content);

/// <summary>
/// A chat template given as one single-turn string with <c>{system}</c> (optional), <c>{user}</c> and
/// <c>{assistant}</c>. The text after <c>{assistant}</c> is the end-of-turn marker; each turn's header is
/// the text between the previous end-of-turn and the placeholder; text before the first turn header
/// (for Llama 3, <c>&lt;|begin_of_text|&gt;</c>) is written once. Without a system message the system turn
/// is left out; dialogues repeat the user and assistant turns.
/// </summary>
public sealed class ChatTemplate
{
    public const string Llama3 = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{assistant}<|eot_id|>";

    public string Begin { get; }
    public string SystemHeader { get; }
    public string UserHeader { get; }
    public string AssistantHeader { get; }
    public string EndOfTurn { get; }

    public ChatTemplate(string template)
    {
        int s = Once(template, "{system}", required: false), u = Once(template, "{user}", true), a = Once(template, "{assistant}", true);
        if (u > a || (s >= 0 && s > u)) throw new OptionException("template", "expected the placeholders in the order {system}, {user}, {assistant}");
        EndOfTurn = template[(a + "{assistant}".Length)..];
        AssistantHeader = StripEot(template[(u + "{user}".Length)..a]);
        string p0;
        if (s >= 0)
        {
            UserHeader = StripEot(template[(s + "{system}".Length)..u]);
            p0 = template[..s];
            int split = SplitAt(p0, Opener(UserHeader, AssistantHeader));
            Begin = p0[..split];
            SystemHeader = p0[split..];
        }
        else
        {
            p0 = template[..u];
            int split = SplitAt(p0, Opener(p0, AssistantHeader, fromEnd: true));
            Begin = p0[..split];
            UserHeader = p0[split..];
            SystemHeader = "";
        }
    }

    static int Once(string t, string p, bool required)
    {
        int i = t.IndexOf(p, StringComparison.Ordinal);
        if (i < 0 && required) throw new OptionException("template", $"expected a template containing {p}");
        if (i >= 0 && t.IndexOf(p, i + 1, StringComparison.Ordinal) >= 0) throw new OptionException("template", $"expected {p} once in the template");
        return i;
    }

    string StripEot(string s) => EndOfTurn.Length > 0 && s.StartsWith(EndOfTurn, StringComparison.Ordinal) ? s[EndOfTurn.Length..] : s;

    /// <summary>The common start of two turn headers (for Llama 3, <c>&lt;|start_header_id|&gt;</c>).</summary>
    static string Opener(string a, string b, bool fromEnd = false)
    {
        if (!fromEnd)
        {
            int n = 0;
            while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
            return a[..n];
        }
        // Without a system turn: the longest prefix of the assistant header occurring in the text before {user}.
        for (int n = b.Length; n > 0; n--)
            if (a.Contains(b[..n], StringComparison.Ordinal)) return b[..n];
        return "";
    }

    static int SplitAt(string p0, string opener) => opener.Length == 0 ? 0 : Math.Max(0, p0.LastIndexOf(opener, StringComparison.Ordinal));

    /// <summary>
    /// The system message and turns of a text <see cref="Render"/> wrote, or an error saying where the text leaves the
    /// template (pure: the inverse of Render for contents that do not contain the template's markers).
    /// </summary>
    public (string? System, List<ChatMessage> Messages)? Parse(string text, out string? error)
    {
        error = null;
        int at = text.StartsWith(Begin, StringComparison.Ordinal) ? Begin.Length : 0;
        string? system = null;
        var messages = new List<ChatMessage>();
        if (EndOfTurn.Length == 0) { error = "the template has no end-of-turn text after {assistant}"; return null; }
        while (at < text.Length)
        {
            string role;
            if (SystemHeader.Length > 0 && messages.Count == 0 && system is null && text.AsSpan(at).StartsWith(SystemHeader, StringComparison.Ordinal)) { role = "system"; at += SystemHeader.Length; }
            else if (text.AsSpan(at).StartsWith(UserHeader, StringComparison.Ordinal)) { role = "user"; at += UserHeader.Length; }
            else if (text.AsSpan(at).StartsWith(AssistantHeader, StringComparison.Ordinal)) { role = "assistant"; at += AssistantHeader.Length; }
            else { error = $"expected a turn header of the chat template at character {at}"; return null; }
            int end = text.IndexOf(EndOfTurn, at, StringComparison.Ordinal);
            if (end < 0) { error = $"the {role} turn at character {at} has no end-of-turn marker"; return null; }
            if (role == "system") system = text[at..end];
            else messages.Add(new(role, text[at..end]));
            at = end + EndOfTurn.Length;
        }
        if (messages.Count == 0) { error = "no user or assistant turn"; return null; }
        return (system, messages);
    }

    public string Render(string? system, IReadOnlyList<ChatMessage> messages)
    {
        var sb = new StringBuilder(Begin);
        if (!string.IsNullOrEmpty(system) && SystemHeader.Length > 0) sb.Append(SystemHeader).Append(system).Append(EndOfTurn);
        foreach (var m in messages)
        {
            if (m.Role == "system") continue;
            sb.Append(m.Role == "assistant" ? AssistantHeader : UserHeader).Append(m.Content).Append(EndOfTurn);
        }
        return sb.ToString();
    }
}

public sealed class ChatFormatOptions
{
    [Option("Single-turn chat template with {system} (optional), {user} and {assistant}; default Llama-3-like. The text after {assistant} ends each turn.")]
    public string Template { get; init; } = ChatTemplate.Llama3;

    [Option("System message for documents that carry none (meta \"system\"); default: no system turn.")]
    public string? System { get; init; }

    [Option("Field (in meta JSON or a utf8 column) holding the instruction.")]
    public string InstructionField { get; init; } = "instruction";

    [Option("Field holding the optional input, appended to the instruction after a blank line.")]
    public string InputField { get; init; } = "input";

    [Option("Field holding the response; when absent, the document text is the response.")]
    public string OutputField { get; init; } = "output";

    [Option("Only documents from these sources are formatted; others pass through unchanged. Default: all.")]
    public List<string>? Sources { get; init; }
}

/// <summary>What chat_format reads from a document (pure): dialogue messages, instruction data or a generated prompt/response.</summary>
public static class ChatInputs
{
    /// <summary>The dialogue of a document, or null when it has no instruction data.</summary>
    public static (string? System, List<ChatMessage> Messages)? Extract(string? metaJson, Func<string, string?> column, string text, ChatFormatOptions o)
    {
        JsonElement meta = default;
        JsonDocument? doc = null;
        try
        {
            if (metaJson is not null)
            {
                try { doc = JsonDocument.Parse(metaJson); } catch (JsonException) { doc = null; }
                if (doc?.RootElement.ValueKind == JsonValueKind.Object) meta = doc.RootElement;
            }
            string? Field(string name) => meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : column(name);
            string? system = Field("system");
            if (meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("messages", out var msgs) && msgs.ValueKind == JsonValueKind.Array)
            {
                var list = new List<ChatMessage>();
                foreach (var m in msgs.EnumerateArray())
                {
                    if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || !m.TryGetProperty("content", out var c) || c.ValueKind != JsonValueKind.String) return null;
                    string role = r.GetString() ?? "";
                    if (role == "system") { system ??= c.GetString(); continue; }
                    list.Add(new(role == "assistant" ? "assistant" : "user", c.GetString()!));
                }
                return list.Count == 0 ? null : (system, list);
            }
            string? instruction = Field(o.InstructionField);
            if (!string.IsNullOrWhiteSpace(instruction))
            {
                string? input = Field(o.InputField);
                string user = string.IsNullOrWhiteSpace(input) ? instruction : instruction + "\n\n" + input;
                return (system, [new("user", user), new("assistant", Field(o.OutputField) ?? text)]);
            }
            string? prompt = Field("prompt"), response = Field("response");
            if (prompt is not null && response is not null) return (system, [new("user", prompt), new("assistant", response)]);
            return null;
        }
        finally { doc?.Dispose(); }
    }
}

/// <summary>Renders instruction data, generated items and dialogues into a chat template (the text is replaced; meta is kept).</summary>
[Stage("chat_format", StageShape.Map, "Renders instruction/input/output records, generated items (prompt/response) and dialogues (meta messages) into a chat template (Llama-3-like by default).")]
public sealed class ChatFormatStage : MapStage
{
    readonly ChatFormatOptions _o;
    readonly ChatTemplate _template;
    readonly SourceSelector _select;

    public ChatFormatStage(ChatFormatOptions options, StageInit init) : base(init)
    {
        _o = options;
        _template = new ChatTemplate(options.Template);
        _select = new SourceSelector(options.Sources);
    }

    public ChatTemplate Template => _template;

    public override DocumentBatch Process(DocumentBatch batch, StageContext context)
    {
        var text = new Utf8ColumnBuilder(batch.Length, (int)Math.Min(int.MaxValue / 2, batch.TextBytes * 2 + 1024));
        var keep = new bool[batch.Length];
        int dropped = 0;
        var columns = new Dictionary<string, Apache.Arrow.StringArray?>(StringComparer.Ordinal);
        Apache.Arrow.StringArray? Col(string name)
        {
            if (!columns.TryGetValue(name, out var c)) columns[name] = c = Columns.IsCore(name) ? null : batch.Column(name) as Apache.Arrow.StringArray;
            return c;
        }
        for (int i = 0; i < batch.Length; i++)
        {
            if (!_select.Applies(batch, i)) { text.Append(batch.GetText(i)); keep[i] = true; continue; }
            int row = i;
            var d = ChatInputs.Extract(batch.Meta.IsNull(i) ? null : batch.Meta.GetString(i),
                name => Col(name) is { } c && !c.IsNull(row) ? c.GetString(row) : null, batch.Text.GetString(i), _o);
            if (d is null)
            {
                context.Drop(batch, i, "chat_format.no_instruction");
                dropped++;
                text.Append(""u8);
                continue;
            }
            keep[i] = true;
            text.Append(_template.Render(d.Value.System ?? _o.System, d.Value.Messages));
            context.Count(d.Value.Messages.Count > 2 ? "chat_format.dialogues" : "chat_format.single_turn");
        }
        var result = batch.WithColumn(Columns.Text, text.Build());
        return dropped == 0 ? result : result.Filter(keep);
    }
}
