namespace Metering.Tests.Boundary;

using Metering;

public class TextRulesTest
{
    // Lone surrogates cannot live in attribute arguments (metadata stores them as UTF-8), so the cases are built in code.
    public static readonly TheoryData<string, int> Cases = new()
    {
        { "", -1 },
        { "plain ascii", -1 },
        { "emoji \uD83D\uDE80 pair", -1 },
        { "caf\u00E9 cafe\u0301 \u202Ertl", -1 },
        { "evt-\uD83D", 4 },
        { "\uDE00start", 0 },
        { "mid\uDC00dle", 3 },
        { "two\uD83D\uD83Dhighs", 3 },
        { "nul\0here", 3 },
        { "\uD83D\uDE80\0\uD800", 2 },
        { "\uD800\0", 0 },
    };

    [Theory]
    [MemberData(nameof(Cases), DisableDiscoveryEnumeration = true)]
    public void FindProblem_PointsAtTheFirstBadCharacter(string value, int expected)
    {
        TextRules.FindProblem(value).Should().Be(expected);
        TextRules.IsValid(value).Should().Be(expected < 0);
    }

    [Fact]
    public void FindProblem_LongAsciiWithSurrogateAtTheEnd_IsFound()
    {
        var value = new string('a', 100_000) + "\uD800";
        TextRules.FindProblem(value).Should().Be(100_000);
    }

    [Fact]
    public void Check_NamesTheFieldTheCharacterAndTheFix()
    {
        var act = () => TextRules.Check("acme\uDBFF", "customer id");

        act.Should().Throw<InvalidTextException>()
            .Where(e => e.Field == "customer id")
            .WithMessage("The customer id has an unpaired UTF-16 surrogate (U+DBFF) at index 4;*well-formed Unicode*");
    }

    [Fact]
    public void Check_Dictionary_ChecksKeysAndValues()
    {
        var badKey = () => TextRules.Check(new Dictionary<string, string> { ["k\0"] = "v" }, "metadata");
        var badValue = () => TextRules.Check(new Dictionary<string, string> { ["k"] = "\uDFFF" }, "metadata");

        badKey.Should().Throw<InvalidTextException>().WithMessage("The metadata key has a NUL character*");
        badValue.Should().Throw<InvalidTextException>().WithMessage("The metadata value of 'k' has an unpaired*");
        TextRules.Check((IEnumerable<KeyValuePair<string, string>>?)null, "metadata");
    }
}
