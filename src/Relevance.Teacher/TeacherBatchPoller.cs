using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relevance.Data;
using Relevance.Llm;

namespace Relevance.Teacher;

/// <summary>
/// The batch poller of a process that runs the teacher stage: every <see cref="TeacherOptions.BatchPollSeconds"/>
/// it claims pending batches and hands each to <see cref="TeacherBatchService.ProcessAsync"/>. Idle when no
/// LLM endpoint is configured; runs in both modes, so batches submitted before a switch back to Online still finish.
/// </summary>
public sealed partial class TeacherBatchPoller(
    IServiceProvider services,
    TeacherBatchStore store,
    IOptions<TeacherOptions> options,
    IOptions<LlmOptions> llm,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<TeacherBatchPoller> logger) : BackgroundService
{
    private const int ClaimSize = 16;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!llm.Value.IsConfigured) return;
        // The bus and the schema are up only once the host has started.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; } catch (OperationCanceledException) { return; }
        }

        var o = options.Value;
        // machine:pid:namespace first, so a claim of this poller is taken over at once should the process die.
        var worker = $"{LocalProcess.Id}:{Guid.NewGuid():N}";
        if (worker.Length > 120) worker = worker[^120..];
        var interval = TimeSpan.FromSeconds(o.BatchPollSeconds);
        var lease = TimeSpan.FromSeconds(o.BatchLeaseSeconds);
        var service = services.GetRequiredService<TeacherBatchService>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                var rows = await store.ClaimAsync(worker, lease, ClaimSize, stoppingToken);
                claimed = rows.Count;
                foreach (var row in rows)
                {
                    try
                    {
                        await service.ProcessAsync(row, worker, stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        LogPollFailed(ex, row.BatchId, row.Errors + 1);
                        var backoff = TimeSpan.FromSeconds(Math.Min(o.BatchLeaseSeconds, o.BatchPollSeconds * Math.Pow(2, Math.Min(row.Errors, 10))));
                        var errors = await store.RecordErrorAsync(row.Id, worker, $"{ex.GetType().Name}: {ex.Message}", backoff, stoppingToken);
                        if (errors >= o.BatchMaxPollErrors)
                        {
                            await service.AbandonAsync(row, worker: null, $"batch abandoned after {errors} failed polls: {ex.GetType().Name}: {ex.Message}", stoppingToken);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogClaimFailed(ex);
            }
            if (claimed < ClaimSize)
            {
                try { await Task.Delay(interval, clock, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId}: poll failed (consecutive error {Errors})")]
    private partial void LogPollFailed(Exception ex, string? batchId, int errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Claiming teacher batches failed")]
    private partial void LogClaimFailed(Exception ex);
}
