namespace Metering.Tests.Credits;

using Metering;

public class CreditGrantTest
{
    private static readonly Instant T0 = Instant.FromUtc(2025, 1, 1, 0, 0);

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Construct_NonPositiveAmount_ThrowsNamingFix(int amount)
    {
        var act = () => new CreditGrant("g1", "c1", new Money(amount, Currency.USD), CreditCategory.Paid, T0);

        act.Should().Throw<InvalidCreditGrantException>().WithMessage("*'g1'*not positive*greater than zero*");
    }

    [Fact]
    public void Construct_ExpiryNotAfterEffective_ThrowsNamingFix()
    {
        var act = () => new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Paid, T0, expiresAt: T0);

        act.Should().Throw<InvalidCreditGrantException>().WithMessage("*'g1'*ExpiresAt*not after EffectiveAt*null*");
    }

    [Theory]
    [InlineData("", "c1", "*GrantId*")]
    [InlineData(" ", "c1", "*GrantId*")]
    [InlineData("g1", "", "*'g1'*CustomerId*")]
    public void Construct_BlankIds_Throw(string grantId, string customerId, string message)
    {
        var act = () => new CreditGrant(grantId, customerId, new Money(10m, Currency.USD), CreditCategory.Paid, T0);

        act.Should().Throw<InvalidCreditGrantException>().WithMessage(message);
    }

    [Fact]
    public void Construct_DefaultMoney_Throws()
    {
        var act = () => new CreditGrant("g1", "c1", default, CreditCategory.Paid, T0);

        act.Should().Throw<InvalidCreditGrantException>().WithMessage("*'g1'*no amount*new Money*");
    }

    [Fact]
    public void Construct_Defaults_PriorityHundredNameIsIdNoMetadata()
    {
        var grant = new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Promotional, T0);

        grant.Priority.Should().Be(100);
        grant.Name.Should().Be("g1");
        grant.Metadata.Should().BeEmpty();
        grant.Sequence.Should().Be(0);
        grant.ExpiresAt.Should().BeNull();
    }

    [Fact]
    public void IsActiveAt_ExpiryInstant_IsNoLongerUsable()
    {
        var expiry = T0 + Duration.FromDays(30);
        var grant = new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Paid, T0, expiresAt: expiry);

        grant.IsActiveAt(T0 - Duration.Epsilon).Should().BeFalse();
        grant.IsActiveAt(T0).Should().BeTrue();
        grant.IsActiveAt(expiry - Duration.Epsilon).Should().BeTrue();
        grant.IsActiveAt(expiry).Should().BeFalse();
        grant.IsExpiredAt(expiry).Should().BeTrue();
    }

    [Fact]
    public void IsActiveAt_NoExpiry_UsableForever()
    {
        var grant = new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Paid, T0);

        grant.IsActiveAt(Instant.MaxValue).Should().BeTrue();
        grant.IsExpiredAt(Instant.MaxValue).Should().BeFalse();
    }

    [Fact]
    public void Equals_SameMetadataInOtherDictionaries_AreEqual()
    {
        var left = new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Paid, T0,
            metadata: new Dictionary<string, string> { ["campaign"] = "spring" });
        var right = new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Paid, T0,
            metadata: new Dictionary<string, string> { ["campaign"] = "spring" });
        var other = new CreditGrant("g1", "c1", new Money(10m, Currency.USD), CreditCategory.Paid, T0,
            metadata: new Dictionary<string, string> { ["campaign"] = "autumn" });

        left.Should().Be(right);
        left.GetHashCode().Should().Be(right.GetHashCode());
        left.Should().NotBe(other);
    }
}
