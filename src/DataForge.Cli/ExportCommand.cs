using System.CommandLine;
using DataForge.Deploy;
using DataForge.Tokenization;
using DataForge.Training;

namespace DataForge.Cli;

public static class ExportCommand
{
    public static Command Build(CliIO io)
    {
        var model = new Option<string>("--model", "-m") { Description = "A run's final/ or checkpoint directory.", Required = true };
        var format = new Option<string>("--format", "-f") { Description = "gguf (one file for llama.cpp) or hf (add tokenizer.json, tokenizer_config.json and generation_config.json to the model directory).", Required = true };
        var type = new Option<string>("--type") { Description = $"GGUF tensor type: f32, f16, or a llama.cpp quantisation ({string.Join(", ", LlamaQuantize.Types)}).", DefaultValueFactory = _ => "f32" };
        var output = new Option<string?>("--out", "-o") { Description = "The GGUF file to write (--format gguf)." };
        var allowMismatch = new Option<bool>("--allow-pretokenizer-mismatch")
        {
            Description = "Export a tokenizer whose pre-tokenisation pattern llama.cpp does not implement (as llama-bpe); llama.cpp then splits some text differently.",
        };
        var name = new Option<string?>("--name") { Description = "general.name in the GGUF file (default: the run directory's name)." };
        var threads = new Option<int>("--threads") { Description = "Quantiser threads (0 = one per core).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("export", "Export a trained model: a GGUF file (f32, f16 or quantised) for llama.cpp, or the Hugging Face tokenizer and generation files.")
        {
            model, format, type, output, allowMismatch, name, threads,
        };
        cmd.SetAction(parse =>
        {
            string dir = Path.GetFullPath(parse.GetValue(model)!);
            if (!Directory.Exists(dir)) throw new CliUsageException($"--model {dir}: no such directory");
            int nThreads = parse.GetValue(threads);
            if (nThreads < 0) throw new CliUsageException($"--threads must be >= 0, got {nThreads}");
            switch (parse.GetValue(format))
            {
                case "gguf":
                {
                    string outPath = parse.GetValue(output) ?? throw new CliUsageException("--format gguf needs --out FILE.gguf");
                    if (Directory.Exists(outPath)) throw new CliUsageException($"--out {outPath} is a directory; give the GGUF file to write");
                    var r = GgufExport.Export(dir, outPath, new GgufExportOptions
                    {
                        Type = parse.GetValue(type)!, AllowPretokenizerMismatch = parse.GetValue(allowMismatch), Name = parse.GetValue(name), Threads = nThreads,
                    });
                    foreach (var note in r.Notes) io.Err.WriteLine($"note: {note}");
                    io.Out.WriteLine($"{r.Path}: {r.Architecture}, {r.Type}, {r.Tensors} tensors, {r.Bytes / 1e6:F2} MB");
                    return ExitCodes.Ok;
                }
                case "hf":
                {
                    if (parse.GetValue(output) is not null) throw new CliUsageException("--format hf writes into the model directory; --out is for --format gguf");
                    var cfg = Trainer.ReadExportedConfig(dir);
                    var tok = GgufExport.ReadByteBpe(dir);
                    HfTokenizerFiles.Write(tok, dir, cfg.Model.ContextLength);
                    File.WriteAllText(Path.Combine(dir, "generation_config.json"), Trainer.GenerationConfig(cfg.Model, cfg.Eot));
                    io.Out.WriteLine($"{dir}: {HfTokenizerFiles.TokenizerJson}, {HfTokenizerFiles.TokenizerConfigJson}, generation_config.json");
                    return ExitCodes.Ok;
                }
                case var other:
                    throw new CliUsageException($"--format must be gguf or hf, got '{other}'");
            }
        });
        return cmd;
    }
}
