return await Relevance.Cli.CliApp.RunAsync(args, "relevance-lab", typeof(Relevance.Lab.Commands.BenchLabelingCommand).Assembly);
