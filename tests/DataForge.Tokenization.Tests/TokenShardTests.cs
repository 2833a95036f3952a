using System.Buffers.Binary;
using System.Text.Json;
using DataForge.Tests;

namespace DataForge.Tokenization.Tests;

/// <summary>Reads token shards exactly as docs/reference.md#token-shards describes them (independent of the writer).</summary>
internal static class SpecReaders
{
    public sealed record MegatronIndex(byte DType, ulong N, ulong D, int[] Lengths, long[] Offsets, long[] DocIndex);

    public static MegatronIndex ReadIdx(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.Equal("MMIDIDX\0\0"u8.ToArray(), b[..9]);
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(9)));
        byte dtype = b[17];
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(18));
        ulong d = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(26));
        int o = 34;
        var lengths = new int[n];
        for (ulong i = 0; i < n; i++, o += 4) lengths[i] = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(o));
        var offsets = new long[n];
        for (ulong i = 0; i < n; i++, o += 8) offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(o));
        var docs = new long[d];
        for (ulong i = 0; i < d; i++, o += 8) docs[i] = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(o));
        Assert.Equal(b.Length, o); // no padding, nothing after
        return new MegatronIndex(dtype, n, d, lengths, offsets, docs);
    }

    public static int[] ReadBin(string path, bool wide)
    {
        var b = File.ReadAllBytes(path);
        int size = wide ? 4 : 2;
        Assert.Equal(0, b.Length % size);
        var ids = new int[b.Length / size];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = wide ? BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(i * size)) : BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(i * size));
        return ids;
    }

    /// <summary>Splits a nanoGPT token stream at end-of-text ids (each document ends with one).</summary>
    public static List<int[]> Documents(int[] ids, int eot)
    {
        var docs = new List<int[]>();
        int s = 0;
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] == eot) { docs.Add(ids[s..i]); s = i + 1; }
        Assert.Equal(ids.Length, s); // the stream ends with end-of-text
        return docs;
    }
}

public class TokenShardTests
{
    [Theory]
    [InlineData("o200k_base")]
    [InlineData("trained")]
    public void Nanogpt_and_megatron_files_follow_the_documented_layout(string spec)
    {
        using var dir = new TempDir();
        var tok = spec == "trained" ? TokenizerTests.Trained(dir) : TextTokenizer.Load(spec);
        var docs = TokenizerTests.Samples.Concat(TokenizerTests.Sentences(40, 5)).ToList();
        var encoded = docs.Select(tok.Encode).ToList();
        using (var w = new TokenDirectoryWriter(dir["out"], tok, TokenFormats.Both))
        {
            for (int i = 0; i < encoded.Count; i++) (i % 5 == 4 ? w.Val : w.Train).AddDocument(encoded[i]);
            w.Complete();
        }
        bool nanoWide = tok.VocabSize > 65535, megaWide = tok.VocabSize >= 65500;
        var trainDocs = encoded.Where((_, i) => i % 5 != 4).ToList();
        var train = SpecReaders.ReadBin(dir["out/train.bin"], nanoWide);
        Assert.Equal(trainDocs.Sum(d => d.Length + 1), train.Length);
        var split = SpecReaders.Documents(train, tok.EndOfTextId);
        Assert.Equal(trainDocs.Count, split.Count);
        for (int i = 0; i < split.Count; i++) Assert.Equal(trainDocs[i], split[i]);
        Assert.Equal(docs.Where((_, i) => i % 5 == 4).ToList(), SpecReaders.Documents(SpecReaders.ReadBin(dir["out/val.bin"], nanoWide), tok.EndOfTextId).Select(d => tok.Decode(d)).ToList());

        var idx = SpecReaders.ReadIdx(dir["out/train_text_document.idx"]);
        Assert.Equal(megaWide ? 4 : 8, idx.DType);
        Assert.Equal((ulong)trainDocs.Count, idx.N);
        Assert.Equal(idx.N + 1, idx.D);
        Assert.Equal(trainDocs.Select(d => d.Length + 1), idx.Lengths);
        Assert.Equal(Enumerable.Range(0, trainDocs.Count + 1).Select(i => (long)i), idx.DocIndex);
        var mbin = SpecReaders.ReadBin(dir["out/train_text_document.bin"], megaWide);
        int item = megaWide ? 4 : 2;
        for (int i = 0; i < trainDocs.Count; i++)
        {
            Assert.Equal(i == 0 ? 0 : idx.Offsets[i - 1] + (long)idx.Lengths[i - 1] * item, idx.Offsets[i]);
            var seq = mbin.AsSpan((int)(idx.Offsets[i] / item), idx.Lengths[i]).ToArray();
            Assert.Equal([.. trainDocs[i], tok.EndOfTextId], seq);
        }

        using var meta = JsonDocument.Parse(File.ReadAllBytes(dir["out/tokens.json"]));
        var r = meta.RootElement;
        Assert.Equal(tok.Spec, r.GetProperty("tokenizer").GetString());
        Assert.Equal(tok.VocabSize, r.GetProperty("vocab_size").GetInt32());
        Assert.Equal(tok.EndOfTextId, r.GetProperty("eot_id").GetInt32());
        Assert.Equal(nanoWide ? "uint32" : "uint16", r.GetProperty("dtype").GetString());
        Assert.Equal(train.Length, r.GetProperty("train_tokens").GetInt64());
        Assert.Equal(docs.Count, r.GetProperty("documents").GetInt64());
        Assert.Empty(Directory.EnumerateFiles(dir["out"], "*.tmp"));
    }
}
