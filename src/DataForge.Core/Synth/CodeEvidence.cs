using System.Buffers;
using DataForge.Configuration;

namespace DataForge.Synth;

/// <summary>What <see cref="CodeEvidence.Analyze"/> found in a document.</summary>
public sealed record CodeFindings(float Score, string? Lang, int FencedBlocks, int CodeLines, int LongestRun, double KeywordDensity);

/// <summary>
/// Evidence that a document contains program code (pure rules): fenced blocks, the shape of lines
/// (statement endings, braces, assignment and arrow operators, calls, indentation under a code
/// line), keyword density per language, and the URL's domain. The evidence is combined into a score
/// in 0..1 with a fixed logistic; 0.5 is the default "contains code" threshold.
/// </summary>
public sealed class CodeEvidence
{
    public static readonly string[] Languages = ["python", "c", "cpp", "csharp", "java", "javascript", "typescript", "go", "rust", "sql", "shell"];

    /// <summary>Distinctive keywords and identifiers per language (words common in English prose are left out).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> DefaultKeywords = new Dictionary<string, string[]>
    {
        ["python"] = ["def", "elif", "self", "None", "True", "False", "lambda", "__init__", "__name__", "print", "import", "range", "len", "append", "yield", "kwargs", "args", "isinstance", "except", "nonlocal"],
        ["c"] = ["include", "printf", "scanf", "malloc", "free", "sizeof", "struct", "typedef", "size_t", "char", "int", "void", "unsigned", "NULL", "stdio", "stdlib", "strlen", "isspace"],
        ["cpp"] = ["std", "cout", "cin", "endl", "template", "typename", "vector", "nullptr", "namespace", "auto", "const_cast", "unique_ptr", "shared_ptr", "iostream"],
        ["csharp"] = ["namespace", "using", "var", "Console", "WriteLine", "async", "await", "Task", "string", "public", "static", "readonly", "foreach", "LINQ", "Select", "Where", "ToList", "StreamReader"],
        ["java"] = ["public", "private", "protected", "static", "void", "extends", "implements", "System", "println", "String", "ArrayList", "HashMap", "Override", "synchronized", "Collectors", "stream"],
        ["javascript"] = ["const", "let", "var", "function", "console", "log", "undefined", "null", "async", "await", "document", "querySelector", "addEventListener", "fetch", "then", "JSON", "setTimeout", "require", "exports"],
        ["typescript"] = ["interface", "number", "string", "boolean", "Promise", "export", "readonly", "keyof", "unknown", "any", "type"],
        ["go"] = ["func", "package", "defer", "chan", "fmt", "Println", "Printf", "err", "nil", "goroutine", "struct", "bufio", "make", "range"],
        ["rust"] = ["fn", "let", "mut", "impl", "pub", "Some", "None", "Option", "Result", "Ok", "Err", "match", "usize", "i32", "u8", "Vec", "HashMap", "unwrap", "crate", "trait"],
        ["sql"] = ["SELECT", "FROM", "WHERE", "JOIN", "GROUP", "ORDER", "INSERT", "INTO", "VALUES", "UPDATE", "DELETE", "CREATE", "TABLE", "PRIMARY", "KEY", "COUNT", "LEFT", "INNER", "HAVING"],
        ["shell"] = ["echo", "sudo", "grep", "done", "fi", "esac", "export", "chmod", "mkdir", "cd", "ls", "curl", "wget", "apt", "pip", "npm", "git", "docker", "gzip", "tar", "bash"],
    };

    public static readonly string[] DefaultDomains = ["github.com", "gist.github.com", "gitlab.com", "stackoverflow.com", "stackexchange.com", "developer.mozilla.org", "docs.*", "dev.to", "pypi.org", "npmjs.com", "crates.io", "learn.microsoft.com", "go.dev", "rust-lang.org"];

    static readonly string[] LineStartWords = ["def ", "class ", "import ", "from ", "return", "raise ", "elif ", "else:", "try:", "except", "finally:", "with ", "yield ",
        "func ", "fn ", "let ", "const ", "var ", "public ", "private ", "protected ", "static ", "#include", "#define", "using ", "package ", "namespace ",
        "if (", "for (", "while (", "switch (", "} else", "else {", "foreach (", "try {", "catch (", "impl ", "pub ", "use ", "struct ", "enum ", "template",
        "SELECT ", "FROM ", "WHERE ", "GROUP BY", "ORDER BY", "LEFT JOIN", "INNER JOIN", "JOIN ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "VALUES",
        "$ ", "#!/", "//", "/*", "*/", "<?php", "export ", "async ", "await ", "print(", "console.", "echo ", "sudo ", "done", "fi", "do", "then", "defer ", "go func"];

    static readonly string[] Operators = ["==", "!=", "=>", "->", ":=", "&&", "||", "++", "+=", "-=", "::", "();", "){", ") {", "</", "/>", "<-", "**=", "//=", "!==", "===", "[]", "{}", "\\n"];

