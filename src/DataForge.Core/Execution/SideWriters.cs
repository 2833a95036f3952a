using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DataForge.Documents;

namespace DataForge.Execution;

/// <summary>A JSON Lines side file (rejects/, dropped/) written under a temporary name and renamed on completion.</summary>
internal abstract class SideFileWriter(string path) : IDisposable
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    readonly string _tmp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
    FileStream? _file;
    Utf8JsonWriter? _json;
    readonly object _lock = new();

    protected void WriteLine(Action<Utf8JsonWriter> write)
    {
        lock (_lock)
        {
            if (_file is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                _file = new FileStream(_tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                _json = new Utf8JsonWriter(_file, Options);
            }
            _json!.Reset(_file);
            write(_json);
            _json.Flush();
            _file.WriteByte((byte)'\n');
        }
    }

    /// <summary>Renames the file into place (if anything was written).</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_file is null) return;
            _json!.Dispose();
            _file.Dispose();
            File.Move(_tmp, path, overwrite: true);
            _file = null;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_file is null) return;
            _json!.Dispose();
            _file.Dispose();
            File.Delete(_tmp);
            _file = null;
        }
    }

    protected static string Lossy(ReadOnlySpan<byte> bytes, int max)
    {
        if (bytes.Length > max) bytes = bytes[..max];
        return Encoding.UTF8.GetString(bytes); // invalid sequences become U+FFFD
    }
}

/// <summary>rejects/part-PPPPP.jsonl: records a reader could not read, with the error.</summary>
internal sealed class RejectWriter(string path) : SideFileWriter(path)
{
    public void Write(string location, string error, ReadOnlySpan<byte> record, bool recordIsPrefix = false)
    {
        string rec = Lossy(record, 64 << 10);
        bool truncated = recordIsPrefix || record.Length > 64 << 10;
        WriteLine(w =>
        {
            w.WriteStartObject();
            w.WriteString("location", location);
            w.WriteString("error", error);
            w.WriteString("record", rec);
            if (truncated) w.WriteBoolean("record_truncated", true);
            w.WriteEndObject();
        });
    }
}

/// <summary>dropped/part-PPPPP.jsonl: documents a stage dropped, with stage and reason (keep_dropped).</summary>
internal sealed class DroppedWriter(string path) : SideFileWriter(path)
{
    public void Write(DocumentBatch batch, int row, string stage, string reason)
    {
        string id = batch.Id.GetString(row), text = batch.Text.GetString(row), source = batch.Source.GetString(row);
        string? url = batch.Url.IsNull(row) ? null : batch.Url.GetString(row);
        WriteLine(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("stage", stage);
            w.WriteString("reason", reason);
            w.WriteString("source", source);
            if (url is not null) w.WriteString("url", url);
            w.WriteString("text", text);
            w.WriteEndObject();
        });
    }
}
