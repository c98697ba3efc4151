using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Relevance.Data.Entities;

/// <summary>
/// One evaluation of search systems' runs: its settings, where the grades came from, and the whole result
/// document (<see cref="ResultJson"/>, the <c>--json</c> output). A submission's evaluation is keyed by
/// <see cref="SubmissionId"/>, so a redelivered submission finds it instead of evaluating twice.
/// </summary>
public sealed class SearchEvaluation
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>current, a model version, teacher:NAME — as asked; <see cref="LabelerDetail"/> says what it resolved to.</summary>
    public required string Labeler { get; set; }
    public string? LabelerDetail { get; set; }
    public Guid? SubmissionId { get; set; }
    public string? System { get; set; }
    public int Depth { get; set; }
    public int Runs { get; set; }
    public int Queries { get; set; }
    public string? Baseline { get; set; }
    public int Pooled { get; set; }
    public int HumanGrades { get; set; }
    public int StoredGrades { get; set; }
    public int NewGrades { get; set; }
    public int Unjudged { get; set; }
    public decimal CostUsd { get; set; }
    public double Seconds { get; set; }
    public string ResultJson { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// One run's result in one evaluation, per system and time: what <c>relevance runs history SYSTEM</c> lists. A
/// submitted run keeps its text (<see cref="RunText"/>) so that a later submission can be compared with it.
/// </summary>
public sealed class SearchRunResult
{
    public long Id { get; set; }
    public Guid EvaluationId { get; set; }
    public required string System { get; set; }
    public required string RunName { get; set; }
    public required string Labeler { get; set; }
    public int Depth { get; set; }
    public int Queries { get; set; }
    public double Ndcg10 { get; set; }
    public double? Ndcg10Low { get; set; }
    public double? Ndcg10High { get; set; }
    public string MeasuresJson { get; set; } = "{}";
    public string? Baseline { get; set; }
    public double? BaselineDelta { get; set; }
    public double? PValue { get; set; }
    public bool Regressed { get; set; }
    public string? RunText { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class SearchEvaluationConfiguration : IEntityTypeConfiguration<SearchEvaluation>
{
    public void Configure(EntityTypeBuilder<SearchEvaluation> e)
    {
        e.ToTable("search_evaluations");
        e.HasIndex(x => x.SubmissionId).IsUnique();
        e.HasIndex(x => x.CreatedAt);
        e.Property(x => x.CostUsd).HasPrecision(18, 8);
    }
}

internal sealed class SearchRunResultConfiguration : IEntityTypeConfiguration<SearchRunResult>
{
    public void Configure(EntityTypeBuilder<SearchRunResult> e)
    {
        e.ToTable("search_run_results");
        e.HasIndex(x => new { x.EvaluationId, x.RunName }).IsUnique();
        e.HasIndex(x => new { x.System, x.CreatedAt });
    }
}
