using System.Diagnostics;

namespace DataForge.Execution;

/// <summary>How to run a pipeline (the <c>run</c> command's flags).</summary>
public sealed class RunOptions
{
    public int Workers { get; init; } = Environment.ProcessorCount;
    public bool Resume { get; init; }
    public bool Overwrite { get; init; }
    /// <summary>Read at most this many documents (in input order; partitions are then read one at a time).</summary>
    public long? Limit { get; init; }
    public RunProgress Progress { get; init; } = new();
    public CancellationToken Cancellation { get; init; }
    /// <summary>Where the run says what it does to the output directory (for example what --overwrite removes).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Live counters for progress displays; read from another thread.</summary>
public sealed class RunProgress
{
    public long DocumentsRead;
    public long BytesRead;
    public long DocumentsOut;
    public long PartitionsDone;
    public long PartitionsTotal;
    public long TotalBytes;
    public volatile string Phase = "planning";
    /// <summary>Processing stages in pipeline order, with live document counts in and out.</summary>
    public string[] StageNames { get; internal set; } = [];
    public long[] StageIn { get; internal set; } = [];
    public long[] StageOut { get; internal set; } = [];
    readonly Stopwatch _clock = Stopwatch.StartNew();
    public TimeSpan Elapsed => _clock.Elapsed;
}

/// <summary>What a finished run reports.</summary>
public sealed record RunResult(string OutputDirectory, RunStats Stats, IReadOnlyList<ShardInfo> Shards);

/// <summary>A run cannot start as asked (output not empty, resume of another config): exit code 2.</summary>
public sealed class RunSetupException(string message) : Exception(message);
