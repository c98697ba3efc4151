using Relevance.Slm;
using Relevance.Slm.Onnx;
using Xunit;

namespace Relevance.Slm.Tests;

/// <summary>One base encoder per test class: loading costs about a second.</summary>
public sealed class BaseModelFixture : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slm-base-" + Guid.NewGuid().ToString("N"));
    public ModelVersionDirectory Version { get; }
    public SlmModel Model { get; }
    public OnnxSessionFactory Factory { get; } = new(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 2, BatchSize = 16 });

    public BaseModelFixture()
    {
        Version = BaseEncoder.Materialize(Root, maxLength: 128);
        Model = SlmModel.Load(Version, Factory);
    }

    public void Dispose()
    {
        Model.Dispose();
        try { Directory.Delete(Root, true); } catch (DirectoryNotFoundException) { }
    }
}

public sealed class When_scoring_zero_shot_with_the_base_encoder(BaseModelFixture fx) : IClassFixture<BaseModelFixture>
{
    private static readonly ScoringPair[] Pairs =
    [
        new("q1", "how many vacation days do employees get", "p1", "Employees receive 25 days of paid vacation per year, plus public holidays."),
        new("q1", "how many vacation days do employees get", "p2", "The on-call engineer restarts the database when the replication lag alarm fires."),
        new("q2", "expense report deadline", "p3", "Submit expense reports with receipts within 30 days of the purchase."),
        new("q2", "expense report deadline", "p4", "Our logo uses the brand colours orange and purple."),
    ];

    [Fact]
    public async Task Should_give_identical_scores_for_identical_inputs()
    {
        var scorer = new OnnxRelevanceScorer(fx.Model);
        var first = await scorer.ScoreAsync(Pairs);
        var second = await scorer.ScoreAsync(Pairs.Reverse().ToArray());
        Assert.Equal(first, second.Reverse());
    }

    [Fact]
    public async Task Should_score_the_answering_passage_above_the_unrelated_one()
    {
        var s = await new OnnxRelevanceScorer(fx.Model).ScoreAsync(Pairs);
        Assert.True(s[0].Score > s[1].Score + 0.2, $"{s[0].Score} vs {s[1].Score}");
        Assert.True(s[2].Score > s[3].Score + 0.2, $"{s[2].Score} vs {s[3].Score}");
        Assert.All(s, x => Assert.InRange(x.Grade, 0, 3));
        Assert.True(s[0].Grade >= s[1].Grade);
    }

    [Fact]
    public void Should_embed_the_same_text_the_same_regardless_of_batch_padding()
    {
        using var embedder = new TextEmbedder(fx.Model);
        var alone = embedder.Embed(["short text"])[0];
        var padded = embedder.Embed(["short text", string.Join(' ', Enumerable.Repeat("a much longer neighbour", 20))])[0];
        Assert.True(TextEmbedder.Cosine(alone, padded) > 0.99999);
    }
}

