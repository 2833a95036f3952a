using DataForge.Bench;

// Benchmark helpers: corpus generators for the scripts in bench/.
return args.FirstOrDefault() switch
{
    "gen-web" => WebCorpus.Generate(args[1..]),
    "gen-dups" => DupCorpus.Generate(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dataforge-bench gen-web --out FILE.jsonl --mb N [--seed S] [--low-vocabulary]\n       dataforge-bench gen-dups --out FILE.jsonl --docs N [--seed S] [--dup-fraction F] [--max-edit E]");
    return 2;
}
