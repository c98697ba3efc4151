using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Relevance.Contracts;
using Relevance.Data;
using Relevance.Data.Entities;

namespace Relevance.Training.Stage;

/// <summary>
/// Records the request and acknowledges at once: training outlives RabbitMQ's 30-minute delivery
/// timeout, so the work is claimed from the database by <see cref="TrainingWorker"/> instead.
/// Idempotent by RequestId (a redelivery inserts nothing).
/// </summary>
public sealed class TrainModelVersionConsumer(BulkWriter writer, TimeProvider clock) : IConsumer<TrainModelVersion>
{
    public async Task Consume(ConsumeContext<TrainModelVersion> context)
    {
        var m = context.Message;
        var parameters = new Dictionary<string, string>(m.Parameters ?? new Dictionary<string, string>());
        if (m.BaseModelVersion is { Length: > 0 } b) parameters["baseModel"] = b;
        await writer.InsertIgnoreDuplicatesAsync([new TrainingRequest
        {
            Id = m.RequestId,
            RunId = m.RunId,
            Teacher = m.Teacher,
            ParametersJson = JsonSerializer.Serialize(parameters),
            FilesJson = m.Files is { Count: > 0 } files ? JsonSerializer.Serialize(files) : null,
            Status = TrainingStatus.Pending,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        }], context.CancellationToken);
    }
}

public sealed class TrainModelVersionConsumerDefinition : ConsumerDefinition<TrainModelVersionConsumer>
{
    public TrainModelVersionConsumerDefinition() => ConcurrentMessageLimit = 4;
}
