using Microsoft.EntityFrameworkCore;
using Relevance.Data.Entities;

namespace Relevance.Data;

public sealed class RelevanceDbContext(DbContextOptions<RelevanceDbContext> options) : DbContext(options)
{
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<Document> Documents => Set<Document>();
    public DbSet<Passage> Passages => Set<Passage>();
    public DbSet<Query> Queries => Set<Query>();
    public DbSet<Pair> Pairs => Set<Pair>();
    public DbSet<TeacherJudgment> TeacherJudgments => Set<TeacherJudgment>();
    public DbSet<LlmCacheEntry> LlmCache => Set<LlmCacheEntry>();
    public DbSet<Failure> Failures => Set<Failure>();
    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();
    public DbSet<TrainingRequest> TrainingRequests => Set<TrainingRequest>();
    public DbSet<BenchmarkSet> BenchmarkSets => Set<BenchmarkSet>();
    public DbSet<BenchmarkJudgment> BenchmarkJudgments => Set<BenchmarkJudgment>();
    public DbSet<Evaluation> Evaluations => Set<Evaluation>();
    public DbSet<LabelJob> LabelJobs => Set<LabelJob>();
    public DbSet<Label> Labels => Set<Label>();
    public DbSet<TeacherBatch> TeacherBatches => Set<TeacherBatch>();
    public DbSet<SearchEvaluation> SearchEvaluations => Set<SearchEvaluation>();
    public DbSet<SearchRunResult> SearchRunResults => Set<SearchRunResult>();

    // Here rather than in DataServiceCollectionExtensions.Configure: a context built any other way must not
    // run a claim's SELECT without its lock.
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.AddInterceptors(SkipLockedInterceptor.Instance);

    protected override void OnModelCreating(ModelBuilder b)
    {
        // snake_case table and column names so that hand-written SQL (COPY, SKIP LOCKED) reads naturally.
        b.Entity<Run>(e =>
        {
            e.ToTable("runs");
            e.Property(x => x.Name).HasMaxLength(200);
        });
        b.Entity<Document>(e =>
        {
            e.ToTable("documents");
            e.HasIndex(x => new { x.RunId, x.ExternalId }).IsUnique();
        });
        b.Entity<Passage>(e =>
        {
            e.ToTable("passages");
            e.HasIndex(x => new { x.RunId, x.ContentHash }).IsUnique();
            e.HasIndex(x => x.DocumentId);
        });
        b.Entity<Query>(e =>
        {
            e.ToTable("queries");
            e.HasIndex(x => new { x.RunId, x.TextHash }).IsUnique();
            e.HasIndex(x => x.SeedPassageId);
        });
        b.Entity<Pair>(e =>
        {
            e.ToTable("pairs");
            e.HasIndex(x => new { x.QueryId, x.PassageId }).IsUnique();
            e.HasIndex(x => x.RunId);
        });
        b.Entity<TeacherJudgment>(e =>
        {
            e.ToTable("teacher_judgments");
            e.HasIndex(x => new { x.Teacher, x.PromptVersion, x.Qid, x.Pid, x.RunId }).IsUnique();
            e.HasIndex(x => x.PairId);
            e.Property(x => x.CostUsd).HasPrecision(18, 8);
        });
        b.Entity<LlmCacheEntry>(e =>
        {
            e.ToTable("llm_cache");
            e.HasIndex(x => new { x.Model, x.PromptVersion, x.InputHash }).IsUnique();
            e.Property(x => x.CostUsd).HasPrecision(18, 8);
        });
        b.Entity<Failure>(e =>
        {
            e.ToTable("failures");
            e.HasIndex(x => new { x.RunId, x.Stage });
        });
        b.Entity<ModelVersion>(e =>
        {
            e.ToTable("model_versions");
            e.HasIndex(x => x.Sha256).IsUnique();
            e.HasIndex(x => x.TrainingRequestId).IsUnique();
        });
        b.Entity<TrainingRequest>(e =>
        {
            e.ToTable("training_requests");
            e.HasIndex(x => x.Status);
        });
        b.Entity<BenchmarkSet>(e =>
        {
            e.ToTable("benchmark_sets");
            e.HasIndex(x => x.ContentHash).IsUnique();
            e.HasIndex(x => x.Name);
        });
        b.Entity<BenchmarkJudgment>(e =>
        {
            e.ToTable("benchmark_judgments");
            e.HasIndex(x => new { x.BenchmarkSetId, x.Qid, x.Pid }).IsUnique();
        });
        b.Entity<Evaluation>(e =>
        {
            e.ToTable("evaluations");
            e.HasIndex(x => new { x.LabelerKind, x.Labeler });
        });
        b.Entity<LabelJob>(e => e.ToTable("label_jobs"));
        b.Entity<Label>(e =>
        {
            e.ToTable("labels");
            e.HasIndex(x => new { x.JobId, x.Qid, x.Pid }).IsUnique();
            // Labels are pointwise: a search evaluation looks up what a version already said about a pair, whatever the job.
            e.HasIndex(x => new { x.ModelVersionId, x.Qid, x.Pid });
        });

        // Stages add their own tables as IEntityTypeConfiguration classes in this assembly.
        b.ApplyConfigurationsFromAssembly(typeof(RelevanceDbContext).Assembly);

        foreach (var entity in b.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName($"ix_{entity.GetTableName()}_{string.Join("_", index.Properties.Select(p => ToSnakeCase(p.Name)))}");
            }
            foreach (var key in entity.GetKeys())
            {
                key.SetName($"pk_{entity.GetTableName()}");
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
