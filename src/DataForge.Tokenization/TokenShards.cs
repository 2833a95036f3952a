using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataForge.Tokenization;

/// <summary>Which token shard layouts a tokens directory gets (docs/reference.md#token-shards).</summary>
public static class TokenFormats
{
    public const string NanoGpt = "nanogpt";
    public const string Megatron = "megatron";
    public const string Both = "both";
    public static readonly string[] All = [NanoGpt, Megatron, Both];
}

/// <summary>
/// Writes one split (train or val) of a tokens directory: nanoGPT <c>NAME.bin</c> (raw little-endian
/// uint16, or uint32 when vocab &gt; 65535; no header) and/or Megatron <c>NAME_text_document.bin/.idx</c>
/// (uint16 when vocab &lt; 65500, else int32). Each document is followed by the end-of-text id.
/// Files are written under temporary names and renamed by <see cref="Complete"/>; memory stays bounded
/// (Megatron document lengths are spilled to a temporary file).
/// </summary>
public sealed class TokenSplitWriter : IDisposable
{
    readonly string _dir, _name;
    readonly int _eot;
    readonly bool _nano, _mega, _nano32, _mega32;
    FileStream? _nanoBin, _megaBin, _lengths;
    byte[] _buf = new byte[1 << 16];

    public TokenSplitWriter(string directory, string name, int vocabSize, int eotId, string format)
    {
        _dir = directory;
        _name = name;
        _eot = eotId;
        _nano = format is TokenFormats.NanoGpt or TokenFormats.Both;
        _mega = format is TokenFormats.Megatron or TokenFormats.Both;
        if (!_nano && !_mega) throw new ArgumentException($"format must be one of {string.Join(", ", TokenFormats.All)}, got '{format}'");
        _nano32 = vocabSize > 65535;
        _mega32 = vocabSize >= 65500;
        Directory.CreateDirectory(directory);
        if (_nano) _nanoBin = Create(NanoFile + ".tmp");
        if (_mega)
        {
            _megaBin = Create(MegatronPrefix + ".bin.tmp");
            _lengths = Create(MegatronPrefix + ".lengths.tmp");
        }
    }

    FileStream Create(string file) => new(Path.Combine(_dir, file), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);

    string NanoFile => _name + ".bin";
    public string MegatronPrefix => _name + "_text_document";
    public long Tokens { get; private set; }
    public long Documents { get; private set; }
    public string NanoDType => _nano32 ? "uint32" : "uint16";
    public string MegatronDType => _mega32 ? "int32" : "uint16";

    /// <summary>Appends one document (its ids, then the end-of-text id).</summary>
    public void AddDocument(ReadOnlySpan<int> ids)
    {
        int n = ids.Length + 1;
        if (_nano) WriteIds(_nanoBin!, ids, _nano32);
        if (_mega)
        {
            WriteIds(_megaBin!, ids, _mega32);
            Span<byte> len = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(len, n);
            _lengths!.Write(len);
        }
        Tokens += n;
        Documents++;
    }

    void WriteIds(FileStream s, ReadOnlySpan<int> ids, bool wide)
    {
        int size = wide ? 4 : 2;
        int need = (ids.Length + 1) * size;
        if (_buf.Length < need) _buf = new byte[Math.Max(need, _buf.Length * 2)];
        var b = _buf.AsSpan();
        int o = 0;
        for (int i = 0; i <= ids.Length; i++)
        {
            int id = i < ids.Length ? ids[i] : _eot;
            if (wide) BinaryPrimitives.WriteInt32LittleEndian(b[o..], id);
            else BinaryPrimitives.WriteUInt16LittleEndian(b[o..], checked((ushort)id));
            o += size;
        }
        s.Write(b[..o]);
    }

    /// <summary>Finishes the files (Megatron index) and renames them into place.</summary>
    public void Complete()
    {
        if (_nano)
        {
            _nanoBin!.Dispose();
            File.Move(Path.Combine(_dir, NanoFile + ".tmp"), Path.Combine(_dir, NanoFile), overwrite: true);
            _nanoBin = null;
        }
        if (_mega)
        {
            _megaBin!.Dispose();
            File.Move(Path.Combine(_dir, MegatronPrefix + ".bin.tmp"), Path.Combine(_dir, MegatronPrefix + ".bin"), overwrite: true);
            _megaBin = null;
            WriteMegatronIndex();
        }
    }

