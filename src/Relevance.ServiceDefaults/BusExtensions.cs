using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Relevance.ServiceDefaults;

public static class BusExtensions
{
    /// <summary>
    /// MassTransit on RabbitMQ or the in-memory transport (as configured) with the consumers of every
    /// stage registered before this call. Each endpoint records a message that still fails after its
    /// retries (immediate, then exponential back-off) in the failures table and moves it to the
    /// endpoint's <c>_error</c> queue.
    /// </summary>
    public static IHostApplicationBuilder AddRelevanceBus(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
    {
        builder.Services.AddOptions<MessagingOptions>()
            .BindConfiguration(MessagingOptions.Section)
            .PostConfigure<IConfiguration>((o, config) => o.RabbitMqUri ??= config["RabbitMq:Uri"])
            .Validate(o => o.Transport != Transport.RabbitMq || Uri.TryCreate(o.RabbitMqUri, UriKind.Absolute, out _),
                "Messaging:RabbitMqUri (or RabbitMq:Uri) must be an amqp:// URI when Messaging:Transport is RabbitMq.")
            .Validate(o => o.BackoffMinMs <= o.BackoffMaxMs, "Messaging:BackoffMinMs must not exceed BackoffMaxMs.")
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var messaging = builder.Configuration.GetSection(MessagingOptions.Section).Get<MessagingOptions>() ?? new MessagingOptions();
        messaging.RabbitMqUri ??= builder.Configuration["RabbitMq:Uri"];

        var stages = builder.Services
            .Where(d => d.ServiceType == typeof(StageRegistration) && d.ImplementationInstance is StageRegistration)
            .Select(d => (StageRegistration)d.ImplementationInstance!)
            .ToList();

        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // Without it, messages published right after start on a fresh broker can be lost.
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });

        builder.Services.AddMassTransit(x =>
        {
            // No usage reports to MassTransit's servers: these machines have no network beyond the services.
            x.DisableUsageTelemetry();
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(messaging.EndpointPrefix, false));
            var stageOfConsumer = new Dictionary<Type, string>();
            foreach (var stage in stages)
            {
                var before = ConsumerTypes(x).ToHashSet();
                stage.AddConsumers(x);
                foreach (var type in ConsumerTypes(x).Where(t => !before.Contains(t))) stageOfConsumer[type] = stage.Name;
            }
            configure?.Invoke(x);

            // A failure row names the stage (Contracts.Stages), not the queue it came through: queue names are the
            // consumers' and the endpoint prefix's, and a stage has several.
            Dictionary<string, string>? stageOfEndpoint = null;
            x.AddConfigureEndpointsCallback((context, name, endpoint) =>
            {
                var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                stageOfEndpoint ??= context.GetServices<IConsumerRegistration>()
                    .Where(r => stageOfConsumer.ContainsKey(r.Type))
                    .GroupBy(r => r.GetDefinition(context).GetEndpointName(context.GetService<IEndpointNameFormatter>() ?? DefaultEndpointNameFormatter.Instance))
                    .ToDictionary(g => g.Key, g => stageOfConsumer[g.First().Type]);
                // Retries happen in the consume pipe; the error pipe runs once, after the last one.
                endpoint.UseConsumeFilter(typeof(NoteFailedMessageFilter<>), context);
                RecordFailureFilter.Configure(endpoint, context, stageOfEndpoint.GetValueOrDefault(name, name));
                var intervals = RetryIntervals(options);
                if (intervals.Length > 0) endpoint.UseMessageRetry(r => r.Intervals(intervals));
            });

            if (messaging.Transport == Transport.RabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
                    var (host, user, password) = ParseAmqp(options.RabbitMqUri!);
                    cfg.Host(host, h =>
                    {
                        h.Username(user);
                        h.Password(password);
                    });
                    cfg.PrefetchCount = options.PrefetchCount;
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
        });
        return builder;
    }

    private static IEnumerable<Type> ConsumerTypes(IServiceCollection services) =>
        services.Where(d => d.ServiceType == typeof(IConsumerRegistration) && d.ImplementationInstance is IConsumerRegistration)
            .Select(d => ((IConsumerRegistration)d.ImplementationInstance!).Type);

    /// <summary>
    /// Immediate retries first (zero delay), then exponential back-off capped at the maximum. One
    /// interval list, because MassTransit keeps only the last retry policy configured on an endpoint.
    /// </summary>
    public static TimeSpan[] RetryIntervals(MessagingOptions options) =>
        Enumerable.Repeat(TimeSpan.Zero, options.ImmediateRetries)
            .Concat(Enumerable.Range(0, options.BackoffRetries)
                .Select(k => TimeSpan.FromMilliseconds(Math.Min(options.BackoffMaxMs, options.BackoffMinMs * Math.Pow(2, k)))))
            .ToArray();

    /// <summary>amqp://user:pass@host:port/vhost → MassTransit's rabbitmq://host:port/vhost plus credentials.</summary>
    public static (Uri Host, string User, string Password) ParseAmqp(string uri)
    {
        var u = new Uri(uri);
        var user = "guest";
        var password = "guest";
        if (!string.IsNullOrEmpty(u.UserInfo))
        {
            var parts = u.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) password = Uri.UnescapeDataString(parts[1]);
        }
        var vhost = u.AbsolutePath.Trim('/');
        var port = u.IsDefaultPort || u.Port <= 0 ? 5672 : u.Port;
        return (new Uri($"rabbitmq://{u.Host}:{port}/{(vhost.Length == 0 ? "" : vhost)}"), user, password);
    }
}
