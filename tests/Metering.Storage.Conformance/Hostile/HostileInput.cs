using System.Text;

namespace Metering.Storage.Conformance.Hostile;

/// <summary>The kind of hostile text a <see cref="HostileText"/> holds.</summary>
public enum HostileTextKind
{
    /// <summary>A lone high surrogate (U+D800..U+DBFF) at the start, middle or end: ill-formed UTF-16.</summary>
    LoneHighSurrogate,

    /// <summary>A lone low surrogate (U+DC00..U+DFFF): ill-formed UTF-16.</summary>
    LoneLowSurrogate,

    /// <summary>A low surrogate followed by a high one (a pair in the wrong order): ill-formed UTF-16.</summary>
    ReversedPair,

    /// <summary>U+0000 somewhere in the text.</summary>
    Nul,

    /// <summary>Combining marks (e.g. e + U+0301), so canonically equal texts differ byte-wise.</summary>
    CombiningMarks,

    /// <summary>Right-to-left and bidi control characters (U+202E, U+2066, ...).</summary>
    Bidi,

    /// <summary>Zero-width characters (U+200B, U+200D, U+FEFF).</summary>
    ZeroWidth,

    /// <summary>Emoji and other supplementary-plane characters as well-formed surrogate pairs.</summary>
    Emoji,

    /// <summary>SQL and JSON metacharacters: quotes, backslashes, <c>'; DROP TABLE</c>, <c>{"a":</c>, a literal <c>\u0000</c> escape.</summary>
    Metacharacters,

    /// <summary>Only whitespace (spaces, tabs, U+3000, U+00A0).</summary>
    WhitespaceOnly,

    /// <summary>A plain ASCII identifier (the control group).</summary>
    Plain,
}

/// <summary>
/// One generated text and what the contract says about it: <see cref="IsWellFormed"/> is false when the text holds a
/// lone surrogate or NUL (DESIGN invariant 6: rejected with a typed reason on every store); otherwise the text must
/// round-trip byte-exactly wherever it is accepted.
/// </summary>
/// <param name="Value">The text.</param>
/// <param name="Kind">What makes it hostile.</param>
public sealed record HostileText(string Value, HostileTextKind Kind)
{
    /// <summary>True when the text is valid UTF-16 without NUL: the store must accept and keep it exactly (subject to other rules such as length or blankness).</summary>
    public bool IsWellFormed => Kind is not (HostileTextKind.LoneHighSurrogate or HostileTextKind.LoneLowSurrogate or HostileTextKind.ReversedPair or HostileTextKind.Nul);

    /// <summary>True when the text is blank (empty or whitespace only), which id rules reject for their own reason.</summary>
    public bool IsBlank => string.IsNullOrWhiteSpace(Value);

    /// <summary>A short description for test output, e.g. <c>Emoji(12 chars)</c>, with every non-ASCII char escaped.</summary>
    public override string ToString() => $"{Kind}({Escape(Value.Length > 40 ? Value[..40] : Value)}{(Value.Length > 40 ? $"…{Value.Length} chars" : string.Empty)})";

    /// <summary>The text with every char outside printable ASCII written as <c>\uXXXX</c>.</summary>
    public static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is >= ' ' and <= '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}

/// <summary>
/// Seeded generator of hostile input for the store sweeps and the simulation: ill-formed and odd text, decimals at
/// every scale and at the bounds, instants at the ends of time. The same seed always gives the same sequence, so a
/// failing case can be replayed from its seed. Uses only <see cref="System.Random"/>.
/// </summary>
public sealed class HostileInput
{
    private static readonly string[] Emoji = ["\U0001F600", "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001D11E", "\U00010348", "\U0001F1EF\U0001F1F2"];
    private static readonly string[] Bidi = ["\u202E", "\u202D", "\u2066", "\u2067", "\u2069", "\u200F", "\u061C"];
    private static readonly string[] ZeroWidth = ["\u200B", "\u200C", "\u200D", "\uFEFF", "\u2060"];
    private static readonly string[] Metacharacters = ["'", "\"", "\\", "'; DROP TABLE usage_records; --", "{\"a\":", "\\u0000", "%_", "\\\"}", "$1", "`", "]]>", "\r\n"];
    private static readonly string[] Whitespace = [" ", "\t", "\u3000", "\u00A0", "\u2003"];

    private readonly Random _random;

    /// <summary>Creates a generator; the same <paramref name="seed"/> always gives the same values.</summary>
    public HostileInput(int seed) => _random = new Random(seed);

    /// <summary>One mebibyte of well-formed text (a mix of ASCII, accents and emoji), for values with no length limit.</summary>
    public static string Huge { get; } = BuildHuge();

