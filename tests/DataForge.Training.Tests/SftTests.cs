using System.Text;
using System.Text.Json;
using DataForge.Execution;
using DataForge.Synth;
using DataForge.Tests;
using DataForge.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace DataForge.Training.Tests;

public class SftDataTests
{
    const string Template = "U: {user}\nA: {assistant}\n";

    [Fact]
    public void Chat_format_text_parses_back_into_the_turns_it_was_rendered_from()
    {
        var t = new ChatTemplate(ChatTemplate.Llama3);
        var turns = new List<ChatMessage> { new("user", "Hi"), new("assistant", "Hello!"), new("user", "2+2?"), new("assistant", "4") };
        var parsed = t.Parse(t.Render("Be brief.", turns), out var error);
        Assert.Null(error);
        Assert.Equal("Be brief.", parsed!.Value.System);
        Assert.Equal(turns, parsed.Value.Messages);
        Assert.Null(t.Parse("<|begin_of_text|>hello", out error));
        Assert.Contains("turn header", error);
    }

    [Fact]
    public void Records_of_every_format_are_read_and_bad_lines_are_named()
    {
        using var dir = new TempDir();
        var t = new ChatTemplate(ChatTemplate.Llama3);
        string path = dir["chat.jsonl"];
        File.WriteAllLines(path, [
            JsonSerializer.Serialize(new { instruction = "Add", input = "2 and 3", output = "5" }),
            JsonSerializer.Serialize(new { messages = new[] { new { role = "system", content = "S" }, new { role = "user", content = "a" }, new { role = "assistant", content = "b" } } }),
            JsonSerializer.Serialize(new { text = t.Render(null, [new("user", "q"), new("assistant", "r")]), source = "chat" }),
        ]);
        var c = SftData.Read(path, t, "default system");
        Assert.Equal(3, c.Count);
        Assert.Equal([new ChatMessage("user", "Add\n\n2 and 3"), new ChatMessage("assistant", "5")], c[0].Messages);
        Assert.Equal("default system", c[0].System);
        Assert.Equal("S", c[1].System);
        Assert.Equal([new ChatMessage("user", "q"), new ChatMessage("assistant", "r")], c[2].Messages);

        File.WriteAllLines(path, ["{\"instruction\": \"x\", \"output\": \"y\"}", "{\"instruction\": \"no output\"}"]);
        var ex = Assert.Throws<InputException>(() => SftData.Read(path, t, null));
        Assert.Contains("chat.jsonl:2", ex.Message);
        Assert.Contains("\"output\"", ex.Message);
        File.WriteAllLines(path, ["{\"messages\": [{\"role\": \"user\", \"content\": \"only a question\"}]}"]);
        Assert.Contains("end with an assistant turn", Assert.Throws<InputException>(() => SftData.Read(path, t, null)).Message);
    }

