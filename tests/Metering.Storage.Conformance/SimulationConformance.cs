using Metering.Storage.Conformance.Simulation;

namespace Metering.Storage.Conformance;

/// <summary>
/// Deterministic simulation (DESIGN invariants 1 to 4 and 9): seeded random workloads run against the store under
/// test, with store calls failing before or after they commit, and checked step by step against an independent oracle.
/// CI runs <see cref="CiSeeds"/> fixed seeds of <see cref="CiSteps"/> steps; <c>METERING_SIM_SEEDS=5000</c> runs seeds
/// 1..5000, <c>METERING_SIM_SEED=1234</c> replays one, <c>METERING_SIM_STEPS</c> changes the steps per seed.
/// Race steps (late records recorded concurrently with the close of their period) are the one nondeterministic part:
/// a replay makes the same calls, but which racing records land before the close may differ.
/// </summary>
public abstract class SimulationConformance : StoreTestBase
{
    /// <summary>How many seeds CI runs on this store (seeds 1..n).</summary>
    protected virtual int CiSeeds => 3;

    /// <summary>Steps per seed in CI.</summary>
    protected virtual int CiSteps => 150;

    /// <summary>The seeds to run: <c>METERING_SIM_SEED</c>, else 1..<c>METERING_SIM_SEEDS</c>, else 1..<paramref name="ciSeeds"/>.</summary>
    public static IReadOnlyList<int> SeedsToRun(int ciSeeds)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("METERING_SIM_SEED"), out var one))
        {
            return [one];
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("METERING_SIM_SEEDS"), out var many) ? many : ciSeeds;
        return Enumerable.Range(1, count).ToList();
    }

    [Fact]
    public async Task SeededWorkloads_WithInjectedFaults_MatchTheIndependentOracle()
    {
        var steps = int.TryParse(Environment.GetEnvironmentVariable("METERING_SIM_STEPS"), out var s) ? s : CiSteps;
        var seeds = SeedsToRun(CiSeeds);
        var totals = (Records: 0, Invoices: 0, Before: 0, After: 0, Won: 0, Lost: 0);
        foreach (var seed in seeds)
        {
            var faults = new FaultPlan(seed, rate: 0.05);
            await using var billing = TestMetering.Create(SimulationWorld.Configure, SimulationWorld.Start, b =>
            {
                UseStore(b);
                faults.Wrap(b);
            });
            var summary = await SimulationDriver.RunAsync(billing, faults, seed, steps, checkEvery: 10);
            totals = (totals.Records + summary.Records, totals.Invoices + summary.Invoices, totals.Before + summary.FaultsBefore, totals.After + summary.FaultsAfter, totals.Won + summary.RacesWon, totals.Lost + summary.RacesLost);
        }

        totals.Invoices.Should().BePositive("the workload must close periods");
        totals.Before.Should().BePositive("faults must strike before commits");
        totals.After.Should().BePositive("faults must strike after commits");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{seeds.Count} seeds × {steps} steps: {totals.Records} records, {totals.Invoices} invoices, faults {totals.Before} before / {totals.After} after commit, records racing a close: {totals.Won} in / {totals.Lost} rejected");
    }
}
