namespace Metering.Tests.Errors;

using Metering;

public class MeteringErrorCodeTest
{
    [Theory]
    [InlineData(MeteringErrorCode.InvalidArgument, false)]
    [InlineData(MeteringErrorCode.NotFound, false)]
    [InlineData(MeteringErrorCode.AlreadyExists, false)]
    [InlineData(MeteringErrorCode.InvalidState, false)]
    [InlineData(MeteringErrorCode.ConcurrencyConflict, true)]
    [InlineData(MeteringErrorCode.StoreUnavailable, true)]
    [InlineData(MeteringErrorCode.Configuration, false)]
    public void IsRetryable_OnlyForTransientKinds(MeteringErrorCode code, bool retryable)
    {
        var error = new MeteringException(code, "message");

        error.ErrorCode.Should().Be(code);
        error.IsRetryable.Should().Be(retryable);
    }

    [Fact]
    public void MessageOnlyConstructor_IsInvalidArgument()
    {
        new MeteringException("bad").ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        new MeteringException("bad", new InvalidOperationException()).ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
    }

    [Fact]
    public void TypedErrors_CarryTheirKind()
    {
        var ledger = CreditLedger.Empty("c1");
        var unknownGrant = () => ledger.Void("missing", Instant.FromUtc(2026, 1, 1, 0, 0));
        var mixed = () => new Money(1m, Currency.USD).Plus(new Money(1m, Currency.EUR));

        unknownGrant.Should().Throw<UnknownCreditGrantException>().Which.ErrorCode.Should().Be(MeteringErrorCode.NotFound);
        mixed.Should().Throw<CurrencyMismatchException>().Which.ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        new InvalidTextException("id", "m").ErrorCode.Should().Be(MeteringErrorCode.InvalidArgument);
        new InvalidCreditOperationException("m").ErrorCode.Should().Be(MeteringErrorCode.InvalidState);
    }
}
