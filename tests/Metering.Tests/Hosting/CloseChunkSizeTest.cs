namespace Metering.Tests.Hosting;

/// <summary>How the period closer splits claimed work into store calls (<see cref="PeriodCloser.ChunkSize"/>).</summary>
public sealed class CloseChunkSizeTest
{
    [Theory]
    // A store that closes one period per transaction always gets single closes (it shares commits among them).
    [InlineData(500, 32, 1, 1)]
    [InlineData(1, 32, 100, 1)]
    // A batching store (100 per call): 500 claimed over 32 calls would be 16 each; at least half its maximum: 50.
    [InlineData(500, 32, 100, 50)]
    // Few calls in flight: the spread (500 / 2 = 250) is capped at the maximum.
    [InlineData(500, 2, 100, 100)]
    // Less work than half the maximum: all of it in one call.
    [InlineData(30, 32, 100, 30)]
    [InlineData(30, 1, 100, 30)]
    // Between half and the whole maximum: the spread.
    [InlineData(140, 2, 100, 70)]
    public void ChunkSize_IsOneForSingleCloseStores_AndFullBatchesForBatchingOnes(int work, int concurrency, int maxPerCall, int expected) =>
        PeriodCloser.ChunkSize(work, concurrency, maxPerCall).Should().Be(expected);
}