public sealed class When_scoring_zero_shot_with_the_arctic_encoder : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "slm-arctic-" + Guid.NewGuid().ToString("N"));
    private readonly OnnxSessionFactory _factory = new(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 2 });

    private const string Query = "how many vacation days do employees get";
    private const string Answer = "Employees receive 25 days of paid vacation per year, plus public holidays.";
    private const string Unrelated = "The on-call engineer restarts the database when the replication lag alarm fires.";

    [Fact]
    public void Should_record_the_pooling_and_query_prefix_it_was_trained_with()
    {
        var version = BaseEncoder.Materialize(_root, BaseEncoder.ArcticXsName, maxLength: 128);
        Assert.Equal(Pooling.Cls, version.Metadata.Pooling);
        Assert.StartsWith("Represent this sentence", version.Metadata.QueryPrefix);
        Assert.Equal(ModelMetadata.DefaultArcticThresholds, version.Metadata.GradeThresholds);
    }

    [Fact]
    public void Should_score_by_the_cosine_of_the_prefixed_query_and_the_passage_at_their_first_token()
    {
        using var model = SlmModel.Load(BaseEncoder.Materialize(_root, BaseEncoder.ArcticXsName, maxLength: 128), _factory);
        var scores = new OnnxRelevanceScorer(model).Score([new("q", Query, "a", Answer), new("q", Query, "u", Unrelated)]);

        // The same cosine built by hand: the [CLS] states (a one-token "mean" is the first token's state).
        var q = model.Embed([model.Tokenizer.EncodeSingle(model.Metadata.QueryPrefix + Query)])[0];
        var p = model.Embed([model.Tokenizer.EncodeSingle(Answer)])[0];
        Assert.Equal(TextEmbedder.Cosine(q, p), scores[0].Score, 5);
        Assert.True(scores[0].Score > scores[1].Score + 0.1, $"{scores[0].Score} vs {scores[1].Score}");

        // The same weights read MiniLM's way (mean pooling, no prefix) score differently: the metadata is obeyed.
        using var vocab = BaseEncoder.OpenVocab(BaseEncoder.ArcticXsName);
        // Versions are addressed by the model's bytes: the same bytes need another root.
        var meanWay = ModelVersionDirectory.Write(Path.Combine(_root, "mean"), BaseEncoder.ReadModel(BaseEncoder.ArcticXsName), vocab,
            new ModelMetadata { Name = "arctic read as MiniLM", BaseModel = BaseEncoder.ArcticXsName, Kind = ModelKinds.BiEncoder, MaxLength = 128, Pooling = Pooling.Mean, QueryPrefix = "" });
        using var meanModel = SlmModel.Load(meanWay, _factory);
        var meanScore = new OnnxRelevanceScorer(meanModel).Score([new("q", Query, "a", Answer)])[0].Score;
        Assert.True(Math.Abs(meanScore - scores[0].Score) > 0.01, $"{meanScore} vs {scores[0].Score}");
    }

    [Fact]
    public void Should_refuse_a_version_with_an_unknown_pooling() =>
        Assert.Contains("Unknown pooling 'max'", Assert.Throws<InvalidDataException>(() => Pooling.Validate("max")).Message);

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (DirectoryNotFoundException) { }
    }
}

public sealed class When_quantizing_a_model_version_to_int8(BaseModelFixture fx) : IClassFixture<BaseModelFixture>
{
    [Fact]
    public void Should_keep_embeddings_within_cosine_0_97_of_fp32()
    {
        var int8 = fx.Version.QuantizeInt8(fx.Root);
        Assert.Equal("int8", int8.Metadata.Precision);
        Assert.Equal(fx.Version.Sha256, int8.Metadata.ParentSha256);
        // Two thirds of the encoder's weights go to one byte; the embeddings and the feed-forward outputs stay float.
        Assert.True(new FileInfo(int8.ModelPath).Length < new FileInfo(fx.Version.ModelPath).Length * 0.8);

        using var quantized = SlmModel.Load(int8, fx.Factory);
        string[] texts =
        [
            "how many vacation days do employees get",
            "Submit expense reports with receipts within 30 days of the purchase.",
            "The on-call engineer restarts the database when the replication lag alarm fires.",
            "Café menus list prices in euros.",
        ];
        var a = new TextEmbedder(fx.Model).Embed(texts);
        var b = new TextEmbedder(quantized).Embed(texts);
        var cosines = texts.Select((_, i) => TextEmbedder.Cosine(a[i], b[i])).ToArray();
        Assert.True(cosines.Average() >= 0.97, "cosines " + string.Join(", ", cosines.Select(c => c.ToString("F4"))));
        Assert.All(cosines, c => Assert.True(c >= 0.97, $"cosine {c:F4}"));
    }

    [Fact]
    public void Should_score_a_pair_the_same_alone_as_among_other_pairs()
    {
        // Dynamic int8 quantises a call's activations with one scale for the whole call: batched, a pair's score would
        // follow the other pairs in its batch, and grades would stop being pointwise.
        var int8 = fx.Version.QuantizeInt8(fx.Root);
        using var quantized = SlmModel.Load(int8, fx.Factory);
        ScoringPair[] pairs =
        [
            new("q1", "how many vacation days do employees get", "p1", "Full-time employees accrue twenty vacation days a year."),
            new("q1", "how many vacation days do employees get", "p2", "The cafeteria opens at eight."),
            new("q2", "restart the database after a replication alarm", "p3", "The on-call engineer restarts the database when the replication lag alarm fires, then checks the replicas, the backups and the dashboards before closing the incident with a short note."),
            new("q2", "restart the database after a replication alarm", "p4", "Café menus list prices in euros."),
            new("q3", "expense report deadline", "p5", "Submit expense reports with receipts within 30 days of the purchase; late reports need a manager's approval and a written reason, and reports older than ninety days are refused."),
            new("q3", "expense report deadline", "p6", "Badges are printed at reception."),
        ];
        var scorer = new OnnxRelevanceScorer(quantized);
        var together = scorer.Score(pairs);
        for (var i = 0; i < pairs.Length; i++) Assert.Equal(together[i], scorer.Score([pairs[i]])[0]);
    }

