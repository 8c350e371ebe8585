namespace Metering.Storage.Conformance.Simulation;

/// <summary>What the oracle expects of one invoice.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Start">Start of the service period.</param>
/// <param name="End">End of the service period (the change or cancel instant for a partial period).</param>
/// <param name="PlanKey">The plan it was billed on.</param>
/// <param name="Total">The total, priced by hand.</param>
/// <param name="Quantities">Billable quantity per meter.</param>
public sealed record ExpectedInvoice(string SubscriptionId, Instant Start, Instant End, string PlanKey, decimal Total, IReadOnlyDictionary<string, decimal> Quantities);

/// <summary>The oracle's view of one subscription: its plan, its schedule (anchor + n months, UTC) and its accepted records per period.</summary>
public sealed class OracleSubscription(string subscriptionId, string customerId, string planKey, Instant startedAt)
{
    /// <summary>The id.</summary>
    public string SubscriptionId { get; } = subscriptionId;

    /// <summary>The owner.</summary>
    public string CustomerId { get; } = customerId;

    /// <summary>The current plan.</summary>
    public string PlanKey { get; set; } = planKey;

    /// <summary>When it started.</summary>
    public Instant StartedAt { get; } = startedAt;

    /// <summary>The schedule anchor: the start (a plan change keeps it).</summary>
    public Instant Anchor { get; } = startedAt;

    /// <summary>
    /// Set after a plan change: the current period is the partial one from the change to <see cref="CurrentEnd"/>
    /// (issue #17), and its base fee is prorated against the full period <see cref="Index"/>.
    /// </summary>
    public Instant? PartialStart { get; set; }

    /// <summary>Index of the current (oldest open) period from <see cref="Anchor"/>.</summary>
    public int Index { get; set; }

    /// <summary>Set by cancel at period end.</summary>
    public Instant? CancelAt { get; set; }

    /// <summary>Set when it ended.</summary>
    public Instant? EndedAt { get; set; }

    /// <summary>Accepted records by the start of the period they landed in.</summary>
    public Dictionary<Instant, List<UsageRecord>> Buckets { get; } = [];

    /// <summary>Start of the current period.</summary>
    public Instant CurrentStart => PartialStart ?? PeriodStart(Index);

    /// <summary>End of the current period.</summary>
    public Instant CurrentEnd => PeriodStart(Index + 1);

    /// <summary>Start of period <paramref name="n"/>: the anchor plus n calendar months in UTC, always from the anchor.</summary>
    public Instant PeriodStart(int n) => Anchor.InUtc().LocalDateTime.PlusMonths(n).InUtc().ToInstant();

    /// <summary>Start of the open period containing <paramref name="timestamp"/> (at or after the current one).</summary>
    public Instant PeriodContaining(Instant timestamp)
    {
        if (timestamp < CurrentEnd)
        {
            return CurrentStart;
        }

        int n = Index;
        while (PeriodStart(n + 1) <= timestamp)
        {
            n++;
        }

        return PeriodStart(n);
    }
}

/// <summary>
/// An independent model of billing for the simulation: it decides each record's outcome from DESIGN §2, keeps the
/// accepted records, and prices every closed period by hand (per-unit rates with included units, base fee prorated
/// by time, one rounding per line). It never calls the library's pricing, invoice calculator or ledger.
/// </summary>
public sealed class Oracle
{
    private readonly Dictionary<string, (UsageRecord Record, OracleSubscription Subscription, Instant PeriodStart)> _keys = new(StringComparer.Ordinal);

    /// <summary>Customers and their (one) subscription, once subscribed.</summary>
    public Dictionary<string, OracleSubscription?> Customers { get; } = new(StringComparer.Ordinal);

    /// <summary>Credit ledgers by customer.</summary>
    public Dictionary<string, OracleCredits> Credits { get; } = new(StringComparer.Ordinal);

    /// <summary>Every invoice the library must have issued, in order.</summary>
    public List<ExpectedInvoice> Invoices { get; } = [];

    /// <summary>Every subscription.</summary>
    public IEnumerable<OracleSubscription> Subscriptions => Customers.Values.OfType<OracleSubscription>();

    /// <summary>Accepted records so far (for retries and conflicts).</summary>
    public IReadOnlyList<UsageRecord> AcceptedRecords => _keys.Values.Select(v => v.Record).ToList();

