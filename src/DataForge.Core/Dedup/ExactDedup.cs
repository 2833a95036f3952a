using System.IO.Hashing;
using DataForge.Documents;
using DataForge.Stages;
using DataForge.Configuration;

namespace DataForge.Dedup;

public sealed class ExactDedupOptions
{
    [Option("Hash the text after the dedup normalisation (lowercase, digits -> 0, punctuation -> space, accents dropped, whitespace collapsed), so copies differing only in those count as duplicates; false hashes the raw UTF-8 bytes.")]
    public bool Normalize { get; init; } = true;
}

/// <summary>Exact duplicate removal: xxhash128 of the (normalised) text; the first occurrence in input order is kept.</summary>
[Stage("exact_dedup", StageShape.Global, "Drops documents whose text (normalised, xxhash128) appeared earlier in input order; global over all partitions, bounded memory.")]
public sealed class ExactDedupStage(ExactDedupOptions options, StageInit init) : KeepFirstDedup(init)
{
    protected override bool TryKey(DocumentBatch batch, int row, ref byte[] scratch, out UInt128 key)
    {
        var text = batch.GetText(row);
        if (options.Normalize)
        {
            int n = DedupNormalizer.Normalize(text, ref scratch);
            text = scratch.AsSpan(0, n);
        }
        key = XxHash128.HashToUInt128(text);
        return true;
    }
}
