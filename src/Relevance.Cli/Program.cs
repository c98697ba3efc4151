using Relevance.Cli;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("relevance");
    config.RegisterCliCommands();
});
return await app.RunAsync(args);
