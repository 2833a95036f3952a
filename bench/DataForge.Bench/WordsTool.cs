using System.Text;
using System.Text.Json;
using DataForge.Text;

namespace DataForge.Bench;

/// <summary>
/// The English word tokenizer on texts from standard input, one JSON string (or object with a "text"
/// field) per line: writes each text's words as a JSON array, or with --sentences its sentence count.
/// For comparing the tokenizer with a reference outside .NET (bench/tokenizer-fidelity.sh).
/// </summary>
public static class WordsTool
{
    public static int Run(string[] args)
    {
        bool sentences = args.Contains("--sentences");
        using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        var scratch = new List<Range>();
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        int lineNo = 0;
        string? line;
        while ((line = input.ReadLine()) != null)
        {
            lineNo++;
            string text;
            using (var doc = JsonDocument.Parse(line))
            {
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.String) text = root.GetString()!;
                else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) text = t.GetString()!;
                else { Console.Error.WriteLine($"stdin line {lineNo}: expected a JSON string or an object with a string \"text\""); return 1; }
            }
            if (sentences) output.WriteLine(WordTokenizer.CountSentences(text, scratch));
            else output.WriteLine(JsonSerializer.Serialize(WordTokenizer.Tokenize(text), options));
        }
        return 0;
    }
}
