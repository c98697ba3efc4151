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
                // Shutting down: give the request back, so the next start (or another worker) resumes it from its
                // checkpoint at once; if that fails, its heartbeat stops and the claim expires.
                if (request is not null)
                {
                    try { await store.ReleaseAsync(request.Id, o.WorkerId, CancellationToken.None); }
                    catch (Exception ex) { LogNotReleased(ex, request.Id); }
                }
                break;
            }
            catch (Exception ex)
            {
                LogFailed(ex, request?.Id);
                // Invalid parameters fail the same way on every attempt: give up at once instead of retrying.
                if (request is not null)
                {
                    try
                    {
                        await store.FailAsync(request.Id, ex.ToString(), ex is ArgumentException ? 0 : o.MaxAttempts, $"{ex.GetType().Name}: {ex.Message}", CancellationToken.None);
                    }
                    catch (Exception recordEx)
                    {
                        // The claim expires and the request is tried again, so the failure is not lost, only late.
                        LogNotRecorded(recordEx, request.Id);
                    }
                }
                else await Task.Delay(TimeSpan.FromSeconds(o.PollSeconds), clock, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training request {RequestId} could not be given back while stopping; it is taken over once its claim expires")]
    private partial void LogNotReleased(Exception ex, Guid requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training request {RequestId} failed, and the failure could not be recorded")]
    private partial void LogNotRecorded(Exception ex, Guid requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training request {RequestId} failed")]
    private partial void LogFailed(Exception ex, Guid? requestId);
}
