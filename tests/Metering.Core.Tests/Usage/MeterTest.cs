namespace Metering.Tests.Usage;

using Metering;

public class MeterTest
{
    [Fact]
    public void Factories_SetAggregationAndKey()
    {
        Meter.Sum("packages").Aggregation.Should().Be(Aggregation.Sum);
        Meter.Count("api_calls").Aggregation.Should().Be(Aggregation.Count);
        Meter.Max("storage_gb").Aggregation.Should().Be(Aggregation.Max);
        Meter.Last("seats").Aggregation.Should().Be(Aggregation.Last);

        var users = Meter.UniqueCount("active_users", "user_id");
        users.Key.Should().Be("active_users");
        users.Aggregation.Should().Be(Aggregation.UniqueCount);
        users.UniqueProperty.Should().Be("user_id");
        users.GroupBy.Should().BeEmpty();
        users.DisplayName.Should().BeNull();
        users.Unit.Should().BeNull();
    }

    [Theory]
    [InlineData("a")]
    [InlineData("api_calls")]
    [InlineData("API.Calls-v2")]
    [InlineData("storage_gb.eu-west-1")]
    public void Construction_ValidKey_IsKeptAsGiven(string key)
    {
        Meter.Sum(key).Key.Should().Be(key);
        Meter.IsValidKey(key).Should().BeTrue();
    }

    [Fact]
    public void Construction_KeyOf64Chars_Accepted_65Rejected()
    {
        var key64 = new string('k', 64);
        var key65 = new string('k', 65);

        Meter.Count(key64).Key.Should().HaveLength(64);
        var act = () => Meter.Count(key65);

        act.Should().Throw<InvalidMeterException>()
            .WithMessage("*is 65 characters long*at most 64 characters*")
            .Which.MeterKey.Should().Be(key65);
    }

    [Fact]
    public void Construction_KeyWithSpace_NamesKeyCharacterAndRule()
    {
        var act = () => Meter.Sum("api calls");

        act.Should().Throw<InvalidMeterException>()
            .WithMessage("Meter key 'api calls' has the character ' ' at position 3; a key uses only a-z, A-Z, 0-9, '_', '.' and '-'*");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Construction_MissingKey_SaysKeyIsRequired(string? key)
    {
        var act = () => Meter.Sum(key!);

        act.Should().Throw<InvalidMeterException>().WithMessage("A meter key is required; use 1 to 64 characters*");
        Meter.IsValidKey(key).Should().BeFalse();
    }

    [Fact]
    public void Construction_UniqueCountWithoutProperty_NamesFix()
    {
        var act = () => Meter.UniqueCount("active_users", " ");

        act.Should().Throw<InvalidMeterException>()
            .WithMessage("Meter 'active_users' aggregates by UniqueCount but names no unique property*Meter.UniqueCount(\"active_users\", \"user_id\")*");
    }

    [Fact]
    public void Construction_UniquePropertyOnSum_IsForbidden()
    {
        var act = () => new Meter("packages", Aggregation.Sum, uniqueProperty: "user_id");

        act.Should().Throw<InvalidMeterException>()
            .WithMessage("Meter 'packages' aggregates by Sum but names unique property 'user_id'; a unique property is only allowed with UniqueCount*");
    }

    [Fact]
    public void Construction_UndefinedAggregation_Rejected()
    {
        var act = () => new Meter("packages", (Aggregation)42);

        act.Should().Throw<InvalidMeterException>().WithMessage("*aggregation 42 is not defined*");
    }

    [Fact]
    public void WithGroupBy_DuplicateProperty_NamesIt()
    {
        var act = () => Meter.Sum("packages").WithGroupBy("region", "plan", "region");

        act.Should().Throw<InvalidMeterException>().WithMessage("Meter 'packages': group-by property 'region' is listed twice*");
    }

    [Fact]
    public void WithGroupBy_BlankProperty_NamesPosition()
    {
        var act = () => Meter.Sum("packages").WithGroupBy("region", "");

        act.Should().Throw<InvalidMeterException>().WithMessage("Meter 'packages': group-by property 2 is blank*");
    }

    [Fact]
    public void WithDisplayName_Blank_Rejected_NullClears()
    {
        var meter = Meter.Sum("packages").WithDisplayName("Packages shipped");

        meter.WithDisplayName(null).DisplayName.Should().BeNull();
        var act = () => meter.WithDisplayName("  ");
        act.Should().Throw<InvalidMeterException>().WithMessage("*display name is empty or whitespace*");
    }

    [Fact]
    public void WithMethods_ReturnCopies_OriginalUnchanged()
    {
        var plain = Meter.Sum("packages");
        var rich = plain.WithGroupBy("region").WithDisplayName("Packages").WithUnit("packages");

        plain.GroupBy.Should().BeEmpty();
        plain.Unit.Should().BeNull();
        rich.GroupBy.Should().Equal("region");
        rich.DisplayName.Should().Be("Packages");
        rich.Unit.Should().Be("packages");
        rich.Key.Should().Be("packages");
        rich.Aggregation.Should().Be(Aggregation.Sum);
    }

    [Fact]
    public void Equality_SameDefinition_Equal()
    {
        var a = Meter.Sum("packages").WithGroupBy("region").WithUnit("packages");
        var b = new Meter("packages", Aggregation.Sum, groupBy: ["region"], unit: "packages");

        a.Should().Be(b);
        (a == b).Should().BeTrue();
        a.GetHashCode().Should().Be(b.GetHashCode());
        a.DefinitionEquals(b).Should().BeTrue();
    }

    [Fact]
    public void Equality_AnyPartDiffers_NotEqual()
    {
        var baseline = Meter.Sum("packages").WithGroupBy("region");

        baseline.Should().NotBe(Meter.Sum("Packages").WithGroupBy("region"));
        baseline.Should().NotBe(Meter.Max("packages").WithGroupBy("region"));
        baseline.Should().NotBe(Meter.Sum("packages").WithGroupBy("zone"));
        baseline.Should().NotBe(baseline.WithUnit("packages"));
        baseline.DefinitionEquals(baseline.WithDisplayName("Packages")).Should().BeFalse();
        (baseline != Meter.Sum("packages")).Should().BeTrue();
        baseline.DefinitionEquals(null).Should().BeFalse();
    }
}
