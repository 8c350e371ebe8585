namespace Metering;

/// <summary>One local day of one meter's usage (see <see cref="IUsageQuery.GetDailyUsageAsync"/>).</summary>
/// <param name="Date">The day, in the customer's time zone.</param>
/// <param name="Quantity">The meter's aggregation over that day's records alone (a Sum of the day, the Max of the day, ...); zero without records.</param>
/// <param name="RecordCount">How many records fell on that day.</param>
public sealed record DayUsage(LocalDate Date, decimal Quantity, long RecordCount);

/// <summary>One meter's usage per local day of a period.</summary>
/// <param name="MeterKey">The meter.</param>
/// <param name="Days">Every day of the period up to now (or its end), oldest first, days without records included.</param>
public sealed record MeterDailyUsage(string MeterKey, IReadOnlyList<DayUsage> Days);

/// <summary>A period's usage per meter and local day, for charts (see <see cref="IUsageQuery.GetDailyUsageAsync"/>).</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Period">The period.</param>
/// <param name="TimeZoneId">The time zone the days are taken in (the subscription's schedule's).</param>
/// <param name="Meters">One entry per meter the plan prices, in the plan's charge order.</param>
public sealed record DailyUsage(string SubscriptionId, BillingPeriod Period, string TimeZoneId, IReadOnlyList<MeterDailyUsage> Meters);

/// <summary>Folds a period's raw records into per-day usage; pure.</summary>
internal static class DailyUsageFold
{
    /// <summary>
    /// The usage of each of <paramref name="meters"/> on each local day in <paramref name="zone"/> from the period's
    /// start to the day of <paramref name="until"/> (or of a later record, such as one a little ahead of the clock),
    /// at most the period's last day, folding each day's records with the meter's own aggregation. Records of other
    /// meters, or outside the period, are ignored.
    /// </summary>
    public static IReadOnlyList<MeterDailyUsage> Fold(IReadOnlyList<Meter> meters, BillingPeriod period, Instant until, DateTimeZone zone, IReadOnlyList<UsageRecord> recordsInArrivalOrder)
    {
        var latest = until;
        foreach (var record in recordsInArrivalOrder)
        {
            if (record.Timestamp > latest && record.Timestamp < period.End)
            {
                latest = record.Timestamp;
            }
        }

        var lastInstant = latest >= period.End ? period.End - Duration.Epsilon : latest < period.Start ? period.Start : latest;
        var first = period.Start.InZone(zone).Date;
        int dayCount = Period.Between(first, lastInstant.InZone(zone).Date, PeriodUnits.Days).Days + 1;
        var byMeter = meters.ToDictionary(m => m.Key, _ => new List<UsageRecord>[dayCount], StringComparer.Ordinal);
        foreach (var record in recordsInArrivalOrder)
        {
            if (!byMeter.TryGetValue(record.MeterKey, out var days) || !period.Contains(record.Timestamp))
            {
                continue;
            }

            int day = Period.Between(first, record.Timestamp.InZone(zone).Date, PeriodUnits.Days).Days;
            (days[day] ??= []).Add(record);
        }

        return meters.Select(meter =>
        {
            var days = byMeter[meter.Key];
            var usage = new DayUsage[dayCount];
            for (int i = 0; i < dayCount; i++)
            {
                var records = days[i];
                var aggregate = records is null ? UsageAggregate.Empty(meter.Aggregation) : UsageAggregate.Fold(meter.Aggregation, records, meter.UniqueProperty);
                usage[i] = new DayUsage(first.PlusDays(i), aggregate.Quantity, aggregate.RecordCount);
            }

            return new MeterDailyUsage(meter.Key, usage);
        }).ToArray();
    }
}