    [Fact]
    public void Only_assistant_tokens_and_their_end_of_turn_are_targets_and_packing_restarts_positions()
    {
        var encoder = new ChatEncoder(new ByteCodec(), new ChatTemplate(Template), Fixtures.Eot);
        var a = encoder.Encode(new Conversation(null, [new("user", "hi"), new("assistant", "yo")]));
        // "U: hi" <eot> "A: yo" <eot>
        Assert.Equal(Encoding.UTF8.GetBytes("U: hi").Select(b => (int)b).Append(Fixtures.Eot).Concat(Encoding.UTF8.GetBytes("A: yo").Select(b => (int)b)).Append(Fixtures.Eot), a.Ids);
        Assert.Equal(Enumerable.Repeat(false, 9).Concat(Enumerable.Repeat(true, 3)), a.Train);
        var b = encoder.Encode(new Conversation(null, [new("user", "x"), new("assistant", "z")]));
        var windows = SftData.Pack([a, b], 32, pack: true, pad: Fixtures.Eot, out int truncated);
        Assert.Equal(0, truncated);
        var w = Assert.Single(windows);
        Assert.Equal(Enumerable.Range(0, 11).Concat(Enumerable.Range(0, 9)).Concat(Enumerable.Range(0, 12)).Select(i => (long)i), w.Position);
        Assert.Equal(Enumerable.Repeat(0, 11).Concat(Enumerable.Repeat(1, 9)).Concat(Enumerable.Repeat(2, 12)), w.Segment);
        // Targets: the next token where it is the assistant's, else ignored: "yo" and <eot> of each conversation.
        var trained = w.Target.Select((t, i) => (t, i)).Where(x => x.t != GptModel.IgnoreTarget).ToList();
        Assert.Equal([(long)'y', 'o', Fixtures.Eot, 'z', Fixtures.Eot], trained.Select(x => x.t));
        Assert.Equal([8, 9, 10, 18, 19], trained.Select(x => x.i));
        Assert.Equal(2, SftData.Pack([a, b], 32, pack: false, pad: Fixtures.Eot, out _).Count);
        Assert.Equal(2, SftData.Pack([a, b], 16, pack: true, pad: Fixtures.Eot, out _).Count);
        Assert.Single(SftData.Pack([a], 8, pack: true, pad: Fixtures.Eot, out truncated));
        Assert.Equal(1, truncated);

        var mask = SftData.BlockCausalMask(windows, 32);
        Assert.True(mask[12 * 32 + 11]);    // position 12 (second conversation) sees 11 (its first token)
        Assert.False(mask[12 * 32 + 10]);   // ... but not the first conversation
        Assert.False(mask[11 * 32 + 12]);   // nor the future
    }

    [Fact]
    public void Hold_out_takes_the_fraction_by_seed_and_keeps_order()
    {
        var all = Enumerable.Range(0, 40).Select(i => new Conversation(null, [new("user", $"q{i}"), new("assistant", $"a{i}")])).ToList();
        var (train, val) = SftData.HoldOut(all, 0.1, 5);
        Assert.Equal(36, train.Count);
        Assert.Equal(4, val.Count);
        Assert.Empty(train.Intersect(val));
        Assert.Equal(val, SftData.HoldOut(all, 0.1, 5).Val);
        Assert.NotEqual(val, SftData.HoldOut(all, 0.1, 6).Val);
        Assert.Equal(val.OrderBy(all.IndexOf), val);
    }
}

[Collection("torch random")]
public class SftTrainingTests
{
    static ModelOptions TinyModel(string architecture) => architecture == "ngpt"
        ? new() { Architecture = "ngpt", ContextLength = 32, NLayers = 2, DModel = 32, NHeads = 2, Mlp = "swiglu", TieEmbeddings = false }
        : new() { ContextLength = 32, NLayers = 2, DModel = 32, NHeads = 2, Mlp = "swiglu", TieEmbeddings = false };

    [Theory]
    [InlineData("gpt")]
    [InlineData("ngpt")]
    public void The_masked_loss_and_its_gradients_equal_a_cross_entropy_over_the_unmasked_targets_computed_by_hand(string architecture)
    {
        using var model = new GptModel(TinyModel(architecture), Fixtures.Vocab, torch.CPU, 3);
        var input = torch.randint(0, 256, [2, 12], dtype: int64);
        var target = torch.randint(0, 256, [2, 12], dtype: int64);
        var keep = torch.rand(2, 12).lt(0.5);
        keep[0, 0] = torch.tensor(true);
        var masked = target.masked_fill(keep.logical_not(), GptModel.IgnoreTarget);

        var loss = model.MaskedLossSum(input, masked, false, false) / keep.sum();
        loss.backward();
        var grads = model.Parameters.Select(p => p.Param.grad!.clone()).ToList();
        foreach (var (_, p) in model.Parameters) p.grad!.zero_();

        // By hand: log-probabilities of the kept targets only.
        var logp = F.log_softmax(model.Forward(input, false, false), -1);
        var picked = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1);
        var byHand = -picked.masked_select(keep).mean();
        byHand.backward();
        Assert.Equal(byHand.item<float>(), loss.item<float>(), 5);
        for (int i = 0; i < grads.Count; i++)
            Assert.True(torch.allclose(grads[i], model.Parameters[i].Param.grad!, 1e-4, 1e-6), model.Parameters[i].Name);

