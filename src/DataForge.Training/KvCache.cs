using TorchSharp;
using static TorchSharp.torch;

namespace DataForge.Training;

/// <summary>
/// The rotated keys and the values of every token a model has read so far, per layer, so that
/// <see cref="GptModel.ForwardCached"/> computes only the new tokens instead of the whole context again. Buffers of
/// [B, heads, Capacity, head_dim] per layer are allocated on first use (in the activation type of that call) and
/// filled from the front; <see cref="Length"/> tokens are valid. In bf16 mode the cache also keeps the bf16 copies
/// of the weights, cast once instead of once per token: a cache belongs to one model and assumes its weights do not
/// change while the cache is in use (the cached keys and values would be stale anyway).
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly GptModel _model;
    readonly Tensor?[] _keys;
    readonly Tensor?[] _values;
    readonly Dictionary<string, Tensor> _bf16Weights = new(StringComparer.Ordinal);
    long _batchSize;
    ScalarType _dtype;

    /// <summary>A cache for <paramref name="model"/> holding up to <paramref name="capacity"/> tokens (default: the context length).</summary>
    public KvCache(GptModel model, int? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Capacity = capacity ?? model.Options.ContextLength;
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 1, nameof(capacity));
        _model = model;
        _keys = new Tensor?[model.Options.NLayers];
        _values = new Tensor?[model.Options.NLayers];
    }

    /// <summary>Tokens the cache can hold; <see cref="GptModel.ForwardCached"/> refuses to go past it.</summary>
    public int Capacity { get; }

    /// <summary>Tokens read so far: the next token's absolute position.</summary>
    public int Length { get; private set; }

    /// <summary>The valid keys of a layer, [B, heads, Length, head_dim], rotated at their positions (a view into the cache).</summary>
    public Tensor Keys(int layer) => Buffer(_keys, layer).narrow(2, 0, Length);

    /// <summary>The valid values of a layer, [B, heads, Length, head_dim] (a view into the cache).</summary>
    public Tensor Values(int layer) => Buffer(_values, layer).narrow(2, 0, Length);

    /// <summary>Forgets every token (the buffers stay allocated for the next sequence of the same batch size and type).</summary>
    public void Reset() => Length = 0;

    static Tensor Buffer(Tensor?[] buffers, int layer) =>
        buffers[layer] ?? throw new InvalidOperationException("the KV cache is empty: nothing has been read into it yet");

    /// <summary>Checks a call that reads <paramref name="newTokens"/> more tokens of a batch of <paramref name="batchSize"/> and allocates the buffers on first use.</summary>
    internal void Prepare(GptModel model, long batchSize, long newTokens, bool bf16)
    {
        if (!ReferenceEquals(model, _model)) throw new ArgumentException("the KV cache belongs to another model", nameof(model));
        if (Length + newTokens > Capacity)
            throw new InvalidOperationException($"the KV cache holds at most {Capacity} tokens: {Length} cached + {newTokens} new; start a new cache on the last {Capacity} tokens");
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (_keys[0] is not null && (batchSize != _batchSize || dtype != _dtype))
        {
            // A different batch size or type starts afresh: the cached tokens cannot be reused.
            if (Length > 0) throw new InvalidOperationException($"the KV cache holds {Length} tokens of a batch of {_batchSize} in {_dtype}, not {batchSize} in {dtype}; Reset() it first");
            FreeBuffers();
        }
        if (_keys[0] is null)
        {
            var o = _model.Options;
            long[] shape = [batchSize, o.NHeads, Capacity, o.DModel / o.NHeads];
            for (int i = 0; i < _keys.Length; i++)
            {
                _keys[i] = torch.zeros(shape, dtype, _model.Device).DetachFromDisposeScope();
                _values[i] = torch.zeros(shape, dtype, _model.Device).DetachFromDisposeScope();
            }
            _batchSize = batchSize;
            _dtype = dtype;
        }
    }

    /// <summary>Writes the new keys and values [B, heads, t, head_dim] after the cached ones; returns the keys and values of all Length + t tokens.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        long t = k.shape[2];
        var keys = Buffer(_keys, layer);
        var values = Buffer(_values, layer);
        keys.narrow(2, Length, t).copy_(k);
        values.narrow(2, Length, t).copy_(v);
        return (keys.narrow(2, 0, Length + t), values.narrow(2, 0, Length + t));
    }

    /// <summary>Counts the new tokens once every layer has appended them.</summary>
    internal void Advance(long newTokens) => Length += (int)newTokens;

    /// <summary>A weight in the activation type: the fp32 master weight itself, or its bf16 copy made on first use.</summary>
    internal Tensor Weight(GptModel model, string name, bool bf16)
    {
        if (!bf16) return model[name];
        if (!_bf16Weights.TryGetValue(name, out var w))
        {
            using (torch.no_grad()) w = model[name].to(ScalarType.BFloat16).DetachFromDisposeScope();
            _bf16Weights[name] = w;
        }
        return w;
    }

    void FreeBuffers()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose(); _keys[i] = null;
            _values[i]?.Dispose(); _values[i] = null;
        }
    }

    public void Dispose()
    {
        FreeBuffers();
        foreach (var w in _bf16Weights.Values) w.Dispose();
        _bf16Weights.Clear();
    }
}
