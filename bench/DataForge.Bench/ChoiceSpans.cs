using System.Diagnostics;
using System.Text.Json;
using DataForge.Tokenization;
using DataForge.Training;
using DataForge.Training.Evaluation;
using TorchSharp;

namespace DataForge.Bench;

/// <summary>
/// choice-spans --model DIR --tasks TASKS.json --out FILE.json: the exact sequences `dataforge eval` scores for
/// each multiple_choice task (the same item reading, tokenizer split and batching, through Scorer), with the
/// log-likelihood DataForge gives each, so a peer implementation can score the same batches and compare.
/// </summary>
static class ChoiceSpans
{
    sealed class Codec(TextTokenizer t) : ITextCodec
    {
        public int[] Encode(string text) => t.Encode(text);
        public string Decode(IReadOnlyList<int> ids) => t.Decode(ids.ToArray());
        public void ExportTo(string dir) => t.ExportTo(dir);
    }

    static string Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} is required");
    }

    public static int Export(string[] args)
    {
        string modelDir = Path.GetFullPath(Arg(args, "--model")), tasksFile = Arg(args, "--tasks"), output = Arg(args, "--out");
        var tasks = EvalTasks.Load(tasksFile);
        var (model, eot) = Trainer.LoadModel(modelDir, torch.CPU);
        using var _ = model;
        var scorer = new Scorer(model, new Codec(TextTokenizer.Load(modelDir)), eot, tasks.BatchSize);
        var result = new List<object>();
        foreach (var task in tasks.Tasks.Where(t => t.Kind == "multiple_choice"))
        {
            if (task.FewShot > 0) throw new NotSupportedException($"{task.Name}: few-shot tasks are not exported");
            var data = new TaskData(task, tasks.BaseDirectory);
            var items = data.ChoiceItems(data.Files(task.Data));
            if (task.Limit > 0 && items.Count > task.Limit) items = items.Take(task.Limit).ToList();
            // The requests Evaluator.MultipleChoice makes (no few-shot prefix).
            var requests = items.SelectMany(it => it.Continuations.Select(c => (it.Context, c))).ToList();
            var spans = scorer.Spans(requests);
            var clock = Stopwatch.StartNew();
            var scores = scorer.Score(spans);
            double seconds = clock.Elapsed.TotalSeconds;
            result.Add(new
            {
                task = task.Name,
                items = items.Count,
                choices = items.Select(it => it.Continuations.Count).ToArray(),
                gold = items.Select(it => it.Gold).ToArray(),
                input_tokens = spans.Sum(s => (long)s.Input.Length),
                scored_tokens = spans.Sum(s => (long)(s.Input.Length - s.From)),
                score_seconds = Math.Round(seconds, 3),
                batches = scorer.Batches(spans),
                spans = spans.Select((s, i) => new { input = s.Input, targets = s.Targets, from = s.From, logprob = scores[i].LogProb }),
            });
            Console.Error.WriteLine($"{task.Name}: {items.Count} items, {spans.Count} sequences, {spans.Sum(s => s.Input.Length):N0} input tokens, scored in {seconds:F2}s");
        }
        File.WriteAllText(output, JsonSerializer.Serialize(result));
        return 0;
    }
}
