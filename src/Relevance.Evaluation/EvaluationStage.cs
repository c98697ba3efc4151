using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Evaluation;

public static class EvaluationStage
{
    public const string Name = "evaluation";

    /// <summary>Registers the evaluation stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
