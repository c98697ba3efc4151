using System.Net.Http.Headers;
using System.Text;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Relevance.Data;
using Relevance.ServiceDefaults;
using Xunit;

namespace Relevance.Testing;

public enum Backend
{
    /// <summary>The embedded default: MassTransit's in-memory transport and a SQLite file.</summary>
    InMemorySqlite,
    /// <summary>Production: real RabbitMQ and real PostgreSQL.</summary>
    RabbitMqPostgres,
}

/// <summary>
/// An isolated world for one test: a fresh PostgreSQL database and a fresh RabbitMQ vhost (or a temp
/// SQLite file and the in-memory bus) and a temp artifact root, all removed on dispose. Hosts started
/// from it run the real ServiceDefaults and bus wiring with whichever stages the test adds.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];
    private readonly string? _pgAdmin;
    private readonly string? _database;
    private readonly (Uri Management, string User, string Password, string Vhost)? _vhost;

    private TestBackend(Backend kind, Dictionary<string, string?> config, string artifactRoot, string? pgAdmin, string? database,
        (Uri, string, string, string)? vhost)
    {
        Kind = kind;
        Configuration = config;
        ArtifactRoot = artifactRoot;
        _pgAdmin = pgAdmin;
        _database = database;
        _vhost = vhost;
    }

    public Backend Kind { get; }
    public string ArtifactRoot { get; }

    /// <summary>Database:*, Messaging:*, Artifacts:Root for this backend; tests may add keys before starting hosts.</summary>
    public IDictionary<string, string?> Configuration { get; }

    public static async Task<TestBackend> CreateAsync(Backend kind)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var root = Path.Combine(Path.GetTempPath(), "relevance-tests", id);
        Directory.CreateDirectory(root);
        var config = new Dictionary<string, string?>
        {
            ["Artifacts:Root"] = root,
            ["Messaging:ImmediateRetries"] = "1",
            ["Messaging:BackoffRetries"] = "2",
            ["Messaging:BackoffMinMs"] = "50",
            ["Messaging:BackoffMaxMs"] = "200",
        };
        if (kind == Backend.InMemorySqlite)
        {
            config["Messaging:Transport"] = "InMemory";
            config["Database:Provider"] = "Sqlite";
            config["Database:ConnectionString"] = $"Data Source={Path.Combine(root, "relevance.db")}";
            return new TestBackend(kind, config, root, null, null, null);
        }

        var (pg, mq) = await TestServices.GetAsync();
        var database = "relevance_t_" + id;
        await using (var conn = new NpgsqlConnection(pg))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var vhost = "relevance_t_" + id;
        var management = await CreateVhostAsync(mq, vhost);
        var amqp = new UriBuilder(mq) { Path = "/" + vhost }.Uri.ToString();
        config["Messaging:Transport"] = "RabbitMq";
        config["Messaging:RabbitMqUri"] = amqp;
        config["Database:Provider"] = "Postgres";
        config["Database:ConnectionString"] = new NpgsqlConnectionStringBuilder(pg) { Database = database, Pooling = true }.ConnectionString;
        return new TestBackend(kind, config, root, pg, database, management);
    }

    /// <summary>Builds and starts a host: AddServiceDefaults, AddRelevanceData, the test's stages, AddRelevanceBus.</summary>
    public async Task<IHost> StartHostAsync(Action<HostApplicationBuilder>? configure = null, Action<IBusRegistrationConfigurator>? bus = null)
    {
        var host = BuildHost(configure, bus);
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    public IHost BuildHost(Action<HostApplicationBuilder>? configure = null, Action<IBusRegistrationConfigurator>? bus = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(Configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddRelevanceData();
        configure?.Invoke(builder);
        builder.AddRelevanceBus(bus);
        return builder.Build();
    }

    /// <summary>A context on this backend's database, with the schema in place.</summary>
    public RelevanceDbContext CreateDbContext()
    {
        var options = new DatabaseOptions
        {
            Provider = Kind == Backend.RabbitMqPostgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite,
            ConnectionString = Configuration["Database:ConnectionString"],
        };
        var b = new DbContextOptionsBuilder<RelevanceDbContext>();
        DataServiceCollectionExtensions.Configure(b, options);
        return new RelevanceDbContext(b.Options);
    }

    /// <summary>Messages waiting in a RabbitMQ queue of this backend's vhost (management API); null on the in-memory bus.</summary>
    public async Task<int?> QueueDepthAsync(string queue)
    {
        if (_vhost is not { } v) return null;
        using var http = ManagementClient(v);
        // The management API refreshes its counters every few seconds: poll until it reports the queue.
        for (var i = 0; i < 40; i++)
        {
            var response = await http.GetAsync($"api/queues/{Uri.EscapeDataString(v.Vhost)}/{Uri.EscapeDataString(queue)}");
            if (response.IsSuccessStatusCode)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (doc.RootElement.TryGetProperty("messages", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Number)
                {
                    return m.GetInt32();
                }
            }
            await Task.Delay(250);
        }
        return 0;
    }

    /// <summary>Puts a hand-made message straight into a RabbitMQ queue of this backend's vhost (management API), as a stranger's client would.</summary>
    public async Task PublishRawAsync(string queue, string body, string contentType = "application/vnd.masstransit+json")
    {
        if (_vhost is not { } v) throw new InvalidOperationException("Raw messages need the RabbitMQ backend.");
        using var http = ManagementClient(v);
        var request = System.Text.Json.JsonSerializer.Serialize(new
        {
            properties = new { content_type = contentType, message_id = Guid.NewGuid().ToString() },
            routing_key = queue,
            payload = body,
            payload_encoding = "string",
        });
        var response = await http.PostAsync($"api/exchanges/{Uri.EscapeDataString(v.Vhost)}/amq.default/publish", new StringContent(request, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        Assert.Contains("\"routed\":true", await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try { await host.StopAsync(TimeSpan.FromSeconds(10)); } catch (OperationCanceledException) { }
            host.Dispose();
        }
        if (_pgAdmin is not null && _database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(_pgAdmin);
            await conn.OpenAsync();
            try
            {
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                // A backend we may not signal (autovacuum, another role) still holds the database: it is
                // uniquely named, so leaving it for the next server reset harms no other test.
            }
        }
        if (_vhost is { } v)
        {
            using var http = ManagementClient(v);
            await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(v.Vhost)}");
        }
        try { Directory.Delete(ArtifactRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static async Task<(Uri, string, string, string)> CreateVhostAsync(string amqp, string vhost)
    {
        var (_, user, password) = BusExtensions.ParseAmqp(amqp);
        var management = new Uri(Environment.GetEnvironmentVariable("RabbitMq__ManagementUri") is { Length: > 0 } m ? m : $"http://{new Uri(amqp).Host}:15672/");
        var v = (management, user, password, vhost);
        using var http = ManagementClient(v);
        (await http.PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}", new StringContent("{}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var permissions = new StringContent("{\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", permissions)).EnsureSuccessStatusCode();
        return v;
    }

    private static HttpClient ManagementClient((Uri Management, string User, string Password, string Vhost) v)
    {
        var http = new HttpClient { BaseAddress = v.Management, Timeout = TimeSpan.FromSeconds(20) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{v.User}:{v.Password}")));
        return http;
    }
}
