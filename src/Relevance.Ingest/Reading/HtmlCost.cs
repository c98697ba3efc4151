namespace Relevance.Ingest.Reading;

/// <summary>
/// A linear pre-scan of an HTML page that bounds what parsing it will cost. The HTML tree builder looks down
/// the stack of open elements for many tags, so its work grows with the nesting depth at every tag: 100,000
/// nested &lt;div&gt; took over a minute and the walk over such a tree could overflow the stack. The scan follows
/// the tags that need an end tag (void elements, self-closed ones and those whose end tag may be omitted, such
/// as &lt;p&gt; and &lt;li&gt;, never nest here), skips comments and raw text (script, style), and gives up
/// as soon as a limit is passed.
/// </summary>
internal static class HtmlCost
{
    /// <summary>Σ depth over start tags: the scan's measure of the tree builder's work (~10 ns each on a 2-core machine).</summary>
    internal const long MaxWork = 200_000_000;

    private static readonly HashSet<string> NoNesting = new(StringComparer.OrdinalIgnoreCase)
    {
        // void elements
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param", "keygen", "basefont", "bgsound", "frame", "image",
        // end tag may be omitted: a page may open thousands without closing any
        "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head", "body",
    };

    private static readonly HashSet<string> RawText = new(StringComparer.OrdinalIgnoreCase)
        { "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext" };

    /// <returns>Null when the page is within the limits, else the reason it is not parsed.</returns>
    public static string? Check(string html, int maxDepth)
    {
        var stack = new List<string>();
        var open = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        long work = 0;
        var i = 0;
        while ((i = html.IndexOf('<', i)) >= 0)
        {
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                var close = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                if (close < 0) break;
                i = close + 3;
                continue;
            }
            var end = i + 1 < html.Length && html[i + 1] == '/';
            var nameStart = end ? i + 2 : i + 1;
            var n = nameStart;
            while (n < html.Length && (char.IsAsciiLetterOrDigit(html[n]) || html[n] is '-' or '_' or ':')) n++;
            if (n == nameStart || !char.IsAsciiLetter(html[nameStart]))
            {
                // "<!doctype", "<?xml", "< " and stray angle brackets: not an element.
                i++;
                continue;
            }
            var name = html[nameStart..n];
            var gt = TagEnd(html, n);
            if (gt < 0) break;
            if (end)
            {
                if (open.GetValueOrDefault(name) > 0)
                {
                    // Close up to and including the innermost element of that name, as the tree builder would.
                    while (stack.Count > 0)
                    {
                        var top = stack[^1];
                        stack.RemoveAt(stack.Count - 1);
                        open[top]--;
                        if (string.Equals(top, name, StringComparison.OrdinalIgnoreCase)) break;
                    }
                }
            }
            else
            {
                work += stack.Count;
                if (work > MaxWork)
                {
                    return $"The HTML page has too many elements nested too deeply to parse at a bounded cost (over {MaxWork:N0} element-levels); it was not parsed.";
                }
                var selfClosed = html[gt - 1] == '/';
                if (RawText.Contains(name) && !selfClosed)
                {
                    var close = html.IndexOf("</" + name, gt + 1, StringComparison.OrdinalIgnoreCase);
                    if (close < 0) break;
                    i = close;
                    continue;
                }
                if (!selfClosed && !NoNesting.Contains(name))
                {
                    stack.Add(name);
                    open[name] = open.GetValueOrDefault(name) + 1;
                    if (stack.Count > maxDepth)
                    {
                        return $"The HTML page nests elements more than {maxDepth:N0} deep (Ingest:MaxHtmlDepth); it was not parsed.";
                    }
                }
            }
            i = gt + 1;
        }
        return null;
    }

    /// <summary>The index of the '&gt;' that ends a tag, skipping quoted attribute values; -1 when the page ends first.</summary>
    private static int TagEnd(string html, int from)
    {
        char quote = '\0';
        for (var k = from; k < html.Length; k++)
        {
            var c = html[k];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return k;
            }
        }
        return -1;
    }
}
