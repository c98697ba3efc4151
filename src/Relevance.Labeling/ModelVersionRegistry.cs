using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Data.Entities;
using Relevance.Slm;

namespace Relevance.Labeling;

/// <summary>
/// Maps model version ids to verified directories. The packaged base encoder is registered on demand as
/// a version of its own (id derived from its sha256), so that a job always names a concrete version.
/// </summary>
public sealed class ModelVersionRegistry(IDbContextFactory<RelevanceDbContext> factory, BulkWriter bulk, IConfiguration config, IOptions<LabelingOptions> options)
{
    public string ModelsRoot => Path.Combine(ArtifactPaths.Root(config), "models");

    /// <summary>The row for a version id; its directory is verified against the row's sha256 when opened.</summary>
    public async Task<(ModelVersion Row, ModelVersionDirectory Directory)> OpenAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var row = await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct)
            ?? throw new InvalidOperationException($"Model version {id} is not in the registry.");
        return (row, ModelVersionDirectory.Open(row.ArtifactPath, row.Sha256));
    }

    /// <summary>The packaged MiniLM as a registered version (materialised under the artifact root once).</summary>
    public async Task<ModelVersion> EnsureBaseAsync(CancellationToken ct = default)
    {
        var dir = BaseEncoder.Materialize(ModelsRoot, maxLength: options.Value.BaseMaxLength);
        return await RegisterAsync(dir, ModelVersionStatus.Trained, "packaged base encoder, zero-shot cosine", ct);
    }

    /// <summary>Registers a model version directory (idempotent by sha256); returns the row.</summary>
    public async Task<ModelVersion> RegisterAsync(ModelVersionDirectory dir, ModelVersionStatus status = ModelVersionStatus.Trained, string? reason = null, CancellationToken ct = default)
    {
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var existing = await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(m => m.Sha256 == dir.Sha256, ct);
            if (existing is not null) return existing;
        }
        var row = new ModelVersion
        {
            Id = IdFor(dir.Sha256),
            Name = dir.Metadata.Name is { Length: > 0 } n ? n : dir.Sha256[..12],
            Sha256 = dir.Sha256,
            ArtifactPath = dir.Path,
            BaseModel = dir.Metadata.BaseModel,
            Status = status,
            StatusReason = reason,
            MetadataJson = File.ReadAllText(Path.Combine(dir.Path, ModelVersionDirectory.MetadataFile)),
            CreatedAt = DateTime.UtcNow,
        };
        await bulk.InsertIgnoreDuplicatesAsync([row], ct);
        await using var check = await factory.CreateDbContextAsync(ct);
        return await check.ModelVersions.AsNoTracking().FirstAsync(m => m.Sha256 == dir.Sha256, ct);
    }

    /// <summary>The version new jobs use: the most recently promoted, else the base encoder.</summary>
    public async Task<ModelVersion> CurrentAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var promoted = await db.ModelVersions.AsNoTracking()
            .Where(m => m.Status == ModelVersionStatus.Promoted)
            .OrderByDescending(m => m.PromotedAt)
            .FirstOrDefaultAsync(ct);
        return promoted ?? await EnsureBaseAsync(ct);
    }

    /// <summary>
    /// Resolves a CLI argument: a version id, a sha256 (or its prefix), "base", "current" (the promoted version;
    /// an error when none is), or a directory (registered).
    /// </summary>
    public async Task<ModelVersion> ResolveAsync(string model, CancellationToken ct = default)
    {
        if (model.Equals("base", StringComparison.OrdinalIgnoreCase) || model.Equals(BaseEncoder.MiniLmName, StringComparison.OrdinalIgnoreCase)) return await EnsureBaseAsync(ct);
        if (model.Equals("current", StringComparison.OrdinalIgnoreCase))
        {
            // Asked for by name, "current" must be a promoted version: silently labeling with the base encoder
            // would give zero-shot labels to someone who believes they come from the trained model.
            await using var current = await factory.CreateDbContextAsync(ct);
            return await current.ModelVersions.AsNoTracking().Where(m => m.Status == ModelVersionStatus.Promoted)
                       .OrderByDescending(m => m.PromotedAt).FirstOrDefaultAsync(ct)
                   ?? throw new InvalidOperationException("No model version has been promoted yet, so there is no 'current' one. Pass --model base for the zero-shot base encoder, or a model version id, sha256 prefix or directory.");
        }
        if (Directory.Exists(model)) return await RegisterAsync(ModelVersionDirectory.Open(model), ct: ct);
        await using var db = await factory.CreateDbContextAsync(ct);
        if (Guid.TryParse(model, out var id))
        {
            return await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct)
                ?? throw new InvalidOperationException($"Model version {id} is not in the registry.");
        }
        var lower = model.ToLowerInvariant();
        var matches = await db.ModelVersions.AsNoTracking().Where(m => m.Sha256.StartsWith(lower)).Take(2).ToListAsync(ct);
        return matches.Count == 1 ? matches[0]
            : throw new InvalidOperationException($"'{model}' is neither a directory, a model version id nor a unique sha256 prefix ({matches.Count} matches).");
    }

    /// <summary>Content-derived id: the same model registered twice gets the same id everywhere.</summary>
    public static Guid IdFor(string sha256) => new(SHA256.HashData(Convert.FromHexString(sha256)).AsSpan(0, 16));
}
