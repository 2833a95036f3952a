using System.Runtime.InteropServices;

namespace DataForge.IO;

/// <summary>
/// What makes two paths the same file or directory: device and inode on Linux (so symbolic links,
/// bind mounts and "a/../a" all compare equal), else the path with every link resolved.
/// </summary>
public static partial class FileIdentity
{
    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, Span<byte> buf);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr p);

    static bool _statMissing = !OperatingSystem.IsLinux() || !(RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

    /// <summary>A key equal for two paths exactly when they name the same existing file or directory.</summary>
    public static string Of(string path)
    {
        if (!_statMissing)
        {
            try
            {
                // struct stat on Linux x86_64 and arm64 starts with st_dev and st_ino, both 64-bit.
                Span<byte> buf = stackalloc byte[256];
                if (Stat(path, buf) == 0)
                    return $"{BitConverter.ToUInt64(buf[..8])}:{BitConverter.ToUInt64(buf[8..16])}";
            }
            catch (EntryPointNotFoundException) { _statMissing = true; }
            catch (DllNotFoundException) { _statMissing = true; }
        }
        return RealPath(path) ?? Path.GetFullPath(path);
    }

    /// <summary>
    /// What a resumed command checks has not changed about an input: full path, size and modification time
    /// ("path|bytes|ticks"), as written in the run identity of <c>run</c> and <c>mix</c>.
    /// </summary>
    public static string Stamp(string path)
    {
        var fi = new FileInfo(path);
        return $"{fi.FullName}|{fi.Length}|{fi.LastWriteTimeUtc.Ticks}";
    }

    /// <summary>The absolute path with every symbolic link resolved, or null when it cannot be resolved (missing, loop).</summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows()) return Path.GetFullPath(path);
        try
        {
            IntPtr p = RealPathNative(path, IntPtr.Zero);
            if (p == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringUTF8(p); }
            finally { Free(p); }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return Path.GetFullPath(path);
        }
    }
}