    static readonly SearchValues<char> CodeSymbols = SearchValues.Create("{}[]();=<>_*&|$#\\`");

    readonly Dictionary<string, int> _keywordLangs = new(StringComparer.Ordinal);
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    readonly string[] _domains;

    public CodeEvidence(IReadOnlyDictionary<string, string[]>? keywords = null, IReadOnlyList<string>? domains = null)
    {
        foreach (var (lang, words) in keywords ?? DefaultKeywords)
        {
            int bit = Array.IndexOf(Languages, lang);
            if (bit < 0) throw new ArgumentException($"unknown language '{lang}'");
            foreach (var w in words) _keywordLangs[w] = _keywordLangs.GetValueOrDefault(w) | (1 << bit);
        }
        _lookup = _keywordLangs.GetAlternateLookup<ReadOnlySpan<char>>();
        _domains = [.. domains ?? DefaultDomains];
    }

    /// <summary>Reads a keywords file: one language per line, <c>lang: word word ...</c> (# comments).</summary>
    public static Dictionary<string, string[]> LoadKeywords(string path, string option)
    {
        if (!File.Exists(path)) throw new OptionException(option, $"file not found: {path}");
        var d = new Dictionary<string, string[]>(StringComparer.Ordinal);
        int n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string lang = colon < 0 ? "" : line[..colon].Trim();
            if (Array.IndexOf(Languages, lang) < 0)
                throw new OptionException(option, $"{path}:{n}: expected 'language: keyword keyword ...' with language one of {string.Join(", ", Languages)}");
            d[lang] = line[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        }
        return d;
    }

    /// <summary>True when the URL's host is one of the code domains (exact, a subdomain, or a <c>docs.*</c>-style prefix).</summary>
    public bool IsCodeDomain(ReadOnlySpan<char> url)
    {
        int s = url.IndexOf("://", StringComparison.Ordinal);
        var host = s >= 0 ? url[(s + 3)..] : url;
        int e = host.IndexOfAny('/', ':', '?');
        if (e >= 0) host = host[..e];
        if (host.StartsWith("www.", StringComparison.OrdinalIgnoreCase)) host = host[4..];
        foreach (var d in _domains)
        {
            if (d.EndsWith(".*", StringComparison.Ordinal))
            {
                if (host.StartsWith(d.AsSpan(0, d.Length - 1), StringComparison.OrdinalIgnoreCase)) return true;
            }
            else if (host.Equals(d, StringComparison.OrdinalIgnoreCase) || (host.EndsWith(d, StringComparison.OrdinalIgnoreCase) && host.Length > d.Length && host[host.Length - d.Length - 1] == '.'))
                return true;
        }
        return false;
    }

    /// <summary>Does this line (without its newline) look like a line of code?</summary>
    public static bool IsCodeLine(ReadOnlySpan<char> raw)
    {
        var line = raw.Trim();
        if (line.Length == 0) return false;
        if (line is "}" or "};" or "});" or "})" or ")" or ");" or "]" or "{" or "end" or "fi" or "done" or "esac") return true;
        int words = 1;
        foreach (char c in line) if (c == ' ') words++;
        bool sentenceEnd = line[^1] is '.' or '?' or '!' && !line.EndsWith("...", StringComparison.Ordinal);
        if (words > 16 && !line.Contains("=>", StringComparison.Ordinal)) return false;
        foreach (var w in LineStartWords)
        {
            if (!line.StartsWith(w, StringComparison.Ordinal)) continue;
            // "do you ..." or "fix" are not keywords; "From the ..." style prose needs a code-ish line.
            if (char.IsLetter(w[^1]) && line.Length > w.Length && char.IsLetter(line[w.Length])) break;
            if (sentenceEnd && words > 4) break;
            return true;
        }
        // Every test below needs a line that does not end like a sentence.
        if (sentenceEnd) return false;
        char last = line[^1];
        if (last is ';' or '{' && words <= 14) return true;
        if (words <= 12)
        {
            // Shell: "for f in *.log; do", "$var" / "${var}" / "$(cmd)", and commands with -flags.
            if (line.EndsWith("; do", StringComparison.Ordinal) || line.EndsWith("; then", StringComparison.Ordinal)) return true;
            int dollar = line.IndexOf('$');
            if (dollar >= 0 && dollar + 1 < line.Length && (char.IsAsciiLetter(line[dollar + 1]) || line[dollar + 1] is '{' or '(')) return true;
            if (char.IsAsciiLetterLower(line[0]) && words >= 2 && HasFlag(line)) return true;
        }
        if (last == ':' && words <= 8 && line.Contains('(')) return true;
        foreach (var op in Operators)
            if (line.Contains(op, StringComparison.Ordinal)) return true;
        // A call or an assignment on a line of its own: name(...) or name = value.
        int i = 0;
        while (i < line.Length && (char.IsLetterOrDigit(line[i]) || line[i] is '_' or '.' or '[' or ']' or '\'' or '"')) i++;
        if (i > 0 && i < line.Length)
        {
            var rest = line[i..].TrimStart();
            if (rest.Length > 0 && rest[0] == '(' && last is ')' or ';' or ',' or '(') return true;
            if (rest.Length > 1 && ((rest[0] == '=' && rest[1] != '=') || (rest[0] is '+' or '-' or '*' or '/' && rest[1] == '=')) && words <= 12) return true;
        }
        // Dense symbols: at least one in six characters.
        int sym = 0;
        foreach (char c in line) if (CodeSymbols.Contains(c)) sym++;
        return line.Length >= 6 && sym * 6 >= line.Length;
    }

