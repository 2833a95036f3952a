using System.CommandLine;
using DataForge.Training;
using TorchSharp;

namespace DataForge.Cli;

public static class GenerateCommand
{
    public static Command Build(CliIO io)
    {
        TokenizerCodec.Register();
        var model = new Option<string>("--model", "-m") { Description = "A run's final/ or checkpoint directory.", Required = true };
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to continue.", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 100 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (0 = greedy).", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all).", DefaultValueFactory = _ => 40 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling: smallest set with this total probability (1 = all).", DefaultValueFactory = _ => 0.95 };
        var seed = new Option<long>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 1 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the model directory)." };
        var chat = new Option<bool>("--chat") { Description = "Treat the prompt as a user message: apply the chat template the model was fine-tuned with (default Llama-3-like) and print the assistant's reply, which ends at the end of its turn." };
        var system = new Option<string?>("--system") { Description = "With --chat: the system message (default: the one the model was fine-tuned with, if any)." };
        var cmd = new Command("generate", "Continue a prompt with a trained model, or answer it as a chat (--chat).") { model, prompt, maxTokens, temperature, topK, topP, seed, tokenizer, chat, system };
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(maxTokens);
            if (n < 1) throw new CliUsageException($"--max-tokens must be >= 1, got {n}");
            double t = parse.GetValue(temperature), p = parse.GetValue(topP);
            if (t < 0) throw new CliUsageException($"--temperature must be >= 0, got {t}");
            if (p is <= 0 or > 1) throw new CliUsageException($"--top-p must be in (0, 1], got {p}");
            string dir = parse.GetValue(model)!;
            if (!Directory.Exists(dir)) throw new CliUsageException($"--model {dir}: no such directory");
            // The model first: a directory that is not a model at all is named as such, not as a missing tokenizer.
            var (m, eot) = Trainer.LoadModel(dir, torch.CPU);
            using (m)
            {
                var codec = Codecs.Load(parse.GetValue(tokenizer) ?? dir);
                string text = parse.GetValue(prompt)!;
                if (parse.GetValue(chat))
                {
                    var (template, defaultSystem) = SftTrainer.ChatOf(dir);
                    var encoder = new ChatEncoder(codec, template, eot);
                    var conversation = new Conversation(parse.GetValue(system) ?? defaultSystem, [new DataForge.Synth.ChatMessage("user", text)]);
                    var (reply, _) = SftTrainer.Reply(m, encoder, conversation, n, t, parse.GetValue(seed), false, parse.GetValue(topK), p);
                    io.Out.WriteLine(codec.Decode(reply));
                    return ExitCodes.Ok;
                }
                if (parse.GetValue(system) is not null) throw new CliUsageException("--system needs --chat");
                var ids = Generator.Generate(m, codec.Encode(text), n, t, parse.GetValue(topK), p, parse.GetValue(seed), eot);
                io.Out.WriteLine(text + codec.Decode(ids));
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
