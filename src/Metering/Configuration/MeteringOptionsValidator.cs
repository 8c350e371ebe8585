using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>Validates <see cref="MeteringOptions"/> once at startup, collecting every failure with the setting's name.</summary>
internal sealed class MeteringOptionsValidator : IValidateOptions<MeteringOptions>
{
    public ValidateOptionsResult Validate(string? name, MeteringOptions options)
    {
        var failures = new List<string>(options.BindingErrors);
        if (options.GracePeriod < Duration.Zero || options.GracePeriod > MeteringOptions.MaxGracePeriod)
        {
            failures.Add($"MeteringOptions.GracePeriod must be between 0 and 72 hours, but was {DurationText.Format(options.GracePeriod)}.");
        }

        if (options.FutureTolerance < Duration.Zero || options.FutureTolerance > Duration.FromHours(1))
        {
            failures.Add($"MeteringOptions.FutureTolerance must be between 0 and 1 hour, but was {DurationText.Format(options.FutureTolerance)}.");
        }

        if (options.MaxBackdatedStart < Duration.Zero || options.MaxBackdatedStart > MeteringOptions.MaxScheduleSpan)
        {
            failures.Add($"MeteringOptions.MaxBackdatedStart must be between 0 and 3653 days (10 years), but was {DurationText.Format(options.MaxBackdatedStart)}.");
        }

        if (options.EntitlementGracePeriod < Duration.Zero || options.EntitlementGracePeriod > MeteringOptions.MaxEntitlementGracePeriod)
        {
            failures.Add($"MeteringOptions.EntitlementGracePeriod must be between 0 and 90 days, but was {DurationText.Format(options.EntitlementGracePeriod)}.");
        }

        if (!Enum.IsDefined(options.InvoiceApproval))
        {
            failures.Add($"MeteringOptions.InvoiceApproval has an unknown value {(int)options.InvoiceApproval}; use Automatic or Manual.");
        }

        if (options.Rounding is null)
        {
            failures.Add("MeteringOptions.Rounding is null; use RoundingPolicy.HalfUp (the default), RoundingPolicy.HalfEven or new RoundingPolicy(mode).");
        }

        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(options.DefaultTimeZone ?? string.Empty) is null)
        {
            failures.Add($"MeteringOptions.DefaultTimeZone '{options.DefaultTimeZone}' is not an IANA time zone id; use one such as 'UTC' or 'America/Jamaica'.");
        }

        if (options.CloseBatchSize is < 1 or > 100_000)
        {
            failures.Add($"MeteringOptions.CloseBatchSize must be between 1 and 100000, but was {options.CloseBatchSize}.");
        }

        if (options.SubscriptionCacheCapacity < 0)
        {
            failures.Add($"MeteringOptions.SubscriptionCacheCapacity must be zero (keep nothing) or more, e.g. 250000 (the default), but was {options.SubscriptionCacheCapacity}.");
        }

        foreach (var (unit, threshold) in options.LowCreditBalanceThresholds)
        {
            if (threshold < 0m)
            {
                failures.Add($"MeteringOptions.LowCreditBalanceThresholds['{unit}'] must be zero or positive, but was {threshold}.");
            }
        }

        if (options.CloseConcurrency is < 1 or > 1024)
        {
            failures.Add($"MeteringOptions.CloseConcurrency must be between 1 and 1024, but was {options.CloseConcurrency}.");
        }

        if (options.CloseRetryDelay < Duration.FromSeconds(1) || options.CloseRetryDelay > Duration.FromDays(1))
        {
            failures.Add($"MeteringOptions.CloseRetryDelay must be between 1 second and 1 day, but was {DurationText.Format(options.CloseRetryDelay)}.");
        }

        if (options.CloseRetryMaxDelay < options.CloseRetryDelay || options.CloseRetryMaxDelay > Duration.FromDays(1))
        {
            failures.Add($"MeteringOptions.CloseRetryMaxDelay must be between CloseRetryDelay ({DurationText.Format(options.CloseRetryDelay)}) and 1 day, but was {DurationText.Format(options.CloseRetryMaxDelay)}.");
        }

        var meters = new Dictionary<string, Meter>(StringComparer.Ordinal);
        foreach (var meter in options.Meters)
        {
            if (meters.TryGetValue(meter.Key, out var existing) && !existing.Equals(meter))
            {
                failures.Add($"MeteringOptions.Meters declares meter '{meter.Key}' twice with different definitions; keep one.");
            }

            meters[meter.Key] = meter;
        }

        var plans = new Dictionary<string, Plan>(StringComparer.Ordinal);
        foreach (var plan in options.Plans)
        {
            if (plans.TryGetValue(plan.Key, out var existing) && !existing.DefinitionEquals(plan))
            {
                failures.Add($"MeteringOptions.Plans declares plan '{plan.Key}' twice with different definitions; keep one (a changed definition becomes a new version on its own).");
            }

            plans[plan.Key] = plan;
            foreach (var charge in plan.Charges)
            {
                if (!meters.ContainsKey(charge.MeterKey))
                {
                    failures.Add($"MeteringOptions.Plans: plan '{plan.Key}' prices meter '{charge.MeterKey}', which is not declared; add it with AddMeter(...).");
                }
            }

            try
            {
                plan.CheckGroupByAgainst(meters.Values);
            }
            catch (InvalidPlanException e)
            {
                failures.AddRange(e.Problems.Select(problem => $"MeteringOptions.Plans: plan '{plan.Key}': {problem}"));
            }
        }

        if (options.DefaultCreditRateCard is { } rateCard)
        {
            if (string.IsNullOrWhiteSpace(rateCard))
            {
                failures.Add("MeteringOptions.DefaultCreditRateCard is blank; set it to the key of a credit rate card (AddPlan(...AsCreditRateCard()...)) or leave it null.");
            }
            else if (plans.TryGetValue(rateCard, out var declared) && !declared.IsCreditRateCard)
            {
                failures.Add($"MeteringOptions.DefaultCreditRateCard names plan '{rateCard}', which is not a credit rate card; build it with PlanBuilder.AsCreditRateCard(), or name a rate card.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