    /// <summary>
    /// The outcomes the library may give <paramref name="record"/> at <paramref name="now"/> (as <c>Kind</c> or
    /// <c>Rejected:Reason</c>), and applies it to the model when it must be accepted. Call in submission order.
    /// </summary>
    public IReadOnlySet<string> ExpectAndApply(UsageRecord record, Instant now)
    {
        if (string.IsNullOrWhiteSpace(record.IdempotencyKey))
        {
            return Only("Rejected:MissingIdempotencyKey");
        }

        if (record.Quantity < 0m)
        {
            return Only("Rejected:NegativeQuantity");
        }

        if (record.Timestamp - now > SimulationWorld.FutureTolerance)
        {
            return Only("Rejected:TimestampInFuture");
        }

        if (record.MeterKey is not ("api_calls" or "storage_gb"))
        {
            return Only("Rejected:UnknownMeter");
        }

        if (_keys.TryGetValue(record.IdempotencyKey, out var stored))
        {
            var answer = stored.Record.ContentEquals(record) ? "Duplicate" : "Conflict";
            var sub = stored.Subscription;
            bool closed = stored.PeriodStart < sub.CurrentStart || sub.EndedAt is not null;

            // Once the period is closed the library may look at the period before the key (see issue #11 item 4).
            return closed ? new HashSet<string> { answer, "Rejected:PeriodClosed", "Rejected:NoActiveSubscription" } : Only(answer);
        }

        if (!Customers.TryGetValue(record.CustomerId, out var subscription))
        {
            return Only("Rejected:UnknownCustomer");
        }

        if (subscription is null || record.Timestamp < subscription.StartedAt || record.Timestamp >= (subscription.CancelAt ?? Instant.MaxValue))
        {
            return Only("Rejected:NoActiveSubscription");
        }

        if (subscription.EndedAt is { } ended)
        {
            return Only(record.Timestamp < ended ? "Rejected:PeriodClosed" : "Rejected:NoActiveSubscription");
        }

        if (record.Timestamp < subscription.CurrentStart)
        {
            return Only("Rejected:PeriodClosed");
        }

        var prices = SimulationWorld.Prices[subscription.PlanKey];
        if (!prices.Charges.TryGetValue(record.MeterKey, out var charge))
        {
            return Only("Rejected:UnknownMeter");
        }

        if (subscription.PlanKey == "prepaid")
        {
            var cost = record.Quantity * charge.Rate;
            var credits = CreditsOf(record.CustomerId);
            if (cost > 0m && !credits.CanCover(cost, record.Timestamp))
            {
                return Only("Rejected:InsufficientCredits");
            }

            credits.Consume(cost, record.Timestamp);
        }

        var periodStart = subscription.PeriodContaining(record.Timestamp);
        if (!subscription.Buckets.TryGetValue(periodStart, out var bucket))
        {
            subscription.Buckets[periodStart] = bucket = [];
        }

        bucket.Add(record);
        _keys[record.IdempotencyKey] = (record, subscription, periodStart);
        return Only("Accepted");
    }

    /// <summary>The credit ledger of a customer (created empty on first use).</summary>
    public OracleCredits CreditsOf(string customerId)
    {
        if (!Credits.TryGetValue(customerId, out var credits))
        {
            Credits[customerId] = credits = new OracleCredits();
        }

        return credits;
    }

    /// <summary>What the closer must do at <paramref name="now"/>: expire credits, then invoice every period whose end + grace has passed.</summary>
    public void CloseDue(Instant now)
    {
        foreach (var credits in Credits.Values)
        {
            credits.ExpireDue(now);
        }

        foreach (var subscription in Subscriptions.Where(s => s.EndedAt is null))
        {
            while (subscription.EndedAt is null && subscription.CurrentEnd <= now - SimulationWorld.Grace)
            {
                var (start, end) = (subscription.CurrentStart, subscription.CurrentEnd);
                Invoice(subscription, start, end, end);
                subscription.PartialStart = null;
                if (subscription.CancelAt is { } cancelAt && cancelAt <= end)
                {
                    subscription.EndedAt = cancelAt;
                }
                else
                {
                    subscription.Index++;
                }
            }
        }
    }

    /// <summary>
    /// A plan change at <paramref name="now"/>: the running period is invoiced up to now on the old plan, and the new plan
    /// runs from now to the next anchor date (the anchor is kept; all the simulation's plans are monthly).
    /// </summary>
    public void ChangePlan(OracleSubscription subscription, string newPlanKey, Instant now)
    {
        Invoice(subscription, subscription.CurrentStart, subscription.CurrentEnd, now);
        subscription.PlanKey = newPlanKey;
        subscription.PartialStart = now;
    }

    /// <summary>A cancellation at <paramref name="now"/>: the running period is invoiced up to now and the subscription ends.</summary>
    public void CancelNow(OracleSubscription subscription, Instant now)
    {
        Invoice(subscription, subscription.CurrentStart, subscription.CurrentEnd, now);
        subscription.EndedAt = now;
        subscription.CancelAt = now;
    }

    /// <summary>The billable quantity of <paramref name="meterKey"/> in one period (Sum of api_calls, Max of storage_gb).</summary>
    public static decimal Quantity(IReadOnlyList<UsageRecord> records, string meterKey)
    {
        var values = records.Where(r => r.MeterKey == meterKey).Select(r => r.Quantity).ToList();
        return values.Count == 0 ? 0m : meterKey == "storage_gb" ? values.Max() : values.Sum();
    }

    private void Invoice(OracleSubscription subscription, Instant start, Instant end, Instant coveredTo)
    {
        var prices = SimulationWorld.Prices[subscription.PlanKey];
        var digits = subscription.PlanKey == "prepaid" ? 0 : 2;
        var records = subscription.Buckets.GetValueOrDefault(start) ?? [];
        var from = start > subscription.StartedAt ? start : subscription.StartedAt;
        var to = coveredTo < end ? coveredTo : end;

        // Base fee prorated by time against the full period (also for the partial period after a plan change):
        // fee × covered / period, multiplied first, then rounded once.
        var fullStart = subscription.PeriodStart(subscription.Index);
        var baseFee = from == fullStart && to == end
            ? prices.BaseFee
            : prices.BaseFee * (to - from).ToInt64Nanoseconds() / (end - fullStart).ToInt64Nanoseconds();
        decimal total = Round(baseFee, digits);
        var quantities = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (meterKey, (rate, included)) in prices.Charges)
        {
            var quantity = Quantity(records, meterKey);
            quantities[meterKey] = quantity;
            var amount = Round(Math.Max(0m, quantity - included) * rate, digits);

            // Prepaid usage was paid with credits as it was recorded (Block: always in full).
            total += subscription.PlanKey == "prepaid" ? 0m : amount;
        }

        Invoices.Add(new ExpectedInvoice(subscription.SubscriptionId, start, to, subscription.PlanKey, total, quantities));
    }

    private static decimal Round(decimal amount, int digits) => Math.Round(amount, digits, MidpointRounding.AwayFromZero);

    private static HashSet<string> Only(string outcome) => [outcome];
}
