using DataForge.Documents;
using DataForge.Pipelines;

namespace DataForge.Execution;

/// <summary>What a source sees while planning partitions.</summary>
public sealed class PlanContext
{
    public required PipelineSettings Settings { get; init; }
    /// <summary>Target bytes per partition when a file can be split by byte range.</summary>
    public long PartitionBytes => Settings.PartitionBytes;
}

/// <summary>Per stage and partition: where a stage records drops and counters.</summary>
public sealed class StageContext
{
    public required StageStats Stats { get; init; }
    public required int Partition { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>For global stages: index (within the partition) of the first row of the current batch.</summary>
    public long RowOffset { get; internal set; }
    internal DroppedWriter? DroppedWriter { get; init; }
    internal int LiveIndex { get; init; } = -1;

    /// <summary>Records that <paramref name="row"/> of <paramref name="batch"/> was dropped for <paramref name="reason"/> (<c>stage.rule</c>).</summary>
    public void Drop(DocumentBatch batch, int row, string reason)
    {
        Stats.AddDrop(reason);
        DroppedWriter?.Write(batch, row, Stats.Name, reason);
    }

    public void Count(string counter, long n = 1) => Stats.AddCounter(counter, n);
}

/// <summary>What a source sees while reading one partition.</summary>
public sealed class SourceContext
{
    public required StageStats Stats { get; init; }
    public required PipelineSettings Settings { get; init; }
    public required int Partition { get; init; }
    /// <summary>"fail" or "skip": the reader's own on_error, else the pipeline's.</summary>
    public required string OnError { get; init; }
    internal RejectWriter? RejectWriter { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Bytes read so far (progress), updated by readers.</summary>
    public long BytesRead;

    public int BatchRows => Settings.BatchRows;
    public long BatchBytes => Settings.BatchBytes;

    /// <summary>
    /// A record could not be read. With on_error "fail" this throws <see cref="InputException"/>;
    /// with "skip" the record goes to rejects/ and counts as rejected.
    /// </summary>
    /// <param name="location">Where the record is: <c>file:line</c>, <c>file: row N</c>, or the file.</param>
    /// <param name="recordIsPrefix">The record given is only the start of the bad record (a line too long to hold).</param>
    public void Reject(string location, string error, ReadOnlySpan<byte> record, bool recordIsPrefix = false)
    {
        if (OnError != "skip") throw new InputException($"{location}: {error}");
        Stats.Rejected++;
        Stats.In++;
        RejectWriter?.Write(location, error, record, recordIsPrefix);
    }

    /// <summary>
    /// A file, or the rest of it, cannot be read (corrupt or truncated compression, a damaged Parquet or
    /// Arrow file). With on_error "fail" this throws; with "skip" the fault is recorded in rejects/ (counted
    /// as one rejected record, and as <c>file_faults</c> in the reader's stats) and the reader stops reading
    /// that file, keeping every record it read before the fault.
    /// </summary>
    public void FileFault(string location, string reason)
    {
        if (OnError != "skip") throw new InputException(location, reason);
        Stats.AddCounter("file_faults", 1);
        Reject(location, reason + "; the rest of the file was not read", default);
    }

    public bool Skipping => OnError == "skip";
}

/// <summary>What a sink sees when it opens a partition.</summary>
public sealed class SinkContext
{
    public required int Partition { get; init; }
    public required string OutputDirectory { get; init; }
}

/// <summary>What a global stage sees.</summary>
public sealed class GlobalContext
{
    /// <summary>A directory of this stage's own for spill files; kept until the run succeeds.</summary>
    public required string WorkDirectory { get; init; }
    public required int PartitionCount { get; init; }
    public required int Workers { get; init; }
    public required ulong Seed { get; init; }
    public required StageStats Stats { get; init; }
}

/// <summary>Bad input (file, line, what was expected); the run fails with exit code 1.</summary>
public sealed class InputException : Exception
{
    public InputException(string message, Exception? inner = null) : base(message, inner) => Reason = message;

    /// <summary>An error at <paramref name="location"/> (a file, or file:line): "location: reason".</summary>
    public InputException(string location, string reason, Exception? inner = null) : base($"{location}: {reason}", inner) => Reason = reason;

    /// <summary>What went wrong, without the location (so a caller that knows the line can re-locate it).</summary>
    public string Reason { get; }
}
