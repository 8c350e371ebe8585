namespace Metering.Tests.Usage;

using Metering;

public class UsageRecordRulesTest
{
    private static readonly Instant Now = Instant.FromUtc(2024, 1, 15, 10, 0);
    private static readonly Duration Tolerance = Duration.FromMinutes(5);

    private static UsageRecord Valid() => new("cus_1", "packages", 3m, Now, "evt_1");

    private static UsageRejection Rejected(UsageRecord record)
    {
        var rejection = UsageRecordRules.CheckShape(record, Now, Tolerance);
        rejection.Should().NotBeNull();
        return rejection!.Value;
    }

    [Fact]
    public void CheckShape_ValidRecord_Passes()
    {
        UsageRecordRules.CheckShape(Valid(), Now, Tolerance).Should().BeNull();
    }

    [Fact]
    public void CheckShape_IdempotencyKeyOf255Chars_Accepted()
    {
        var record = Valid() with { IdempotencyKey = new string('k', 255) };

        UsageRecordRules.CheckShape(record, Now, Tolerance).Should().BeNull();
    }

    [Fact]
    public void CheckShape_IdempotencyKeyOf256Chars_TooLong()
    {
        var rejection = Rejected(Valid() with { IdempotencyKey = new string('k', 256) });

        rejection.Reason.Should().Be(UsageRejectionReason.IdempotencyKeyTooLong);
        rejection.Message.Should().Be("The idempotency key is 256 characters long; the limit is 255. Use a shorter key, e.g. a hash or a UUID of the event.");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void CheckShape_MissingIdempotencyKey_Rejected(string? key)
    {
        var rejection = Rejected(Valid() with { IdempotencyKey = key! });

        rejection.Reason.Should().Be(UsageRejectionReason.MissingIdempotencyKey);
        rejection.Message.Should().Contain("set IdempotencyKey");
    }

    [Fact]
    public void CheckShape_NegativeQuantity_NamesValueAndFix()
    {
        var rejection = Rejected(Valid() with { Quantity = -1.5m });

        rejection.Reason.Should().Be(UsageRejectionReason.NegativeQuantity);
        rejection.Message.Should().StartWith("The quantity -1.5 is negative;").And.Contain("send a Set record");
    }

    [Fact]
    public void CheckShape_ZeroQuantity_Passes()
    {
        UsageRecordRules.CheckShape(Valid() with { Quantity = 0m }, Now, Tolerance).Should().BeNull();
    }

    [Fact]
    public void CheckShape_FutureBeyondTolerance_Rejected()
    {
        // now 10:00 + tolerance 5 min = 10:05; 10:05:01 is one second beyond.
        var rejection = Rejected(Valid() with { Timestamp = Now + Duration.FromMinutes(5) + Duration.FromSeconds(1) });

        rejection.Reason.Should().Be(UsageRejectionReason.TimestampInFuture);
        rejection.Message.Should().Be(
            "The timestamp 2024-01-15T10:05:01Z is 5 minutes 1 second ahead of now (2024-01-15T10:00:00Z), beyond the clock-skew tolerance of 5 minutes; " +
            "send the time the usage happened, from a synchronized clock.");
    }

    [Fact]
    public void CheckShape_FutureWithinOrAtTolerance_Passes()
    {
        UsageRecordRules.CheckShape(Valid() with { Timestamp = Now + Duration.FromMinutes(4) }, Now, Tolerance).Should().BeNull();
        UsageRecordRules.CheckShape(Valid() with { Timestamp = Now + Duration.FromMinutes(5) }, Now, Tolerance).Should().BeNull();
    }

    [Fact]
    public void CheckShape_PastTimestamp_Passes()
    {
        // Lateness is the period-close rule's business, not the shape's.
        UsageRecordRules.CheckShape(Valid() with { Timestamp = Now - Duration.FromDays(40) }, Now, Tolerance).Should().BeNull();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void CheckShape_BlankCustomerId_InvalidRecord(string? customerId)
    {
        var rejection = Rejected(Valid() with { CustomerId = customerId! });

        rejection.Reason.Should().Be(UsageRejectionReason.InvalidRecord);
        rejection.Message.Should().Contain("no customer id").And.Contain("set CustomerId");
    }

    [Fact]
    public void CheckShape_BlankMeterKey_InvalidRecord()
    {
        var rejection = Rejected(Valid() with { MeterKey = " " });

        rejection.Reason.Should().Be(UsageRejectionReason.InvalidRecord);
        rejection.Message.Should().Contain("no meter key").And.Contain("set MeterKey");
    }

    [Fact]
    public void CheckShape_BlankSubscriptionId_InvalidRecord_NullAllowed()
    {
        Rejected(Valid() with { SubscriptionId = "" }).Message.Should().Contain("subscription id is empty");
        UsageRecordRules.CheckShape(Valid() with { SubscriptionId = "sub_1" }, Now, Tolerance).Should().BeNull();
    }

    [Fact]
    public void CheckShape_UndefinedAction_InvalidRecord()
    {
        var rejection = Rejected(Valid() with { Action = (UsageAction)7 });

        rejection.Reason.Should().Be(UsageRejectionReason.InvalidRecord);
        rejection.Message.Should().Contain("action 7 is not defined");
    }

    [Fact]
    public void CheckShape_NegativeTolerance_Throws()
    {
        var act = () => UsageRecordRules.CheckShape(Valid(), Now, Duration.FromSeconds(-1));

        act.Should().Throw<ArgumentException>().WithParameterName("futureTolerance");
    }

    [Fact]
    public void CheckShape_AcceptedPath_DoesNotAllocate()
    {
        var record = Valid();

        // The first pass warms up the JIT (tiering and on-stack replacement may allocate once); the second is measured.
        CheckManyTimes(record, out _);
        var allocated = CheckManyTimes(record, out var passed);

        passed.Should().BeTrue();
        allocated.Should().Be(0);
    }

    private static long CheckManyTimes(UsageRecord record, out bool passed)
    {
        passed = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            passed &= UsageRecordRules.CheckShape(record, Now, Tolerance) is null;
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void CheckAgainstMeter_UnknownMeter_ListsFix()
    {
        var rejection = UsageRecordRules.CheckAgainstMeter(Valid(), null);

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.UnknownMeter);
        rejection.Value.Message.Should().Be(
            "Meter 'packages' is not defined; define it at startup (e.g. Meter.Sum(\"packages\")) or record against an existing meter key (keys are case-sensitive).");
    }

    [Fact]
    public void CheckAgainstMeter_UniqueCountWithoutProperty_MissingProperty()
    {
        var meter = Meter.UniqueCount("active_users", "user_id");
        var record = Valid() with { MeterKey = "active_users", Properties = new Dictionary<string, string> { ["region"] = "eu" } };

        var rejection = UsageRecordRules.CheckAgainstMeter(record, meter);

        rejection!.Value.Reason.Should().Be(UsageRejectionReason.MissingProperty);
        rejection.Value.Message.Should().Contain("Meter 'active_users' counts distinct values of property 'user_id'")
            .And.Contain("add Properties[\"user_id\"]");
    }

    [Fact]
    public void CheckAgainstMeter_UniqueCountWithNullPropertiesOrBlankValue_MissingProperty()
    {
        var meter = Meter.UniqueCount("active_users", "user_id");
        var bare = Valid() with { MeterKey = "active_users" };

        UsageRecordRules.CheckAgainstMeter(bare, meter)!.Value.Reason.Should().Be(UsageRejectionReason.MissingProperty);
        UsageRecordRules.CheckAgainstMeter(bare with { Properties = new Dictionary<string, string> { ["user_id"] = " " } }, meter)!
            .Value.Reason.Should().Be(UsageRejectionReason.MissingProperty);
    }

    [Fact]
    public void CheckAgainstMeter_Fits_Passes()
    {
        var users = Meter.UniqueCount("active_users", "user_id");
        var record = Valid() with { MeterKey = "active_users", Properties = new Dictionary<string, string> { ["user_id"] = "u1" } };

        UsageRecordRules.CheckAgainstMeter(record, users).Should().BeNull();
        UsageRecordRules.CheckAgainstMeter(Valid(), Meter.Sum("packages")).Should().BeNull();
    }

    [Fact]
    public void CheckAgainstMeter_MeterOfAnotherKey_Throws()
    {
        var act = () => UsageRecordRules.CheckAgainstMeter(Valid(), Meter.Sum("api_calls"));

        act.Should().Throw<ArgumentException>().WithMessage("*record is for meter 'packages' but was checked against meter 'api_calls'*");
    }

    [Fact]
    public void PeriodClosed_MessageNamesPeriodTimestampCloseAndFix()
    {
        var period = new BillingPeriod(0, Instant.FromUtc(2024, 1, 1, 0, 0), Instant.FromUtc(2024, 2, 1, 0, 0));

        var rejection = UsageRejection.PeriodClosed("packages", period, Instant.FromUtc(2024, 2, 1, 1, 0), Instant.FromUtc(2024, 1, 15, 12, 30));

        rejection.Reason.Should().Be(UsageRejectionReason.PeriodClosed);
        rejection.Message.Should().Be(
            "The billing period [2024-01-01T00:00:00Z, 2024-02-01T00:00:00Z) for this 'packages' record's timestamp 2024-01-15T12:30:00Z was closed at 2024-02-01T01:00:00Z; " +
            "late records are accepted only until the period closes (end + grace window). " +
            "Record it with a timestamp in the current period or issue a credit/adjustment.");
    }

    [Fact]
    public void UnknownCustomer_NamesCustomerAndFix()
    {
        var rejection = UsageRejection.UnknownCustomer("cus_9");

        rejection.Reason.Should().Be(UsageRejectionReason.UnknownCustomer);
        rejection.Message.Should().StartWith("Customer 'cus_9' is not known;").And.Contain("subscribe them to a plan");
    }

    [Fact]
    public void NoActiveSubscription_NamesCustomerInstantAndFix()
    {
        var rejection = UsageRejection.NoActiveSubscription("cus_1", Now);

        rejection.Reason.Should().Be(UsageRejectionReason.NoActiveSubscription);
        rejection.Message.Should().StartWith("Customer 'cus_1' has no subscription active at 2024-01-15T10:00:00Z;")
            .And.Contain("subscribe the customer to a plan");
    }

    [Fact]
    public void InsufficientCredits_NamesBalanceCostAndFix()
    {
        var rejection = UsageRejection.InsufficientCredits("cus_1", "api_calls", new Money(5.00m, Currency.USD), new Money(3.50m, Currency.USD));

        rejection.Reason.Should().Be(UsageRejectionReason.InsufficientCredits);
        rejection.Message.Should().StartWith("Customer 'cus_1' has 3.50 USD of credits left but this 'api_calls' record costs 5.00 USD")
            .And.Contain("grant more credits");
    }
}
