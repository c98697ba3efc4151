return await Relevance.Cli.CliApp.RunAsync(args);
