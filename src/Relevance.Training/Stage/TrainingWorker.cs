using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Relevance.Training.Stage;

/// <summary>Claims training requests from the database one at a time and runs them.</summary>
public sealed partial class TrainingWorker(IServiceProvider services, TrainingRequestStore store, IOptions<TrainingOptions> options, TimeProvider clock, ILogger<TrainingWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        // Let the host finish starting (bus, migrations) before the first claim.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            Data.Entities.TrainingRequest? request = null;
            try
            {
                request = await store.ClaimAsync(o.WorkerId, TimeSpan.FromSeconds(o.StaleAfterSeconds), o.MaxAttempts, stoppingToken);
                if (request is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(o.PollSeconds), clock, stoppingToken);
                    continue;
                }
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<TrainingJobRunner>().RunAsync(request, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down: the heartbeat stops, so another worker takes the request over from its checkpoint.
                break;
            }
            catch (Exception ex)
            {
                LogFailed(ex, request?.Id);
                // Invalid parameters fail the same way on every attempt: give up at once instead of retrying.
                if (request is not null) await store.FailAsync(request.Id, ex.ToString(), ex is ArgumentException ? 0 : o.MaxAttempts, CancellationToken.None);
                else await Task.Delay(TimeSpan.FromSeconds(o.PollSeconds), clock, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Training request {RequestId} failed")]
    private partial void LogFailed(Exception ex, Guid? requestId);
}
