using System.ComponentModel;
using Spectre.Console.Cli;

namespace Relevance.Cli.Commands;

/// <summary>The settings every command that builds a host or reads configuration shares: one declaration of <c>--set</c>.</summary>
public abstract class ConfigurableSettings : CommandSettings
{
    [CommandOption("--set <KEY=VALUE>")]
    [Description("Configuration override, e.g. Database:Provider=Postgres or Slm:IntraOpThreads=2 (repeatable)")]
    public string[]? Set { get; init; }
}
