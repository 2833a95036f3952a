using System.Diagnostics;
using DataForge.Tests;
using SkiaSharp;

namespace DataForge.Reports.Tests;

/// <summary>Opens a report in headless Chromium (Debian package <c>chromium</c>, installed by .ci/run) and checks the figures were drawn.</summary>
public class RenderTests
{
    [Fact]
    public void Headless_chromium_draws_every_figure_of_a_pipeline_report()
    {
        using var dir = new TempDir();
        string input = Runs.WriteCorpus(dir, "in.jsonl", 300);
        string output = dir["curated"];
        Runs.Run(Runs.PipelineJson(input, output, """{ "type": "length_filter", "min_words": 20 }"""));
        string html = ReportBuilder.Write(output);
        string png = dir["shot.png"];
        Screenshot(html, png, 1200, 4000);

        using var bmp = SKBitmap.Decode(png) ?? throw new InvalidDataException($"{png}: not a PNG");
        long blue = 0, red = 0, white = 0;
        for (int y = 0; y < bmp.Height; y++)
            for (int x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                if (Near(c, 70, 130, 180)) blue++;       // SteelBlue: funnel and length bars
                else if (Near(c, 205, 92, 92)) red++;    // IndianRed: drop-reason bars
                else if (c.Red > 250 && c.Green > 250 && c.Blue > 250) white++;
            }
        long total = (long)bmp.Width * bmp.Height;
        Assert.True(white < total * 0.97, $"page is nearly blank: {white} of {total} pixels white");
        Assert.True(blue > 20_000, $"bar charts not drawn: {blue} steel-blue pixels");
        Assert.True(red > 2_000, $"drop-reason chart not drawn: {red} red pixels");
    }

    [Fact]
    public void Headless_chromium_draws_the_grouped_bars_comparing_evaluated_models()
    {
        using var dir = new TempDir();
        dir.Write("run/eval.json", EvaluationReportTests.FullEval);
        dir.Write("big/eval.json", EvaluationReportTests.BigEval);
        string html = ReportBuilder.Write(dir.Path);
        string png = dir["shot.png"];
        Screenshot(html, png, 1200, 2500);

        using var bmp = SKBitmap.Decode(png) ?? throw new InvalidDataException($"{png}: not a PNG");
        long blue = 0, orange = 0;
        for (int y = 0; y < bmp.Height; y++)
            for (int x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                if (Near(c, 70, 130, 180)) blue++;         // SteelBlue: the first model's bars
                else if (Near(c, 255, 140, 0)) orange++;   // DarkOrange: the second model's bars
            }
        // Bits per byte (1.2 to 1.35) spans most of the value axis; every bar of both models is drawn.
        Assert.True(blue > 5_000, $"first model's bars not drawn: {blue} steel-blue pixels");
        Assert.True(orange > 5_000, $"second model's bars not drawn: {orange} dark-orange pixels");
    }

    static bool Near(SKColor c, int r, int g, int b) => Math.Abs(c.Red - r) < 12 && Math.Abs(c.Green - g) < 12 && Math.Abs(c.Blue - b) < 12;

    static void Screenshot(string htmlPath, string pngPath, int width, int height)
    {
        string browser = FindChromium();
        var psi = new ProcessStartInfo(browser)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--window-size={width},{height}",
                     $"--screenshot={pngPath}", new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{browser} did not finish in 120 s"); }
        Assert.True(File.Exists(pngPath), $"{browser} wrote no screenshot (exit {p.ExitCode}): {err.Result}");
    }

    static string FindChromium()
    {
        if (Environment.GetEnvironmentVariable("DATAFORGE_CHROMIUM") is { Length: > 0 } env) return env;
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
            foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
                if (File.Exists(Path.Combine(d, name))) return Path.Combine(d, name);
        throw new InvalidOperationException("headless Chromium is needed to render the report: apt-get install chromium (or set DATAFORGE_CHROMIUM)");
    }
}