    void WriteMegatronIndex()
    {
        string tmp = Path.Combine(_dir, MegatronPrefix + ".idx.tmp");
        using (var idx = Create(MegatronPrefix + ".idx.tmp"))
        {
            var lengths = _lengths!;
            lengths.Flush();
            long n = Documents;
            Span<byte> head = stackalloc byte[9 + 8 + 1 + 8 + 8];
            "MMIDIDX\0\0"u8.CopyTo(head);
            BinaryPrimitives.WriteUInt64LittleEndian(head[9..], 1);
            head[17] = _mega32 ? (byte)4 : (byte)8;
            BinaryPrimitives.WriteUInt64LittleEndian(head[18..], (ulong)n);
            BinaryPrimitives.WriteUInt64LittleEndian(head[26..], (ulong)(n + 1));
            idx.Write(head);
            lengths.Position = 0;
            lengths.CopyTo(idx);
            // Byte offsets: running sum of length x item size.
            int item = _mega32 ? 4 : 2;
            lengths.Position = 0;
            var lb = new byte[4];
            var ob = new byte[8];
            long offset = 0;
            for (long i = 0; i < n; i++)
            {
                lengths.ReadExactly(lb);
                BinaryPrimitives.WriteInt64LittleEndian(ob, offset);
                idx.Write(ob);
                offset += (long)BinaryPrimitives.ReadInt32LittleEndian(lb) * item;
            }
            for (long d = 0; d <= n; d++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(ob, d);
                idx.Write(ob);
            }
            lengths.Dispose();
            _lengths = null;
        }
        File.Delete(Path.Combine(_dir, MegatronPrefix + ".lengths.tmp"));
        File.Move(tmp, Path.Combine(_dir, MegatronPrefix + ".idx"), overwrite: true);
    }

    public void Dispose()
    {
        _nanoBin?.Dispose();
        _megaBin?.Dispose();
        _lengths?.Dispose();
        foreach (var f in new[] { NanoFile + ".tmp", MegatronPrefix + ".bin.tmp", MegatronPrefix + ".lengths.tmp", MegatronPrefix + ".idx.tmp" })
        {
            string p = Path.Combine(_dir, f);
            if ((_nanoBin is not null || _megaBin is not null || _lengths is not null) && File.Exists(p)) File.Delete(p);
        }
        _nanoBin = _megaBin = _lengths = null;
    }
}

/// <summary>
/// A tokens directory (the contract the trainer reads): <c>train.bin</c>, <c>val.bin</c> and
/// <c>tokens.json</c> {"tokenizer", "vocab_size", "eot_id", "dtype", "train_tokens", "val_tokens",
/// "documents", ...}; with format megatron/both also <c>train_text_document.bin/.idx</c> and
/// <c>val_text_document.bin/.idx</c>.
/// </summary>
public sealed class TokenDirectoryWriter : IDisposable
{
    public const string MetadataFile = "tokens.json";
    readonly string _dir;
    readonly TextTokenizer _tokenizer;
    readonly string _format;

    public TokenDirectoryWriter(string directory, TextTokenizer tokenizer, string format = TokenFormats.NanoGpt)
    {
        _dir = directory;
        _tokenizer = tokenizer;
        _format = format;
        Directory.CreateDirectory(directory);
        Train = new TokenSplitWriter(directory, "train", tokenizer.VocabSize, tokenizer.EndOfTextId, format);
        Val = new TokenSplitWriter(directory, "val", tokenizer.VocabSize, tokenizer.EndOfTextId, format);
    }

    public TokenSplitWriter Train { get; }
    public TokenSplitWriter Val { get; }

    /// <summary>Completes both splits and writes tokens.json; <paramref name="extra"/> adds fields.</summary>
    public JsonObject Complete(JsonObject? extra = null)
    {
        Train.Complete();
        Val.Complete();
        var meta = new JsonObject
        {
            ["tokenizer"] = _tokenizer.Spec,
            ["vocab_size"] = _tokenizer.VocabSize,
            ["eot_id"] = _tokenizer.EndOfTextId,
            ["dtype"] = Train.NanoDType,
            ["train_tokens"] = Train.Tokens,
            ["val_tokens"] = Val.Tokens,
            ["documents"] = Train.Documents + Val.Documents,
            ["train_documents"] = Train.Documents,
            ["val_documents"] = Val.Documents,
            ["format"] = _format,
        };
        if (_format != TokenFormats.NanoGpt)
            meta["megatron"] = new JsonObject { ["train"] = Train.MegatronPrefix, ["val"] = Val.MegatronPrefix, ["dtype"] = Train.MegatronDType };
        if (extra is not null)
            foreach (var (k, v) in extra) meta[k] = v?.DeepClone();
        File.WriteAllText(Path.Combine(_dir, MetadataFile), meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return meta;
    }

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}