        // A masked position receives no gradient: the last input token (only there, and causal attention lets it
        // reach nothing but its own output) gets an embedding gradient exactly when its target is trained.
        double LastTokenGradient(bool trained)
        {
            foreach (var (_, p) in model.Parameters) p.grad!.zero_();
            var ids = input.clone();
            ids[torch.TensorIndex.Colon, -1] = torch.tensor((long)Fixtures.Eot);
            var k = keep.clone();
            k[torch.TensorIndex.Colon, -1] = torch.tensor(trained);
            (model.MaskedLossSum(ids, target.masked_fill(k.logical_not(), GptModel.IgnoreTarget), false, false) / k.sum()).backward();
            return model["model.embed_tokens.weight"].grad![Fixtures.Eot].abs().sum().item<float>();
        }
        Assert.Equal(0.0, LastTokenGradient(trained: false));
        Assert.True(LastTokenGradient(trained: true) > 1e-6);
    }

    [Theory]
    [InlineData("gpt", false)]
    [InlineData("ngpt", false)]
    [InlineData("gpt", true)]
    public void With_block_attention_the_second_packed_conversation_has_the_logits_it_has_alone(string architecture, bool bf16)
    {
        using var model = new GptModel(TinyModel(architecture), Fixtures.Vocab, torch.CPU, 5);
        var encoder = new ChatEncoder(new ByteCodec(), new ChatTemplate("U: {user}\nA: {assistant}\n"), Fixtures.Eot);
        var first = encoder.Encode(new Conversation(null, [new("user", "hello"), new("assistant", "hi there")]));
        var second = encoder.Encode(new Conversation(null, [new("user", "2+2"), new("assistant", "4")]));
        using var noGrad = torch.no_grad();
        var packed = SftData.Pack([first, second], 32, true, Fixtures.Eot, out _);
        var alone = SftData.Pack([second], 32, true, Fixtures.Eot, out _);
        Tensor Logits(List<SftWindow> w, bool block)
        {
            var ids = torch.tensor(w[0].Input, [1, 32], int64);
            var pos = block ? torch.tensor(w[0].Position, [1, 32], int64) : null;
            var vis = block ? torch.tensor(SftData.BlockCausalMask(w, 32), [1, 1, 32, 32], ScalarType.Bool) : null;
            return model.Output(model.Hidden(ids, bf16, false, pos, vis), bf16).to(ScalarType.Float32);
        }
        int start = first.Ids.Length - 1, n = second.Ids.Length - 1;
        var inPack = Logits(packed, true)[0].narrow(0, start, n);
        var byItself = Logits(alone, false)[0].narrow(0, 0, n);
        Assert.True(torch.allclose(inPack, byItself, bf16 ? 2e-2 : 1e-5, bf16 ? 2e-2 : 1e-5), $"max diff {(inPack - byItself).abs().max().item<float>()}");
        // Without the mask the first conversation leaks into the second.
        var leaky = Logits(packed, false)[0].narrow(0, start, n);
        Assert.False(torch.allclose(leaky, byItself, 1e-3, 1e-3));
    }

    static string Pretrained(TempDir dir)
    {
        string data = Fixtures.TokenDir(dir, "data", string.Concat(Enumerable.Repeat(Fixtures.Text, 4)));
        var o = Fixtures.Tiny(dir["pre"], data, steps: 30);
        o.Model.ContextLength = 48;
        Trainer.Run(o, new TrainRunOptions { LoadCodec = _ => new ByteCodec() });
        return Path.Combine(dir["pre"], "final");
    }

    static TrainOptions Sft(string output, string init, string train, int epochs, string extra = "")
    {
        string json = $$"""
        {
          "task": "sft", "output": {{Fixtures.Json(output)}}, "init_from": {{Fixtures.Json(init)}}, "threads": 1,
          "optimizer": {"lr": 0.01, "min_lr": 0.001, "weight_decay": 0.0},
          "batch": {"micro_batch": 4},
          "sft": {"train": [{{Fixtures.Json(train)}}], "template": "U: {user}\nA: {assistant}\n", "epochs": {{epochs}}, "val_fraction": 0.2 {{extra}}},
          "eval": {"every": 0, "log_every": 1, "checkpoint_every": 0, "sample_prompts": ["capital of France?"], "sample_tokens": 24}
        }
        """;
        return TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "sft.json");
    }

    static string Conversations(TempDir dir)
    {
        string path = dir["alpaca.jsonl"];
        var qa = new[] { ("capital of France?", "Paris."), ("capital of Italy?", "Rome."), ("capital of Spain?", "Madrid."), ("capital of Japan?", "Tokyo."), ("capital of Peru?", "Lima.") };
        File.WriteAllLines(path, Enumerable.Range(0, 10).Select(i => JsonSerializer.Serialize(new { instruction = qa[i % 5].Item1, output = qa[i % 5].Item2 })));
        return path;
    }

    [Fact]
    public void Fine_tuning_answers_in_the_template_and_ends_the_reply_with_the_end_of_turn_token()
    {
        using var dir = new TempDir();
        string init = Pretrained(dir);
        var o = Sft(dir["sft"], init, Conversations(dir), epochs: 40);
        var r = SftTrainer.Run(o, new TrainRunOptions { LoadCodec = _ => new ByteCodec() });
        Assert.NotNull(r.ValLoss);
        Assert.True(r.ValLoss < 0.5, $"val loss {r.ValLoss}");
        var lines = File.ReadAllLines(Path.Combine(r.RunDirectory, "metrics.jsonl"));
        Assert.Contains("val_loss", lines[^1]);
        var (model, eot) = Trainer.LoadModel(Path.Combine(r.RunDirectory, "final"), torch.CPU);
        using (model)
        {
            var (template, _) = SftTrainer.ChatOf(Path.Combine(r.RunDirectory, "final"));
            var encoder = new ChatEncoder(new ByteCodec(), template, eot);
            var (reply, ended) = SftTrainer.Reply(model, encoder, new Conversation(null, [new("user", "capital of France?")]), 24, 0, 1, false);
            Assert.True(ended);
            Assert.Equal("A: Paris.", "A: " + new ByteCodec().Decode(reply));
        }
        Assert.Contains("Paris.\n[end of turn]", File.ReadAllText(Path.Combine(r.RunDirectory, "samples.txt")));
    }

    [Fact]
    public void Sft_resume_gives_the_same_losses_and_weights()
    {
        using var dir = new TempDir();
        string init = Pretrained(dir);
        string data = Conversations(dir);
        var full = SftTrainer.Run(Sft(dir["a"], init, data, epochs: 3), new TrainRunOptions { LoadCodec = _ => new ByteCodec() });
        var o = Sft(dir["b"], init, data, epochs: 3);
        Assert.Throws<TrainingInterruptedException>(() => SftTrainer.Run(o, new TrainRunOptions { LoadCodec = _ => new ByteCodec(), StopAfterStep = 2 }));
        var resumed = SftTrainer.Run(o, new TrainRunOptions { LoadCodec = _ => new ByteCodec(), Resume = true });
        Assert.Equal(File.ReadAllLines(Path.Combine(full.RunDirectory, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()),
            File.ReadAllLines(Path.Combine(resumed.RunDirectory, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()));
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.RunDirectory, "final", "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed.RunDirectory, "final", "model.safetensors")));
    }

    [Fact]
    public void Sft_config_errors_name_their_options()
    {
        string json = """{"task": "sft", "output": "x", "steps": 5, "model": {"d_model": 64}, "phases": [{"name": "a", "sources": [{"path": "d"}]}]}""";
        var ex = Assert.Throws<DataForge.Configuration.ConfigException>(() => TrainOptions.Parse(Encoding.UTF8.GetBytes(json), "t.json"));
        var text = string.Join("\n", ex.Errors.Select(e => e.ToString()));
        Assert.Contains("$.init_from", text);
        Assert.Contains("$.sft", text);
        Assert.Contains("$.steps", text);
        Assert.Contains("$.model", text);
        Assert.Contains("$.phases", text);
    }
}
