using DataForge.Bench;

// Benchmark helpers: corpus generators for the scripts in bench/.
return args.FirstOrDefault() switch
{
    "gen-web" => WebCorpus.Generate(args[1..]),
    "gen-dups" => DupCorpus.Generate(args[1..]),
    "synth-gen" => SynthBench.Generate(args[1..]),
    "idiom-match" => SynthBench.IdiomMatch(args[1..]),
    "gen-quality" => QualityCorpus.Generate(args[1..]),
    "choice-spans" => ChoiceSpans.Export(args[1..]),
    "words" => WordsTool.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dataforge-bench gen-web --out FILE.jsonl --mb N [--seed S] [--low-vocabulary]\n" +
        "       dataforge-bench gen-dups --out FILE.jsonl --docs N [--seed S] [--dup-fraction F] [--max-edit E]\n" +
        "       dataforge-bench synth-gen [--count N]\n" +
        "       dataforge-bench idiom-match --input ZH.jsonl[.gz] --lexicon FILE [--format lines|jieba] [--synthetic N]\n" +
        "       dataforge-bench gen-quality --out DIR [--seed S]\n" +
        "       dataforge-bench choice-spans --model DIR --tasks TASKS.json --out FILE.json\n" +
        "       dataforge-bench words [--sentences] < TEXTS.jsonl");
    return 2;
}