    [Fact]
    public void Should_rewrite_every_linear_layer_of_minilm_but_the_feed_forward_outputs()
    {
        var (_, report) = DynamicInt8Quantizer.Quantize(File.ReadAllBytes(fx.Version.ModelPath));
        // Six layers: Q, K, V, attention output and the feed-forward input in int8; the 1,536 → 384 output projections float.
        Assert.Equal(30, report.MatMulsQuantized);
        Assert.Equal(6, report.MatMulsKeptFloat);
    }

    [Fact]
    public void Should_keep_every_weight_within_seven_bits_so_cpus_without_vnni_cannot_saturate()
    {
        var (model, _) = DynamicInt8Quantizer.Quantize(File.ReadAllBytes(fx.Version.ModelPath));
        // onnx.proto3: ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.data_type = 2 (int8 = 3), name = 8,
        // raw_data = 9. The other int8 initializers are the columns' zero points.
        var graph = ProtoMessage.Parse(model).All(7).Single().AsMessage();
        var weights = graph.All(5).Select(f => f.AsMessage()).Where(t => t.Int(2) == 3 && t.String(8)!.EndsWith("_quantized")).ToList();
        Assert.Equal(30, weights.Count);
        var largest = weights.SelectMany(t => t.All(9).Single().Bytes!).Max(b => Math.Abs((int)(sbyte)b));
        // Without VNNI, two uint8 × int8 products share a saturating int16 lane: 2 × 255 × |w| must stay within 32,767.
        // Equal, not at most: the range is also used, a column's largest weight mapping to the top level.
        Assert.Equal(DynamicInt8Quantizer.WeightLevels, largest);
        Assert.True(2 * 255 * DynamicInt8Quantizer.WeightLevels <= short.MaxValue);
    }
}

public sealed class When_batches_are_cut_by_a_token_budget(BaseModelFixture fx) : IClassFixture<BaseModelFixture>
{
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task Should_score_every_pair_as_batches_of_a_fixed_count_do(int budget)
    {
        // Lengths from a few tokens to the max, so that the budget makes batches of one, of several and of all.
        var pairs = Enumerable.Range(0, 40).Select(i => new ScoringPair($"q{i % 3}", "expense report deadline", $"p{i}",
            string.Join(' ', Enumerable.Repeat("Submit expense reports with receipts within 30 days.", 1 + i % 9)))).ToArray();
        using var countModel = SlmModel.Load(fx.Version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 2, BatchSize = 16, MaxBatchTokens = 0 }));
        var byCount = await new OnnxRelevanceScorer(countModel).ScoreAsync(pairs);
        var options = new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 2, BatchSize = 16, MaxBatchTokens = budget };
        using var model = SlmModel.Load(fx.Version, new OnnxSessionFactory(options));
        var byTokens = await new OnnxRelevanceScorer(model).ScoreAsync(pairs);
        Assert.Equal(budget, model.MaxBatchTokens);
        for (var i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(byCount[i].Grade, byTokens[i].Grade);
            Assert.Equal(byCount[i].Score, byTokens[i].Score, 5);
        }
    }

    [Fact]
    public void Should_cut_by_tokens_on_the_CPU_unless_told_otherwise() =>
        Assert.Equal(OnnxRuntimeOptions.DefaultCpuBatchTokens, fx.Model.MaxBatchTokens);
}

