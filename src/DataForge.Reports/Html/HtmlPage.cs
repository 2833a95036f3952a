using System.Net;
using System.Text;

namespace DataForge.Reports.Html;

/// <summary>A table cell shown in bold: the best value of a comparison column.</summary>
public sealed record Strong(object? Value);

/// <summary>A measured value with its standard error, shown as "v ± e" (just "v" when the error is unknown).</summary>
public sealed record WithError(double Value, double Error);

/// <summary>
/// A self-contained HTML page (inline CSS, figures as inline SVG): opens offline, can be mailed as one file.
/// </summary>
public sealed class HtmlPage(string title)
{
    readonly StringBuilder _body = new();
    readonly List<(string Id, string Title)> _toc = [];

    public string Title { get; } = title;

    /// <summary>Section ids in order (tests check that every expected section is present).</summary>
    public IReadOnlyList<string> SectionIds => _toc.Select(t => t.Id).ToList();

    public HtmlPage Section(string id, string title)
    {
        _toc.Add((id, title));
        _body.Append("<section id=\"").Append(Escape(id)).Append("\"><h2>").Append(Escape(title)).Append("</h2>\n");
        return this;
    }

    public HtmlPage EndSection()
    {
        _body.Append("</section>\n");
        return this;
    }

    public HtmlPage Paragraph(string text)
    {
        _body.Append("<p>").Append(Escape(text)).Append("</p>\n");
        return this;
    }

    public HtmlPage Preformatted(string text)
    {
        _body.Append("<pre>").Append(Escape(text)).Append("</pre>\n");
        return this;
    }

    /// <summary>A figure: inline SVG markup produced by <see cref="Charts.Chart"/>, with a caption.</summary>
    public HtmlPage Figure(string svg, string caption)
    {
        _body.Append("<figure>").Append(svg).Append("<figcaption>").Append(Escape(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    /// <summary>A table; numeric cells are right-aligned.</summary>
    public HtmlPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        _body.Append("<table><thead><tr>");
        foreach (var h in header) _body.Append("<th>").Append(Escape(h)).Append("</th>");
        _body.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row)
            {
                object? inner = cell is Strong s ? s.Value : cell;
                bool numeric = inner is long or int or double or float or WithError;
                _body.Append(numeric ? "<td class=\"n\">" : "<td>");
                if (cell is Strong) _body.Append("<b>").Append(Escape(Format(inner))).Append("</b>");
                else _body.Append(Escape(Format(cell)));
                _body.Append("</td>");
            }
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody></table>\n");
        return this;
    }

    public static string Format(object? cell) => cell switch
    {
        null => "",
        long l => l.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        int i => i.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        double d => FormatNumber(d),
        float f => FormatNumber(f),
        Strong s => Format(s.Value),
        WithError w => double.IsFinite(w.Error) ? FormatNumber(w.Value) + " ± " + FormatNumber(w.Error) : FormatNumber(w.Value),
        _ => cell.ToString() ?? "",
    };

    public static string FormatNumber(double d) =>
        double.IsNaN(d) ? "" :
        Math.Abs(d) >= 1000 ? d.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) :
        Math.Abs(d) >= 10 ? d.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) :
        d.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    public static string Escape(string s) => WebUtility.HtmlEncode(s);

    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Escape(Title)).Append("</title>\n<style>")
          .Append(Css).Append("</style></head><body>\n<h1>").Append(Escape(Title)).Append("</h1>\n<nav><ul>");
        foreach (var (id, t) in _toc) sb.Append("<li><a href=\"#").Append(Escape(id)).Append("\">").Append(Escape(t)).Append("</a></li>");
        sb.Append("</ul></nav>\n").Append(_body).Append("</body></html>\n");
        return sb.ToString();
    }

    const string Css = """
        body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        h1{border-bottom:2px solid #446;padding-bottom:.3em}h2{margin-top:2em;color:#335}
        nav ul{columns:3;list-style:none;padding:0}nav a{color:#335}
        table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccd;padding:.25em .6em}
        th{background:#eef}td.n{text-align:right;font-variant-numeric:tabular-nums}
        figure{margin:1em 0}figcaption{font-size:.85em;color:#555}svg{max-width:100%;height:auto}
        pre{background:#f6f6f8;padding:.8em;overflow-x:auto;white-space:pre-wrap}
        """;
}
