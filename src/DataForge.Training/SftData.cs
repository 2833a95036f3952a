using System.Text.Json;
using DataForge.Determinism;
using DataForge.Execution;
using DataForge.Synth;

namespace DataForge.Training;

/// <summary>One conversation: an optional system message and user and assistant turns in order.</summary>
public sealed record Conversation(string? System, IReadOnlyList<ChatMessage> Messages);

/// <summary>A tokenised conversation: its ids and, per id, whether the loss trains on it (the assistant's tokens).</summary>
public sealed record ChatTokens(int[] Ids, bool[] Train);

/// <summary>
/// Turns conversations into token ids with a chat template. The template's markers are text to a tokenizer trained
/// without them (special-token text is encoded as ordinary text), except two that become the end-of-text id the model
/// already knows from pretraining, where it separates documents: the text before the first turn header (for Llama 3,
/// &lt;|begin_of_text|&gt;) and the end-of-turn marker (&lt;|eot_id|&gt;). So generation stops at the end of the reply as it
/// stops at the end of a document. The loss trains on the assistant's content and the end-of-turn that closes it.
/// </summary>
public sealed class ChatEncoder(ITextCodec codec, ChatTemplate template, int endOfText)
{
    public ChatTemplate Template { get; } = template;
    public int EndOfTurn { get; } = endOfText;

    public ChatTokens Encode(Conversation c)
    {
        var ids = new List<int>();
        var train = new List<bool>();
        void Add(IEnumerable<int> tokens, bool trained)
        {
            foreach (int t in tokens) { ids.Add(t); train.Add(trained); }
        }
        Add(Opening(c.System), false);
        foreach (var m in c.Messages)
        {
            bool assistant = m.Role == "assistant";
            Add(codec.Encode(assistant ? Template.AssistantHeader : Template.UserHeader), false);
            Add(codec.Encode(m.Content), assistant);
            Add([EndOfTurn], assistant);
        }
        return new ChatTokens([.. ids], [.. train]);
    }

    /// <summary>The prompt for the assistant's next turn: the conversation so far and the assistant header.</summary>
    public int[] Prompt(Conversation c) => [.. Encode(c).Ids, .. codec.Encode(Template.AssistantHeader)];

    List<int> Opening(string? system)
    {
        var ids = new List<int>();
        if (Template.Begin.Length > 0) ids.Add(EndOfTurn);
        if (!string.IsNullOrEmpty(system) && Template.SystemHeader.Length > 0)
        {
            ids.AddRange(codec.Encode(Template.SystemHeader));
            ids.AddRange(codec.Encode(system));
            ids.Add(EndOfTurn);
        }
        return ids;
    }
}

/// <summary>
/// A context window of supervised fine-tuning: inputs and targets (<see cref="GptModel.IgnoreTarget"/> where the loss
/// does not train), RoPE positions and the conversation each position belongs to.
/// </summary>
public sealed record SftWindow(long[] Input, long[] Target, long[] Position, int[] Segment)
{
    public int TrainedTargets => Target.Count(t => t != GptModel.IgnoreTarget);
}

