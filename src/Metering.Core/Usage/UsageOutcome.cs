namespace Metering;

/// <summary>What happened to one usage record.</summary>
public enum UsageOutcomeKind
{
    /// <summary>Stored and counted.</summary>
    Accepted,

    /// <summary>The same idempotency key with the same content was already stored; counted once, nothing changed.</summary>
    Duplicate,

    /// <summary>The idempotency key was already used for a record with different content; nothing changed.</summary>
    Conflict,

    /// <summary>Not stored; <see cref="UsageOutcome.Rejection"/> says why and what to fix.</summary>
    Rejected,
}

/// <summary>The outcome of recording one usage record. Expected rejections are outcomes, never exceptions.</summary>
public readonly record struct UsageOutcome
{
    private UsageOutcome(UsageOutcomeKind kind, UsageRejection? rejection, string? subscriptionId, Instant? periodStart)
    {
        Kind = kind;
        Rejection = rejection;
        SubscriptionId = subscriptionId;
        PeriodStart = periodStart;
    }

    /// <summary>Accepted, Duplicate, Conflict or Rejected.</summary>
    public UsageOutcomeKind Kind { get; }

    /// <summary>
    /// Why the record was rejected, or the conflict explained (reason <see cref="UsageRejectionReason.IdempotencyKeyConflict"/>);
    /// null when accepted or duplicate.
    /// </summary>
    public UsageRejection? Rejection { get; }

    /// <summary>The reason of <see cref="Rejection"/>, or null when the record is counted; handy in a <c>switch</c>.</summary>
    public UsageRejectionReason? Reason => Rejection?.Reason;

    /// <summary>The subscription the record was attributed to, when known.</summary>
    public string? SubscriptionId { get; }

    /// <summary>Start of the billing period the record counts in when accepted or duplicate; null otherwise.</summary>
    public Instant? PeriodStart { get; }

    /// <summary>True for Accepted and Duplicate: the record is counted exactly once.</summary>
    public bool IsCounted => Kind is UsageOutcomeKind.Accepted or UsageOutcomeKind.Duplicate;

    /// <summary>A stored and counted record.</summary>
    public static UsageOutcome Accepted(string subscriptionId, Instant periodStart) => new(UsageOutcomeKind.Accepted, null, subscriptionId, periodStart);

    /// <summary>A retry of a record already stored.</summary>
    public static UsageOutcome Duplicate(string subscriptionId, Instant periodStart) => new(UsageOutcomeKind.Duplicate, null, subscriptionId, periodStart);

    /// <summary>A reused idempotency key with different content.</summary>
    public static UsageOutcome Conflict(string idempotencyKey) => new(
        UsageOutcomeKind.Conflict,
        new UsageRejection(UsageRejectionReason.IdempotencyKeyConflict, $"Idempotency key '{idempotencyKey}' was already used for a record with different content; use a new key for a new record, or resend the original content to retry."),
        null,
        null);

    /// <summary>A rejected record.</summary>
    public static UsageOutcome Rejected(UsageRejection rejection, string? subscriptionId = null) => new(UsageOutcomeKind.Rejected, rejection, subscriptionId, null);

    /// <inheritdoc/>
    public override string ToString() => Rejection is { } r ? $"{Kind}: {r.Reason}: {r.Message}" : Kind.ToString();
}
