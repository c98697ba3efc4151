using System.ComponentModel.DataAnnotations;

namespace Relevance.ServiceDefaults;

public enum Transport { InMemory, RabbitMq }

/// <summary>Bound from the <c>Messaging</c> section.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    public Transport Transport { get; set; } = Transport.InMemory;

    /// <summary><c>amqp://user:password@host:port/vhost</c>; falls back to <c>RabbitMq:Uri</c>, which the ops script exports.</summary>
    public string? RabbitMqUri { get; set; }

    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 32;

    /// <summary>Retries made at once, before the delayed ones.</summary>
    [Range(0, 20)]
    public int ImmediateRetries { get; set; } = 1;

    /// <summary>Retries with exponential back-off after the immediate ones; then the message goes to the error queue.</summary>
    [Range(0, 20)]
    public int BackoffRetries { get; set; } = 3;

    [Range(1, 600_000)]
    public int BackoffMinMs { get; set; } = 200;

    [Range(1, 600_000)]
    public int BackoffMaxMs { get; set; } = 5_000;

    /// <summary>Prefix for every queue name, so that several test runs can share one vhost.</summary>
    public string? EndpointPrefix { get; set; }
}