public sealed class When_calls_run_side_by_side(BaseModelFixture fx) : IClassFixture<BaseModelFixture>
{
    [Fact]
    public async Task Should_score_every_pair_as_calls_one_after_another_do()
    {
        var pairs = Enumerable.Range(0, 60).Select(i => new ScoringPair($"q{i % 4}", i % 2 == 0 ? "expense report deadline" : "parental leave policy", $"p{i}",
            string.Join(' ', Enumerable.Repeat(i % 3 == 0 ? "Submit expense reports with receipts within 30 days." : "Parents may take twelve weeks of paid leave.", 1 + i % 7)))).ToArray();
        using var serial = SlmModel.Load(fx.Version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1, ParallelRuns = 1, MaxBatchTokens = 100 }));
        using var parallel = SlmModel.Load(fx.Version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1, ParallelRuns = 4, MaxBatchTokens = 100 }));
        Assert.Equal(4, parallel.ParallelRuns);
        var one = await new OnnxRelevanceScorer(serial).ScoreAsync(pairs);
        for (var round = 0; round < 3; round++)
        {
            var side = await new OnnxRelevanceScorer(parallel).ScoreAsync(pairs);
            for (var i = 0; i < pairs.Length; i++)
            {
                Assert.Equal(one[i].Grade, side[i].Grade);
                Assert.Equal(one[i].Score, side[i].Score, 6);
            }
        }
    }

    [Fact]
    public async Task Should_score_each_of_several_scoring_calls_in_flight_as_if_it_ran_alone()
    {
        // Calls in flight share the model's run threads in arrival order; their ONNX calls interleave, their results must not.
        var pairs = Enumerable.Range(0, 90).Select(i => new ScoringPair($"q{i % 5}", i % 3 == 0 ? "expense report deadline" : "parental leave policy", $"p{i}",
            string.Join(' ', Enumerable.Repeat(i % 2 == 0 ? "Submit expense reports with receipts within 30 days." : "Parents may take twelve weeks of paid leave.", 1 + i % 5)))).ToArray();
        var jobs = pairs.Chunk(30).ToArray();
        using var serial = SlmModel.Load(fx.Version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1, ParallelRuns = 1, MaxBatchTokens = 100 }));
        using var shared = SlmModel.Load(fx.Version, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1, ParallelRuns = 2, MaxBatchTokens = 100 }));
        var alone = new List<IReadOnlyList<PairScore>>();
        foreach (var job in jobs) alone.Add(await new OnnxRelevanceScorer(serial).ScoreAsync(job));

        var together = await Task.WhenAll(jobs.Select(job => Task.Run(() => new OnnxRelevanceScorer(shared).ScoreAsync(job))));

        for (var j = 0; j < jobs.Length; j++)
        {
            Assert.Equal(jobs[j].Length, together[j].Count);
            for (var i = 0; i < jobs[j].Length; i++)
            {
                Assert.Equal(alone[j][i].Grade, together[j][i].Grade);
                Assert.Equal(alone[j][i].Score, together[j][i].Score, 6);
            }
        }
    }

    [Fact]
    public void Should_run_one_single_threaded_call_per_core_on_the_CPU_and_one_call_on_CUDA()
    {
        var options = new OnnxRuntimeOptions();
        Assert.Equal(Environment.ProcessorCount, options.ParallelRunsOn("CPU"));
        Assert.Equal(1, options.ParallelRunsOn("CUDA"));
        Assert.Equal(Environment.ProcessorCount > 1 ? 1 : 0, options.CpuIntraOpThreads);
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), new OnnxRuntimeOptions { IntraOpThreads = 2 }.ParallelRunsOn("CPU"));
    }
}

public sealed class When_a_version_is_opened_at_the_configured_precision(BaseModelFixture fx) : IClassFixture<BaseModelFixture>
{
    private ModelVersionDirectory CrossEncoderVersion()
    {
        // Only the metadata's kind decides here; the graph is the base encoder's.
        var metadata = ModelMetadata.Read(Path.Combine(fx.Version.Path, "metadata.json"));
        metadata.Kind = ModelKinds.CrossEncoder;
        metadata.Sha256 = null;
        using var vocab = File.OpenRead(fx.Version.VocabPath);
        return ModelVersionDirectory.Write(Path.Combine(fx.Root, "cross"), File.ReadAllBytes(fx.Version.ModelPath), vocab, metadata);
    }

    [Fact]
    public void Should_run_a_cross_encoder_in_int8_on_the_CPU_by_default()
    {
        var cross = CrossEncoderVersion();
        var opened = cross.AtPrecision(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }, fx.Root);
        Assert.Equal("int8", opened.Metadata.Precision);
        Assert.Equal(cross.Sha256, opened.Metadata.ParentSha256);
    }

    [Fact]
    public void Should_keep_fp32_when_told_and_for_a_bi_encoder()
    {
        var cross = CrossEncoderVersion();
        Assert.Same(cross, cross.AtPrecision(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, Precision = SlmPrecision.Fp32 }, fx.Root));
        Assert.Same(fx.Version, fx.Version.AtPrecision(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu }, fx.Root));
        Assert.Equal("int8", fx.Version.AtPrecision(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cpu, Precision = SlmPrecision.Int8 }, fx.Root).Metadata.Precision);
    }

    [Fact]
    public void Should_keep_fp32_on_CUDA_which_has_no_int8_kernel_for_it()
    {
        var cross = CrossEncoderVersion();
        Assert.Same(cross, cross.AtPrecision(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProvider.Cuda }, fx.Root));
    }
}
