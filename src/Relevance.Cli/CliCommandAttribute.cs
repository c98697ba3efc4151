using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Spectre.Console.Cli;

namespace Relevance.Cli;

/// <summary>
/// Marks a Spectre.Console.Cli command for registration under <see cref="Name"/> (space-separated
/// words make a branch: "bench labeling"). Each command lives in its own file under Commands/.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CliCommandAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; } = description;
    public string[] Examples { get; init; } = [];
}

public static class CliCommandRegistry
{
    [UnconditionalSuppressMessage("Trimming", "IL2060", Justification = "The CLI is not trimmed.")]
    public static void RegisterCliCommands(this IConfigurator config, params Assembly[] more)
    {
        var commands = more.Prepend(typeof(CliCommandRegistry).Assembly).Distinct().SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Attr: t.GetCustomAttribute<CliCommandAttribute>()))
            .Where(c => c.Attr is not null && !c.Type.IsAbstract)
            .OrderBy(c => c.Attr!.Name, StringComparer.Ordinal)
            .ToList();

        var add = typeof(IConfigurator).GetMethod(nameof(IConfigurator.AddCommand))!;
        var addInBranch = typeof(IConfigurator<CommandSettings>).GetMethod(nameof(IConfigurator<CommandSettings>.AddCommand))!;

        foreach (var group in commands.GroupBy(c => c.Attr!.Name.Contains(' ') ? c.Attr.Name.Split(' ')[0] : ""))
        {
            if (group.Key.Length == 0)
            {
                foreach (var (type, attr) in group)
                {
                    Describe((ICommandConfigurator)add.MakeGenericMethod(type).Invoke(config, [attr!.Name])!, attr!);
                }
                continue;
            }
            config.AddBranch(group.Key, branch =>
            {
                branch.SetDescription($"{group.Key} commands");
                foreach (var (type, attr) in group)
                {
                    var leaf = attr!.Name[(group.Key.Length + 1)..];
                    Describe((ICommandConfigurator)addInBranch.MakeGenericMethod(type).Invoke(branch, [leaf])!, attr);
                }
            });
        }
    }

    private static void Describe(ICommandConfigurator command, CliCommandAttribute attr)
    {
        command.WithDescription(attr.Description);
        foreach (var example in attr.Examples) command.WithExample(example.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
