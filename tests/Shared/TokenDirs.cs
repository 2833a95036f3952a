namespace DataForge.Tests;

/// <summary>Token directories as `mix` writes them (train.bin, val.bin of uint16 ids and tokens.json), built in tests.</summary>
public static class TokenDirs
{
    /// <summary>Writes <paramref name="ids"/> as both train.bin and val.bin under <paramref name="data"/>; returns the directory.</summary>
    public static string Write(string data, IReadOnlyList<int> ids, string? tokenizer, int vocabSize, int eotId)
    {
        Directory.CreateDirectory(data);
        var bin = new byte[ids.Count * 2];
        for (int i = 0; i < ids.Count; i++) { bin[2 * i] = (byte)ids[i]; bin[2 * i + 1] = (byte)(ids[i] >> 8); }
        File.WriteAllBytes(Path.Combine(data, "train.bin"), bin);
        File.WriteAllBytes(Path.Combine(data, "val.bin"), bin);
        string tok = tokenizer is null ? "null" : System.Text.Json.JsonSerializer.Serialize(tokenizer);
        File.WriteAllText(Path.Combine(data, "tokens.json"), $"{{\"tokenizer\": {tok}, \"vocab_size\": {vocabSize}, \"eot_id\": {eotId}, \"dtype\": \"uint16\"}}");
        return data;
    }
}
