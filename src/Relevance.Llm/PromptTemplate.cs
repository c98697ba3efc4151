using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Relevance.Llm;

/// <summary>
/// A versioned prompt file (embedded resource <c>Prompts/NAME.vN.txt</c>) with <c>{{placeholder}}</c>
/// slots. Loading checks the file's placeholders against the set the code fills, both ways, so a
/// typo in either fails at start instead of sending a prompt with a literal <c>{{qeury}}</c>.
/// The file may hold a <c>### system</c> and a <c>### user</c> section (one chat message each).
/// <see cref="Version"/> is the file name plus a hash of its text: editing a prompt without bumping
/// its version still changes the cache key, so stale cached answers are never reused.
/// </summary>
public sealed partial class PromptTemplate
{
    private PromptTemplate(string name, string text, IReadOnlySet<string> placeholders)
    {
        Name = name;
        Text = text;
        Placeholders = placeholders;
        Version = $"{name}@{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8]}";
    }

    /// <summary>The file name without extension, e.g. <c>teacher.v1</c>.</summary>
    public string Name { get; }

    /// <summary><c>teacher.v1@1a2b3c4d</c>: the cache and every judgment record this.</summary>
    public string Version { get; }

    public string Text { get; }
    public IReadOnlySet<string> Placeholders { get; }

    public static PromptTemplate Parse(string name, string text, IEnumerable<string> expected)
    {
        var found = Slot().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var want = expected.ToHashSet(StringComparer.Ordinal);
        var unknown = found.Except(want).Order().ToList();
        var missing = want.Except(found).Order().ToList();
        if (unknown.Count > 0 || missing.Count > 0)
        {
            throw new InvalidOperationException($"Prompt '{name}': " +
                (unknown.Count > 0 ? $"unknown placeholder(s) {string.Join(", ", unknown.Select(u => "{{" + u + "}}"))}" : "") +
                (unknown.Count > 0 && missing.Count > 0 ? "; " : "") +
                (missing.Count > 0 ? $"missing placeholder(s) {string.Join(", ", missing.Select(u => "{{" + u + "}}"))}" : "") + ".");
        }
        if (text.Contains("{{", StringComparison.Ordinal) && Slot().Matches(text).Count != CountOpen(text))
        {
            throw new InvalidOperationException($"Prompt '{name}': a '{{{{' that is not a well-formed placeholder.");
        }
        return new PromptTemplate(name, text.ReplaceLineEndings("\n"), found);
    }

    /// <summary>Loads <c>Prompts/{name}.txt</c> from this assembly's embedded resources.</summary>
    public static PromptTemplate Load(string name, params string[] expected)
    {
        var resource = $"Relevance.Llm.Prompts.{name}.txt";
        using var stream = typeof(PromptTemplate).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Prompt resource {resource} not found; embedded: {string.Join(", ", typeof(PromptTemplate).Assembly.GetManifestResourceNames())}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(name, reader.ReadToEnd(), expected);
    }

    /// <summary>Fills every placeholder; a value for each is required and no extra value is accepted.</summary>
    public IReadOnlyList<LlmMessage> Render(IReadOnlyDictionary<string, string> values)
    {
        var extra = values.Keys.Where(k => !Placeholders.Contains(k)).ToList();
        var absent = Placeholders.Where(p => !values.ContainsKey(p)).ToList();
        if (extra.Count > 0 || absent.Count > 0)
        {
            throw new ArgumentException($"Prompt '{Name}': values without a placeholder [{string.Join(", ", extra)}], placeholders without a value [{string.Join(", ", absent)}].");
        }
        // Split into messages before filling, so a value can never open a message of its own; one pass
        // per section, so a value that itself contains "{{x}}" is never expanded again.
        return Split(Text).Select(m => m with { Content = Slot().Replace(m.Content, x => values[x.Groups[1].Value]) }).ToList();
    }

    private static IReadOnlyList<LlmMessage> Split(string filled)
    {
        var headers = SectionHeader().Matches(filled);
        if (headers.Count == 0) return [new LlmMessage("user", filled.Trim())];
        var messages = new List<LlmMessage>();
        for (var i = 0; i < headers.Count; i++)
        {
            var start = headers[i].Index + headers[i].Length;
            var end = i + 1 < headers.Count ? headers[i + 1].Index : filled.Length;
            messages.Add(new LlmMessage(headers[i].Groups[1].Value, filled[start..end].Trim()));
        }
        return messages;
    }

    private static int CountOpen(string text)
    {
        var n = 0;
        for (var i = text.IndexOf("{{", StringComparison.Ordinal); i >= 0; i = text.IndexOf("{{", i + 2, StringComparison.Ordinal)) n++;
        return n;
    }

    [GeneratedRegex(@"\{\{([a-z_]+)\}\}")]
    private static partial Regex Slot();

    [GeneratedRegex(@"^### (system|user)[ \t]*\n", RegexOptions.Multiline)]
    private static partial Regex SectionHeader();
}

/// <summary>One chat message: role is system, user or assistant.</summary>
public sealed record LlmMessage(string Role, string Content);
