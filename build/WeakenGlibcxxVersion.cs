#nullable enable
// MSBuild inline task (see TorchSharpNative.targets): marks one GLIBCXX version requirement of an ELF64
// shared library weak, when the system libstdc++ does not define that version.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class DataForgeWeakenGlibcxxVersion : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib64/libstdc++.so.6",
    };

    public override bool Execute()
    {
        string? lib = Array.Find(LibStdCxxCandidates, File.Exists);
        if (lib != null && Contains(File.ReadAllBytes(lib), Encoding.ASCII.GetBytes(Version + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"{lib} defines {Version}; TorchSharp's native library needs no patch.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                byte[] elf = File.ReadAllBytes(path);
                int changed = Weaken(elf, Version);
                if (changed < 0) { Log.LogWarning($"{path}: not an ELF64 little-endian file with .gnu.version_r; left as is."); continue; }
                if (changed == 0) { Log.LogMessage(MessageImportance.Low, $"{path}: {Version} already weak or not required."); continue; }
                // Write a new file and rename it over the old one: a hard link into the NuGet cache is never modified,
                // and a process that has the old file mapped keeps its copy. The old modification time is kept so
                // that the next build's incremental copy sees an unchanged file and leaves the patched one alone.
                var mtime = File.GetLastWriteTimeUtc(path);
                string tmp = path + ".dataforge-tmp";
                File.WriteAllBytes(tmp, elf);
                File.SetLastWriteTimeUtc(tmp, mtime);
                File.Delete(path);
                File.Move(tmp, path);
                Log.LogMessage(MessageImportance.High, $"{path}: marked {Version} weak (system libstdc++ {(lib ?? "not found")} lacks it).");
            }
            catch (IOException e) { Log.LogError($"{path}: {e.Message}"); }
        }
        return !Log.HasLoggedErrors;
    }

    static bool Contains(byte[] hay, byte[] needle)
    {
        for (int i = 0; i <= hay.Length - needle.Length; i++)
        {
            if (hay[i] != needle[0]) continue;
            int j = 1;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
    static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    static long U64(byte[] b, long o) => (long)(U32(b, o) | (ulong)U32(b, o + 4) << 32);

    /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>; returns how many
    /// entries changed, 0 if none needed it, -1 if the file is not a usable ELF64 LE image.</summary>
    public static int Weaken(byte[] elf, string version)
    {
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlgWeak = 0x2;
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            return -1;
        long shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > elf.Length) return -1;
        int changed = 0;
        bool found = false;
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            found = true;
            long off = U64(elf, sh + 0x18);
            uint link = U32(elf, sh + 0x28);
            long strOff = U64(elf, shoff + (long)link * shentsize + 0x18);
            long vn = off;
            while (true)
            {
                ushort cnt = U16(elf, vn + 2);
                long aux = vn + U32(elf, vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    long nameAt = strOff + U32(elf, aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, (int)nameAt);
                    string name = Encoding.ASCII.GetString(elf, (int)nameAt, end - (int)nameAt);
                    ushort flags = U16(elf, aux + 4);
                    if (name == version && (flags & VerFlgWeak) == 0)
                    {
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)flags;
                        elf[aux + 5] = (byte)(flags >> 8);
                        changed++;
                    }
                    uint next = U32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = U32(elf, vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return found ? changed : -1;
    }
}
