using System.Globalization;

namespace Relevance.Training.Distillation;

/// <summary>
/// The one parser of distillation parameters by name: the training stage's message parameters and the CLI's
/// options both come here, so every name, alias and check exists once and the defaults stay in
/// <see cref="DistillationOptions"/>.
/// </summary>
public static class DistillationParameters
{
    /// <summary>Overrides the defaults by name (case-insensitive; values as invariant-culture strings), then validates.</summary>
    public static DistillationOptions Parse(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var o = new DistillationOptions();
        foreach (var (key, value) in parameters)
        {
            var v = value.Trim();
            try
            {
                o = Apply(o, key, v);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new ArgumentException($"Training parameter '{key}': '{value}' is not a valid value ({e.Message})", e);
            }
        }
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(o, new(o), errors, validateAllProperties: true))
            throw new ArgumentException("Invalid training parameters: " + string.Join("; ", errors.Select(e => e.ErrorMessage)));
        if (o.Companion is not null && (o.Recipe != DistillationRecipe.CrossEncoderMse || o.Head != HeadFeatureSets.None))
            throw new ArgumentException("Invalid training parameters: a companion goes beside a cross-encoder without another head (recipe cross-encoder, head none).");
        if (o.GradeLoss is not null && o.Recipe != DistillationRecipe.CrossEncoderMse)
            throw new ArgumentException("Invalid training parameters: gradeLoss is the cross-encoder's (the bi-encoder's pointwise term is its pointwiseWeight).");
        if (o.CompanionLearningRate is not null && o.Companion is null)
            throw new ArgumentException("Invalid training parameters: companionLr without a companion.");
        return o;
    }

    private static DistillationOptions Apply(DistillationOptions o, string key, string v) =>
        key.ToLowerInvariant() switch
        {
            "epochs" => o with { Epochs = int.Parse(v, CultureInfo.InvariantCulture) },
            "maxlength" or "max-length" => o with { MaxLength = int.Parse(v, CultureInfo.InvariantCulture) },
            "batchsize" or "batch-size" => o with { BatchSize = int.Parse(v, CultureInfo.InvariantCulture) },
            "lr" or "learningrate" => o with { LearningRate = double.Parse(v, CultureInfo.InvariantCulture) },
            "seed" => o with { Seed = int.Parse(v, CultureInfo.InvariantCulture) },
            "validationfraction" => o with { ValidationFraction = double.Parse(v, CultureInfo.InvariantCulture) },
            "patience" => o with { Patience = int.Parse(v, CultureInfo.InvariantCulture) },
            "freezewordembeddings" => o with { FreezeWordEmbeddings = bool.Parse(v) },
            "threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
            "basemodel" => o with { BaseModel = Slm.BaseEncoder.CanonicalName(v) },
            "recipe" => o with { Recipe = DistillationRecipes.Parse(v) },
            "tunedweight" or "tuned-weight" => o with { TunedWeight = DistillationRecipes.ParseTunedWeight(v) },
            "pairwiseweight" or "pairwise-weight" => o with { PairwiseWeight = double.Parse(v, CultureInfo.InvariantCulture) },
            "pointwiseweight" or "pointwise-weight" => o with { PointwiseWeight = double.Parse(v, CultureInfo.InvariantCulture) },
            "dropout" => o with { Dropout = double.Parse(v, CultureInfo.InvariantCulture) },
            "trainingprecision" or "training-precision" => o with { TrainingPrecision = v.ToLowerInvariant() },
            "head" => o with { Head = HeadFeatureSets.Names.Contains(v.ToLowerInvariant()) ? v.ToLowerInvariant() : throw new FormatException($"known heads: {string.Join(", ", HeadFeatureSets.Names)}") },
            "companion" => o with { Companion = v.ToLowerInvariant() is "none" or "" ? null : DistillationRecipes.Parse(v) == DistillationRecipe.BiEncoderPairwise ? "bi-encoder" : throw new FormatException("the companion is a bi-encoder (or none)") },
            "companionlr" or "companion-lr" or "companionlearningrate" => o with { CompanionLearningRate = double.Parse(v, CultureInfo.InvariantCulture) },
            "levelshrink" or "level-shrink" => o with { LevelShrink = double.Parse(v, CultureInfo.InvariantCulture) is var l && l == 0 ? null : l },
            "queryfraction" or "query-fraction" => o with { QueryFraction = double.Parse(v, CultureInfo.InvariantCulture) is var f && f == 1 ? null : f },
            "gradeloss" or "grade-loss" => o with { GradeLoss = v.ToLowerInvariant() switch { GradeLosses.Mse => null, GradeLosses.OrdinalName => GradeLosses.OrdinalName, _ => throw new FormatException($"known grade losses: {string.Join(", ", GradeLosses.Names)}") } },
            "calibration" => throw new ArgumentException("Training parameter 'calibration' is gone: grades are pointwise, cut at the version's fixed thresholds (grading each label job at the teacher's shares made a job's grades depend on its other pairs)."),
            _ => throw new ArgumentException($"Unknown training parameter '{key}' (known: epochs, maxLength, batchSize, lr, seed, validationFraction, patience, freezeWordEmbeddings, threads, baseModel, recipe, tunedWeight, pairwiseWeight, pointwiseWeight, dropout, trainingPrecision, head, companion, companionLr, levelShrink, queryFraction, gradeLoss)."),
        };
}
