namespace Metering;

/// <summary>Thrown when a <see cref="CreditGrant"/> is built with values that break its rules
/// (blank ids, a non-positive amount, an expiry not after the effective instant, a duplicate id).</summary>
public sealed class InvalidCreditGrantException : MeteringException
{
    /// <summary>Creates the exception with a message that names the problem and the fix.</summary>
    public InvalidCreditGrantException(string message)
        : base(message)
    {
    }
}

/// <summary>Thrown when an operation names a grant that the customer's <see cref="CreditLedger"/> does not hold.</summary>
public sealed class UnknownCreditGrantException : MeteringException
{
    /// <summary>Creates the exception for the grant id that was not found.</summary>
    public UnknownCreditGrantException(string customerId, string grantId)
        : base(MeteringErrorCode.NotFound, $"Customer '{customerId}' has no credit grant '{grantId}'; check the grant id (ids are case-sensitive) or grant it first.")
    {
        CustomerId = customerId;
        GrantId = grantId;
    }

    /// <summary>The customer whose ledger was searched.</summary>
    public string CustomerId { get; }

    /// <summary>The grant id that was not found.</summary>
    public string GrantId { get; }
}

/// <summary>Thrown when a ledger operation would break a rule of the ledger
/// (an adjustment that makes a remainder negative, adjusting an expired grant, a reused transaction id).</summary>
public sealed class InvalidCreditOperationException : MeteringException
{
    /// <summary>Creates the exception with a message that names the problem and the fix.</summary>
    public InvalidCreditOperationException(string message)
        : base(MeteringErrorCode.InvalidState, message)
    {
    }
}

/// <summary>Thrown when grants and transactions loaded with <see cref="CreditLedger.FromHistory"/>
/// (or checked with <see cref="CreditLedger.CheckInvariants"/>) break an invariant of the ledger,
/// e.g. a grant whose remainder goes below zero.</summary>
public sealed class CreditLedgerInvariantException : MeteringException
{
    /// <summary>Creates the exception listing every violation found.</summary>
    public CreditLedgerInvariantException(string customerId, IReadOnlyList<string> violations)
        : base(MeteringErrorCode.InvalidState, $"The credit ledger of customer '{customerId}' breaks {violations.Count} invariant(s): {string.Join(" | ", violations)}")
    {
        CustomerId = customerId;
        Violations = violations;
    }

    /// <summary>The customer whose ledger was checked.</summary>
    public string CustomerId { get; }

    /// <summary>One message per violation, each naming the grant or transaction and the fix.</summary>
    public IReadOnlyList<string> Violations { get; }
}