/// <summary>Reading, tokenising and packing chat data (pure functions apart from reading the files).</summary>
public static class SftData
{
    /// <summary>
    /// Conversations of a JSON Lines file: "messages" ([{role, content}], system/user/assistant), Alpaca records
    /// (instruction, optional input, output), prompt/response items, or "text" rendered in the chat template (what
    /// chat_format writes); an optional "system" field. Each conversation must end with an assistant turn.
    /// </summary>
    public static List<Conversation> Read(string path, ChatTemplate template, string? defaultSystem)
    {
        if (!File.Exists(path)) throw new InputException(path, "not found (expected a JSON Lines file of conversations)");
        var result = new List<Conversation>();
        var fields = new ChatFormatOptions();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNo}";
            JsonElement root;
            try { using var doc = JsonDocument.Parse(line); root = doc.RootElement.Clone(); }
            catch (JsonException ex) { throw new InputException(where, $"not a JSON object: {ex.Message}", ex); }
            if (root.ValueKind != JsonValueKind.Object) throw new InputException(where, "expected a JSON object per line");
            (string? System, List<ChatMessage> Messages)? parsed;
            if (root.TryGetProperty("messages", out _) || root.TryGetProperty("instruction", out _) || root.TryGetProperty("prompt", out _))
            {
                if (root.TryGetProperty("instruction", out _) && !root.TryGetProperty(fields.OutputField, out _))
                    throw new InputException(where, "an Alpaca record needs \"output\" (the assistant's reply)");
                parsed = ChatInputs.Extract(line, _ => null, "", fields)
                    ?? throw new InputException(where, "expected \"messages\" as [{\"role\": ..., \"content\": \"...\"}], or \"instruction\" and \"output\" strings");
            }
            else if (root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                parsed = template.Parse(text.GetString()!, out var error) ?? throw new InputException(where, $"\"text\" is not a conversation in the chat template: {error}");
                if (parsed.Value.System is null && root.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String)
                    parsed = (sys.GetString(), parsed.Value.Messages);
            }
            else throw new InputException(where, "expected \"messages\", Alpaca \"instruction\"/\"output\", or chat-template \"text\"");
            var (system, messages) = parsed.Value;
            if (messages[^1].Role != "assistant") throw new InputException(where, "the conversation must end with an assistant turn (nothing to train on otherwise)");
            result.Add(new Conversation(system ?? defaultSystem, messages));
        }
        return result;
    }

    /// <summary>
    /// Splits off about <paramref name="fraction"/> of the conversations (at least one when there are two or more and the
    /// fraction is positive), chosen by the seed; both parts keep the file order.
    /// </summary>
    public static (List<Conversation> Train, List<Conversation> Val) HoldOut(IReadOnlyList<Conversation> all, double fraction, long seed)
    {
        int n = all.Count;
        int k = fraction <= 0 || n < 2 ? 0 : Math.Clamp((int)Math.Round(n * fraction), 1, n - 1);
        var held = Enumerable.Range(0, n).OrderBy(i => Seeds.DeriveForIndex((ulong)seed, (ulong)i)).ThenBy(i => i).Take(k).ToHashSet();
        return ([.. all.Where((_, i) => !held.Contains(i))], [.. all.Where((_, i) => held.Contains(i))]);
    }

    /// <summary>
    /// Context windows of <paramref name="context"/> positions. A conversation of n tokens gives n - 1 (input, target)
    /// pairs, cut to the first <paramref name="context"/> when longer (counted in <paramref name="truncated"/>). With
    /// <paramref name="pack"/>, conversations fill windows in order while they fit; otherwise one per window. Positions
    /// restart at 0 for each conversation; the rest of a window is padding (input <paramref name="pad"/>, no target)
    /// with a segment of its own.
    /// </summary>
    public static List<SftWindow> Pack(IReadOnlyList<ChatTokens> conversations, int context, bool pack, int pad, out int truncated)
    {
        truncated = 0;
        var windows = new List<SftWindow>();
        var input = new List<long>();
        var target = new List<long>();
        var position = new List<long>();
        var segment = new List<int>();
        int segments = 0;
        void Flush()
        {
            if (input.Count == 0) return;
            for (int p = 0; input.Count < context; p++)
            {
                input.Add(pad); target.Add(GptModel.IgnoreTarget); position.Add(p); segment.Add(segments);
            }
            windows.Add(new SftWindow([.. input], [.. target], [.. position], [.. segment]));
            input.Clear(); target.Clear(); position.Clear(); segment.Clear();
            segments = 0;
        }
        foreach (var c in conversations)
        {
            int n = c.Ids.Length - 1;
            if (n < 1) continue;
            if (n > context) { n = context; truncated++; }
            if (!pack || input.Count + n > context) Flush();
            for (int i = 0; i < n; i++)
            {
                input.Add(c.Ids[i]);
                target.Add(c.Train[i + 1] ? c.Ids[i + 1] : GptModel.IgnoreTarget);
                position.Add(i);
                segment.Add(segments);
            }
            segments++;
        }
        Flush();
        return windows;
    }

    /// <summary>
    /// The attention mask [B, 1, T, T] of a batch of windows: a position sees the positions up to itself in its own
    /// conversation (block-diagonal causal attention).
    /// </summary>
    public static bool[] BlockCausalMask(IReadOnlyList<SftWindow> batch, int context)
    {
        var mask = new bool[batch.Count * context * context];
        for (int b = 0; b < batch.Count; b++)
        {
            var seg = batch[b].Segment;
            int offset = b * context * context;
            for (int i = 0; i < context; i++)
                for (int j = 0; j <= i; j++)
                    mask[offset + i * context + j] = seg[i] == seg[j];
        }
        return mask;
    }

    /// <summary>The order of windows in an epoch, chosen by the seed.</summary>
    public static int[] EpochOrder(int windows, long seed, int epoch) =>
        [.. Enumerable.Range(0, windows).OrderBy(i => Seeds.DeriveChained((ulong)seed, (ulong)epoch, (ulong)i)).ThenBy(i => i)];
}
