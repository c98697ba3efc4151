using Microsoft.Extensions.Hosting;
using Relevance.ServiceDefaults;

namespace Relevance.Teacher;

public static class TeacherStage
{
    public const string Name = "teacher";

    /// <summary>Registers the teacher stage's services and, when configuration selects the stage, its consumers.</summary>
    public static IHostApplicationBuilder AddTeacher(this IHostApplicationBuilder builder)
    {
        builder.AddStage(Name, _ => { });
        return builder;
    }
}
