namespace DataForge.Synth;

/// <summary>
/// Aho-Corasick automaton over UTF-16 code units: finds every occurrence of every pattern in one
/// pass. Transitions live in one hash table keyed by (state, char); failure and dictionary-suffix
/// links give all matches ending at each position.
/// </summary>
public sealed class AhoCorasick
{
    readonly Dictionary<long, int> _next = [];
    readonly List<int> _fail = [0];
    readonly List<int> _output = [-1];     // pattern ending at this state, or -1
    readonly List<int> _dictLink = [0];    // nearest proper suffix state that ends a pattern (0 = none)
    readonly List<int> _depth = [0];
    readonly bool[] _first = new bool[char.MaxValue + 1];

    public IReadOnlyList<string> Patterns { get; }

    public AhoCorasick(IReadOnlyList<string> patterns)
    {
        Patterns = patterns;
        for (int p = 0; p < patterns.Count; p++)
        {
            string s = patterns[p];
            if (s.Length == 0) throw new ArgumentException("empty pattern");
            _first[s[0]] = true;
            int state = 0;
            foreach (char c in s)
            {
                long key = Key(state, c);
                if (!_next.TryGetValue(key, out int n))
                {
                    n = _fail.Count;
                    _fail.Add(0);
                    _output.Add(-1);
                    _dictLink.Add(0);
                    _depth.Add(_depth[state] + 1);
                    _next[key] = n;
                }
                state = n;
            }
            if (_output[state] < 0) _output[state] = p;
        }
        BuildLinks();
    }

    static long Key(int state, char c) => ((long)state << 16) | c;

    void BuildLinks()
    {
        // Children per state, for a breadth-first pass.
        var children = new List<(char C, int S)>[_fail.Count];
        foreach (var (key, s) in _next)
        {
            int parent = (int)(key >> 16);
            (children[parent] ??= []).Add(((char)(key & 0xFFFF), s));
        }
        var queue = new Queue<int>();
        if (children[0] is { } rootKids) foreach (var (_, s) in rootKids) queue.Enqueue(s);
        while (queue.Count > 0)
        {
            int r = queue.Dequeue();
            if (children[r] is null) continue;
            foreach (var (c, s) in children[r])
            {
                queue.Enqueue(s);
                int f = _fail[r];
                int target;
                while (true)
                {
                    if (_next.TryGetValue(Key(f, c), out target) && target != s) break;
                    if (f == 0) { target = 0; break; }
                    f = _fail[f];
                }
                _fail[s] = target;
                _dictLink[s] = _output[target] >= 0 ? target : _dictLink[target];
            }
        }
    }

    int Step(int state, char c)
    {
        while (true)
        {
            if (_next.TryGetValue(Key(state, c), out int n)) return n;
            if (state == 0) return 0;
            state = _fail[state];
        }
    }

    /// <summary>Every occurrence: (start index, pattern index), ordered by end position then longest first.</summary>
    public void FindAll(ReadOnlySpan<char> text, List<(int Start, int Pattern)> matches)
    {
        int state = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (state == 0 && !_first[c]) continue;
            state = Step(state, c);
            for (int s = _output[state] >= 0 ? state : _dictLink[state]; s != 0; s = _dictLink[s])
                matches.Add((i + 1 - _depth[s], _output[s]));
        }
    }

    /// <summary>Number of occurrences (for benchmarks).</summary>
    public int Count(ReadOnlySpan<char> text)
    {
        int state = 0, n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (state == 0 && !_first[c]) continue;
            state = Step(state, c);
            for (int s = _output[state] >= 0 ? state : _dictLink[state]; s != 0; s = _dictLink[s]) n++;
        }
        return n;
    }
}
