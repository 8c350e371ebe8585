namespace Metering;

/// <summary>
/// How an invoice line's exact amount is rounded to its currency's minor units. Rounding is a
/// business decision: Metering rounds once per invoice line, never in between.
/// </summary>
public sealed record RoundingPolicy
{
    /// <summary>Half away from zero (half-up for positive amounts), as Kill Bill and most invoices do.</summary>
    public static RoundingPolicy HalfUp { get; } = new(MidpointRounding.AwayFromZero);

    /// <summary>Banker's rounding: halves go to the even neighbour.</summary>
    public static RoundingPolicy HalfEven { get; } = new(MidpointRounding.ToEven);

    /// <summary>Creates a policy with the given midpoint rule.</summary>
    /// <param name="mode">
    /// A <see cref="MidpointRounding"/> value. Directed modes (<see cref="MidpointRounding.ToZero"/>,
    /// <see cref="MidpointRounding.ToPositiveInfinity"/>, ...) round every value that way, not just halves.
    /// </param>
    public RoundingPolicy(MidpointRounding mode)
    {
        Preconditions.CheckArgument(Enum.IsDefined(mode), nameof(mode), $"Unknown MidpointRounding value {(int)mode}.");
        Mode = mode;
    }

    /// <summary>The rounding rule.</summary>
    public MidpointRounding Mode { get; }

    /// <summary>Rounds <paramref name="amount"/> to <paramref name="currency"/>'s minor-unit digits.</summary>
    public decimal Round(decimal amount, Currency currency) => Math.Round(amount, currency.MinorDigits, Mode);
}