    /// <summary>Every text kind, in declaration order.</summary>
    public static IReadOnlyList<HostileTextKind> AllKinds { get; } = Enum.GetValues<HostileTextKind>();

    /// <summary>
    /// Decimals at every scale and at the edges of the type: the smallest positive value, values with 28 decimals,
    /// <see cref="decimal.MaxValue"/>, negative zero, 1.000 vs 1, and <paramref name="maxQuantity"/> plus or minus one
    /// unit in the last place (when given).
    /// </summary>
    public static IReadOnlyList<decimal> EdgeDecimals(decimal? maxQuantity = null)
    {
        var values = new List<decimal>
        {
            0m, new(0, 0, 0, true, 0) /* -0 */, 1m, 1.000m, 0.0000000000000000000000000001m, 1e-28m, 0.5m,
            0.0000001m, 123456789.123456789m, 7.9e27m, 7.9e28m, decimal.MaxValue, decimal.MaxValue - 1m,
            -0.0000000000000000000000000001m, -1m, decimal.MinValue,
        };
        if (maxQuantity is { } max)
        {
            values.Add(max);
            values.Add(max + Ulp(max));
            values.Add(max - Ulp(max));
            values.Add(max * 1.00m); // same value, another scale
        }

        return values;
    }

    /// <summary>Instants at the ends of the range and far from the test clock.</summary>
    public static IReadOnlyList<Instant> EdgeInstants { get; } =
    [
        Instant.MinValue, Instant.MaxValue, Instant.FromUtc(1, 1, 1, 0, 0), Instant.FromUtc(1900, 1, 1, 0, 0),
        Instant.FromUtc(9999, 12, 31, 23, 59), Instant.FromUnixTimeTicks(0), Instant.MaxValue - Duration.Epsilon,
    ];

    /// <summary>A random text of <paramref name="kind"/>, based on <paramref name="stem"/> (a plain identifier).</summary>
    public HostileText Text(HostileTextKind kind, string stem = "id")
    {
        var value = kind switch
        {
            HostileTextKind.LoneHighSurrogate => Insert(stem, ((char)_random.Next(0xD800, 0xDC00)).ToString()),
            HostileTextKind.LoneLowSurrogate => Insert(stem, ((char)_random.Next(0xDC00, 0xE000)).ToString()),
            HostileTextKind.ReversedPair => Insert(stem, string.Concat((char)_random.Next(0xDC00, 0xE000), (char)_random.Next(0xD800, 0xDC00))),
            HostileTextKind.Nul => Insert(stem, "\0"),
            HostileTextKind.CombiningMarks => Insert(stem, "e\u0301\u0308\u0327"),
            HostileTextKind.Bidi => Insert(stem, Pick(Bidi) + Pick(Bidi)),
            HostileTextKind.ZeroWidth => Insert(stem, Pick(ZeroWidth)),
            HostileTextKind.Emoji => Insert(stem, Pick(Emoji)),
            HostileTextKind.Metacharacters => Insert(stem, Pick(Metacharacters)),
            HostileTextKind.WhitespaceOnly => string.Concat(Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Pick(Whitespace))),
            _ => stem,
        };
        return new HostileText(value, kind);
    }

    /// <summary>A text of a random kind.</summary>
    public HostileText AnyText(string stem = "id") => Text(Pick(AllKinds), stem);

    /// <summary>A random edge decimal (see <see cref="EdgeDecimals"/>).</summary>
    public decimal AnyDecimal(decimal? maxQuantity = null) => Pick(EdgeDecimals(maxQuantity));

    /// <summary>A random edge instant (see <see cref="EdgeInstants"/>).</summary>
    public Instant AnyInstant() => Pick(EdgeInstants);

    /// <summary>A uniformly random element of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>A random integer in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public int Next(int min, int max) => _random.Next(min, max);

    /// <summary>The unit in the last place of <paramref name="value"/> at its own scale (1 for an integer, 0.01 for 1.23).</summary>
    public static decimal Ulp(decimal value) => new(1, 0, 0, false, value.Scale);

    // The hostile part lands at the start, in the middle or at the end of the stem.
    private string Insert(string stem, string hostile) => _random.Next(3) switch
    {
        0 => hostile + stem,
        1 => stem[..(stem.Length / 2)] + hostile + stem[(stem.Length / 2)..],
        _ => stem + hostile,
    };

    private static string BuildHuge()
    {
        var builder = new StringBuilder(1 << 20);
        var pieces = new[] { "usage-", "é", "\U0001F600", "'\"\\", "{\"a\":1}", " " };
        for (int i = 0; builder.Length < (1 << 20) - 8; i++)
        {
            builder.Append(pieces[i % pieces.Length]);
        }

        return builder.ToString();
    }
}
