using System.Diagnostics;
using System.Text.Json;

namespace DataForge.Execution;

/// <summary>
/// An exclusive lock on an output directory for one writing command (<c>run</c>, <c>mix</c>, <c>train</c>,
/// <c>tokenizer train</c>), so a second writer is refused before it touches anything. The lock is an OS
/// file lock on <c>DIR/.dataforge-lock</c>: the kernel releases it when the holder exits or is killed, so
/// a lock left by a dead process is stale by construction and taken over. The holder's pid, host,
/// command and start time are written beside it (<c>.dataforge-lock.json</c>) for the message the second
/// writer gets; where the file system ignores file locks, a live holder named there still refuses.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    public const string LockFile = ".dataforge-lock";
    const string InfoFile = LockFile + ".json";

    readonly FileStream _handle;
    readonly string _infoPath;

    /// <summary>The locked directory.</summary>
    public string Directory { get; }

    /// <summary>True when acquiring the lock created the directory (so a command that fails before writing can remove it).</summary>
    public bool CreatedDirectory { get; }

    OutputLock(string dir, FileStream handle, bool created)
    {
        Directory = dir;
        _handle = handle;
        _infoPath = Path.Combine(dir, InfoFile);
        CreatedDirectory = created;
    }

    /// <summary>Takes the lock on <paramref name="dir"/> (created when missing) or throws <see cref="OutputLockedException"/>.</summary>
    /// <param name="command">The command holding the lock, shown to a second writer ("run", "mix", ...).</param>
    public static OutputLock Acquire(string dir, string command)
    {
        bool created = !System.IO.Directory.Exists(dir);
        System.IO.Directory.CreateDirectory(dir);
        string lockPath = Path.Combine(dir, LockFile), infoPath = Path.Combine(dir, InfoFile);
        FileStream handle;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix; it fails at once when held.
            handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw new OutputLockedException(dir, Describe(ReadInfo(infoPath)));
        }
        // A run on Slurm writes from its jobs, which hold no lock here: its submission record names them.
        if (Slurm.SlurmSubmission.LiveJobs(dir) is { Count: > 0 } jobs)
        {
            handle.Dispose();
            throw new OutputLockedException(dir, $"the Slurm job(s) {string.Join(", ", jobs)} of a run submitted to Slurm (see dataforge status {dir}; scancel them to stop it)");
        }
        // File systems without flock (some network mounts) lock nothing: a live holder named in the info file still counts.
        var previous = ReadInfo(infoPath);
        if (previous is not null && IsLive(previous))
        {
            handle.Dispose();
            throw new OutputLockedException(dir, Describe(previous));
        }
        var info = new LockInfo(Environment.ProcessId, Environment.MachineName, command, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            Process.GetCurrentProcess().StartTime.ToUniversalTime().Ticks);
        string tmp = infoPath + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(info, LockInfoJson.Default.LockInfo));
        File.Move(tmp, infoPath, overwrite: true);
        return new OutputLock(dir, handle, created);
    }

    /// <summary>Who holds the lock, for a message: "pid 123 on host h (run, since 2026-01-01T10:00:00Z)".</summary>
    static string Describe(LockInfo? info) => info is null
        ? "another DataForge process"
        : $"pid {info.Pid} on host {info.Host} ({info.Command}, since {info.Started})";

    static LockInfo? ReadInfo(string path)
    {
        try { return JsonSerializer.Deserialize(File.ReadAllBytes(path), LockInfoJson.Default.LockInfo); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    /// <summary>Whether the process named by a lock's info still runs (another host's process is assumed to).</summary>
    static bool IsLive(LockInfo info)
    {
        if (info.Host != Environment.MachineName) return true;
        try
        {
            using var p = Process.GetProcessById(info.Pid);
            // A reused pid belongs to a process started at another time.
            return p.StartTime.ToUniversalTime().Ticks == info.ProcessStartTicks;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// Releases the lock of a command that failed before writing anything: when acquiring the lock created the
    /// directory and it still holds nothing but bookkeeping (lock, marker), the directory goes again, so a refused
    /// or failed command leaves nothing behind. A directory that existed before is left as it was.
    /// </summary>
    public void Abandon()
    {
        bool remove = CreatedDirectory && OutputDirectory.IsEmpty(Directory);
        // The bookkeeping files go while the lock is still held; the directory itself only if nothing else appeared.
        if (remove)
            foreach (var f in System.IO.Directory.GetFiles(Directory))
                try { File.Delete(f); } catch (IOException) { remove = false; }
        Dispose();
        if (remove)
            try { System.IO.Directory.Delete(Directory); } catch (IOException) { }
    }

    bool _released;

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        // The lock file itself stays: deleting it would let a process that opened it just before lock an
        // orphaned file while a third creates a new one. The info file goes before the lock is released.
        try { File.Delete(_infoPath); } catch (IOException) { }
        _handle.Dispose();
    }
}

/// <summary>The lock holder as written to <c>.dataforge-lock.json</c>.</summary>
internal sealed record LockInfo(int Pid, string Host, string Command, string Started, long ProcessStartTicks);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(LockInfo))]
internal sealed partial class LockInfoJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Another process writes to this output directory (exit code 3).</summary>
public sealed class OutputLockedException(string dir, string holder)
    : Exception($"{dir}: output directory is in use by {holder}; wait for it to finish or choose another output")
{
    public string Directory { get; } = dir;
}
