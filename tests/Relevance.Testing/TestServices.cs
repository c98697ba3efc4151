using DotNet.Testcontainers.Builders;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Xunit;

namespace Relevance.Testing;

/// <summary>
/// Where the real services are. `ops/services-up.sh` (run by `ops/test.sh` and `.ci/run`) starts
/// RabbitMQ and PostgreSQL from Debian packages and exports RELEVANCE_TEST_POSTGRES and
/// RELEVANCE_TEST_RABBITMQ. Without them we try Testcontainers (only where a Docker engine runs).
/// With RELEVANCE_REQUIRE_SERVICES=1 (CI) a missing service fails the test instead of skipping it.
/// </summary>
public static class TestServices
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _postgres;
    private static string? _rabbit;
    private static bool _triedContainers;

    public static bool Required => Environment.GetEnvironmentVariable("RELEVANCE_REQUIRE_SERVICES") is "1" or "true";

    public static async Task<(string Postgres, string RabbitMq)> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _postgres ??= Environment.GetEnvironmentVariable("RELEVANCE_TEST_POSTGRES");
            _rabbit ??= Environment.GetEnvironmentVariable("RELEVANCE_TEST_RABBITMQ");
            if ((_postgres is null || _rabbit is null) && !_triedContainers)
            {
                _triedContainers = true;
                await TryContainersAsync();
            }
            if (_postgres is null || _rabbit is null)
            {
                const string why = "RabbitMQ/PostgreSQL not available: run `eval \"$(bash ops/services-up.sh)\"` (or `bash ops/test.sh`), or provide Docker for Testcontainers.";
                if (Required) throw new InvalidOperationException(why);
                Skip.If(true, why);
            }
            return (_postgres!, _rabbit!);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task TryContainersAsync()
    {
        try
        {
            var pg = new PostgreSqlBuilder("postgres:15").Build();
            var mq = new RabbitMqBuilder("rabbitmq:3.10-management").Build();
            await pg.StartAsync();
            await mq.StartAsync();
            _postgres ??= pg.GetConnectionString();
            _rabbit ??= mq.GetConnectionString();
        }
        catch (Exception ex) when (ex is DockerUnavailableException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            // No Docker engine here: the caller skips (or fails under RELEVANCE_REQUIRE_SERVICES).
        }
    }
}
