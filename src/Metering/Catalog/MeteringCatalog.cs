using System.Collections.Concurrent;
using Metering.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Metering;

/// <summary>
/// Meters and plan versions, read from the store and cached (published plan versions never change,
/// so the cache is always right). Applies the declarations in <see cref="MeteringOptions"/> once.
/// A lookup of the latest version (no version given) always reads the store, so a version published by another
/// instance is seen at the next such lookup; the archived flag is not cached (<see cref="EnsureNotArchivedAsync"/>).
/// </summary>
internal sealed class MeteringCatalog
{
    private readonly IMeteringStore _store;
    private readonly MeteringOptions _options;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Meter> _meters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Key, int Version), Plan> _plans = new();
    private readonly ConcurrentDictionary<(string PlanKey, int Version, string MeterKey), TargetSet> _targets = new();
    private volatile bool _initialized;

    public MeteringCatalog(IMeteringStore store, IOptions<MeteringOptions> options)
    {
        _store = store;
        _options = options.Value;
    }

    /// <summary>True once <see cref="EnsureInitializedAsync"/> has completed (lets hot paths skip the call).</summary>
    public bool IsInitialized => _initialized;

    /// <summary>Creates the schema and applies the declared meters and plans, once per process.</summary>
    public async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            foreach (var meter in _options.Meters)
            {
                await _store.UpsertMeterAsync(meter, cancellationToken).ConfigureAwait(false);
            }

            foreach (var meter in await _store.ListMetersAsync(cancellationToken).ConfigureAwait(false))
            {
                _meters[meter.Key] = meter;
            }

            foreach (var plan in _options.Plans)
            {
                plan.CheckGroupByAgainst(_meters.Values);
                var published = await _store.PublishPlanAsync(plan, cancellationToken).ConfigureAwait(false);
                _plans[(published.Key, published.Version)] = published;
            }

            await CheckDefaultCreditRateCardAsync(cancellationToken).ConfigureAwait(false);
            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <summary>
    /// Checks at startup that <see cref="MeteringOptions.DefaultCreditRateCard"/>, when set, names a published credit
    /// rate card (declared in code or published before).
    /// </summary>
    /// <exception cref="MeteringException"><see cref="MeteringErrorCode.Configuration"/>: no such plan, or not a rate card.</exception>
    private async ValueTask CheckDefaultCreditRateCardAsync(CancellationToken cancellationToken)
    {
        if (_options.DefaultCreditRateCard is not { } key)
        {
            return;
        }

        var plan = await FindPlanAsync(key, null, cancellationToken).ConfigureAwait(false)
            ?? throw new MeteringException(MeteringErrorCode.Configuration, $"MeteringOptions.DefaultCreditRateCard names '{key}', which is not a published plan; declare it with AddPlan(Plan.Create(\"{key}\", ...).AsCreditRateCard().Build()), or set DefaultCreditRateCard to null.");
        if (!plan.IsCreditRateCard)
        {
            throw new MeteringException(MeteringErrorCode.Configuration, $"MeteringOptions.DefaultCreditRateCard names plan '{key}', which is not a credit rate card; build it with PlanBuilder.AsCreditRateCard(), or name a rate card.");
        }
    }

    /// <summary>Declares a meter at run time (idempotent).</summary>
    public async ValueTask<Meter> AddMeterAsync(Meter meter, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _store.UpsertMeterAsync(meter, cancellationToken).ConfigureAwait(false);
        _meters[meter.Key] = meter;
        return meter;
    }

    /// <summary>Publishes a plan at run time: the same definition again returns the latest version; a change makes a new one.</summary>
    public async ValueTask<Plan> PublishPlanAsync(Plan plan, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var meters = new List<Meter>(plan.Charges.Count);
        foreach (var charge in plan.Charges)
        {
            meters.Add(await FindMeterAsync(charge.MeterKey, cancellationToken).ConfigureAwait(false)
                ?? throw new MeteringException(MeteringErrorCode.Configuration, $"Plan '{plan.Key}' prices meter '{charge.MeterKey}', which is not declared; declare the meter first."));
        }

        plan.CheckGroupByAgainst(meters);

        var published = await _store.PublishPlanAsync(plan, cancellationToken).ConfigureAwait(false);
        _plans[(published.Key, published.Version)] = published;
        return published;
    }

    public async ValueTask<Meter?> FindMeterAsync(string meterKey, CancellationToken cancellationToken)
    {
        if (_meters.TryGetValue(meterKey, out var meter))
        {
            return meter;
        }

        // Another instance may have declared it since we started.
        foreach (var stored in await _store.ListMetersAsync(cancellationToken).ConfigureAwait(false))
        {
            _meters[stored.Key] = stored;
        }

        return _meters.GetValueOrDefault(meterKey);
    }

    public bool TryGetMeter(string meterKey, out Meter meter) => _meters.TryGetValue(meterKey, out meter!);

    public async ValueTask<Plan?> FindPlanAsync(string planKey, int? version, CancellationToken cancellationToken)
    {
        if (version is { } v && _plans.TryGetValue((planKey, v), out var cached))
        {
            return cached;
        }

        var plan = await _store.FindPlanAsync(planKey, version, cancellationToken).ConfigureAwait(false);
        if (plan is not null)
        {
            _plans[(plan.Key, plan.Version)] = plan;
        }

        return plan;
    }

    /// <summary>
    /// Refuses an archived plan as the target of a subscribe or plan change. Reads the store every time (not cached), so
    /// an archive made by any instance applies at once.
    /// </summary>
    /// <exception cref="PlanArchivedException">The plan is archived.</exception>
    public async ValueTask EnsureNotArchivedAsync(string planKey, CancellationToken cancellationToken)
    {
        if (await _store.IsPlanArchivedAsync(planKey, cancellationToken).ConfigureAwait(false))
        {
            throw new PlanArchivedException(planKey);
        }
    }

    public bool TryGetPlan(string planKey, int version, out Plan plan) => _plans.TryGetValue((planKey, version), out plan!);

    public async ValueTask<Plan> GetPlanAsync(string planKey, int version, CancellationToken cancellationToken) =>
        await FindPlanAsync(planKey, version, cancellationToken).ConfigureAwait(false)
        ?? throw new MeteringException(MeteringErrorCode.NotFound, $"Plan '{planKey}' v{version} is not in the store; publish it before subscribing to it.");

    /// <summary>
    /// The aggregates a record of <paramref name="meter"/> updates on <paramref name="plan"/>: the
    /// meter-level one plus one per charge that filters on properties and matches the record, and one per grouped
    /// charge (matching its filter, if any) for the record's group. Null when the plan prices the meter with no charge
    /// at all. Cached when no charge filters or groups.
    /// </summary>
    public AggregateTarget[]? TargetsFor(Plan plan, Meter meter, IReadOnlyDictionary<string, string>? properties)
    {
        var set = _targets.GetOrAdd((plan.Key, plan.Version, meter.Key), static (k, state) => new TargetSet(BuildUnfiltered(state.plan, state.meter), HasFilteredCharge(state.plan, state.meter.Key)), (plan, meter));
        var cached = set.Unfiltered;
        if (cached is null || !set.HasFilteredCharge)
        {
            return cached;
        }

        var targets = new List<AggregateTarget>(cached);
        foreach (var charge in plan.Charges)
        {
            if (charge.MeterKey != meter.Key || !IsRecordDependent(charge) || !charge.Matches(properties))
            {
                continue;
            }

            var key = charge.GroupBy.Count > 0 ? AggregateKey.ForGroup(charge, properties) : AggregateKey.For(charge);
            targets.Add(new AggregateTarget(key, meter.Aggregation, meter.UniqueProperty, charge.BurnsCreditsInRealTime ? charge : null, charge, [charge]));
        }

        return [.. targets];
    }

    private static AggregateTarget[]? BuildUnfiltered(Plan plan, Meter meter)
    {
        Charge? burning = null;
        Charge? limiting = null;
        List<Charge>? alerting = null;
        bool priced = false;
        foreach (var charge in plan.Charges)
        {
            if (charge.MeterKey != meter.Key)
            {
                continue;
            }

            priced = true;
            if (IsRecordDependent(charge))
            {
                // Filtered and grouped charges read their own aggregates (TargetsFor adds them per record).
                continue;
            }

            if (charge.BurnsCreditsInRealTime)
            {
                burning = charge;
            }

            if (charge.LimitPerPeriod is { } limit && (limiting is null || limit < limiting.LimitPerPeriod))
            {
                limiting = charge;
            }

            // Every charge reading the meter aggregate: those with plan alerts raise them, and a subscription's own alerts may watch any.
            (alerting ??= []).Add(charge);
        }

        return priced ? [new AggregateTarget(AggregateKey.ForMeter(meter.Key), meter.Aggregation, meter.UniqueProperty, burning, limiting, alerting)] : null;
    }

    private static bool HasFilteredCharge(Plan plan, string meterKey)
    {
        foreach (var charge in plan.Charges)
        {
            if (charge.MeterKey == meterKey && IsRecordDependent(charge))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the aggregate a charge reads depends on the record's properties (a filter or a grouping).</summary>
    private static bool IsRecordDependent(Charge charge) => charge.Filter.Count > 0 || charge.GroupBy.Count > 0;

    // Cached per plan version and meter, so the per-record path neither re-scans the charges nor allocates an enumerator.
    private sealed record TargetSet(AggregateTarget[]? Unfiltered, bool HasFilteredCharge);
}

/// <summary>Applies declarations and validates options when the host starts.</summary>
internal sealed class MeteringStartup(
    MeteringCatalog catalog,
    IMeteringStore store,
    IOptions<MeteringOptions> options,
    Microsoft.Extensions.Logging.ILogger<MeteringStartup>? logger = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var log = (Microsoft.Extensions.Logging.ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        try
        {
            await catalog.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Diagnostics.HostingLog.StartFailed(log, exception, store.GetType().Name);
            throw;
        }

        Diagnostics.HostingLog.Started(log, store.GetType().Name, options.Value.Meters.Count, options.Value.Plans.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