    static bool HasFlag(ReadOnlySpan<char> line)
    {
        for (int i = 1; i + 1 < line.Length; i++)
            if (line[i] == '-' && line[i - 1] == ' ' && (char.IsAsciiLetter(line[i + 1]) || line[i + 1] == '-')) return true;
        return false;
    }

    /// <summary>Scores a document; <paramref name="url"/> may be empty.</summary>
    public CodeFindings Analyze(ReadOnlySpan<char> text, ReadOnlySpan<char> url)
    {
        int nonEmpty = 0, codeLines = 0, run = 0, longest = 0, fenced = 0, tokens = 0;
        bool inFence = false;
        string? fenceLang = null;
        Span<int> langHits = stackalloc int[Languages.Length];
        double keywordHits = 0;
        int blankRun = 0;
        foreach (var lineRange in text.Split('\n'))
        {
            var line = text[lineRange];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                if (!inFence)
                {
                    inFence = true;
                    var info = trimmed[3..].Trim();
                    fenceLang ??= info.Length > 0 ? NormalizeLang(info) : null;
                }
                else { inFence = false; fenced++; }
                continue;
            }
            if (line.IsWhiteSpace())
            {
                if (++blankRun > 1) run = 0;
                continue;
            }
            blankRun = 0;
            nonEmpty++;
            bool code = inFence || IsCodeLine(line);
            // Tokens and keywords.
            int lineTokens = 0;
            for (int i = 0; i < line.Length;)
            {
                if (char.IsLetter(line[i]) || line[i] == '_')
                {
                    int s = i;
                    while (i < line.Length && (char.IsLetterOrDigit(line[i]) || line[i] == '_')) i++;
                    lineTokens++;
                    if (_lookup.TryGetValue(line[s..i], out int mask))
                    {
                        keywordHits += code ? 1 : 0.25;
                        if (code) for (int b = 0; b < Languages.Length; b++) if ((mask & (1 << b)) != 0) langHits[b]++;
                    }
                }
                else i++;
            }
            tokens += lineTokens;
            if (code)
            {
                codeLines++;
                run++;
                if (run > longest) longest = run;
            }
            else run = 0;
        }
        if (inFence) fenced++;
        double codeFraction = nonEmpty == 0 ? 0 : (double)codeLines / nonEmpty;
        double density = tokens == 0 ? 0 : keywordHits / tokens;
        bool domain = url.Length > 0 && IsCodeDomain(url);
        double z = -5.0
            + (fenced > 0 ? 3.0 : 0)
            + 1.1 * Math.Min(longest, 5)
            + 2.5 * codeFraction
            + 12.0 * Math.Min(density, 0.2)
            + (domain ? 1.0 : 0);
        float score = (float)(1 / (1 + Math.Exp(-z)));
        string? lang = fenceLang;
        if (lang is null)
        {
            int best = -1, bestHits = 0;
            for (int b = 0; b < Languages.Length; b++) if (langHits[b] > bestHits) { bestHits = langHits[b]; best = b; }
            if (best >= 0 && bestHits >= 2) lang = Languages[best];
        }
        return new CodeFindings(score, score >= 0.5 || codeLines > 0 ? lang : null, fenced, codeLines, longest, density);
    }

    /// <summary>A fence info word as the language name code_score reports (py -> python, c++ -> cpp ...).</summary>
    internal static string NormalizeLang(ReadOnlySpan<char> info) => info.ToString().ToLowerInvariant() switch
    {
        "py" or "python" or "python3" => "python",
        "js" or "javascript" or "jsx" or "node" => "javascript",
        "ts" or "typescript" or "tsx" => "typescript",
        "c#" or "cs" or "csharp" => "csharp",
        "c++" or "cpp" or "cc" or "cxx" => "cpp",
        "sh" or "bash" or "shell" or "console" or "zsh" => "shell",
        "golang" or "go" => "go",
        "rs" or "rust" => "rust",
        var s => s,
    };
}
