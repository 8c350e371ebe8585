using System.Globalization;
using System.Numerics;
using System.Text;

namespace Metering;

/// <summary>
/// Writes a length of time the way people write it in a sentence: <c>1 hour</c>, <c>5 minutes</c>, <c>366 days</c>,
/// <c>1 hour 30 minutes</c>, instead of <c>1:00:00</c> or NodaTime's <c>0:01:00:00</c>. Used in validation messages.
/// </summary>
/// <remarks>
/// Units are days, hours, minutes, seconds and milliseconds (a day is 24 hours; there are no months or years, whose
/// length varies). Only non-zero units are written, largest first; a part below a millisecond is written as a decimal
/// number of milliseconds. Negative lengths start with <c>-</c>; zero is <c>0 seconds</c>. Invariant culture.
/// </remarks>
public static class DurationText
{
    private static readonly BigInteger NanosecondsPerMillisecond = 1_000_000;

    private static readonly (BigInteger Nanoseconds, string Singular, string Plural)[] Units =
    [
        (BigInteger.Multiply(86_400, 1_000_000_000), "day", "days"),
        (BigInteger.Multiply(3_600, 1_000_000_000), "hour", "hours"),
        (BigInteger.Multiply(60, 1_000_000_000), "minute", "minutes"),
        (1_000_000_000, "second", "seconds"),
    ];

    /// <summary>Writes <paramref name="duration"/> in words, e.g. <c>1 hour</c> for <c>Duration.FromHours(1)</c>.</summary>
    /// <param name="duration">Any duration, negative included.</param>
    /// <returns>The text, e.g. <c>366 days</c> or <c>1 minute 30 seconds</c>.</returns>
    public static string Format(Duration duration) => Format(duration.ToBigIntegerNanoseconds());

    /// <summary>Writes <paramref name="timeSpan"/> in words, e.g. <c>5 minutes</c> for <c>TimeSpan.FromMinutes(5)</c>.</summary>
    /// <param name="timeSpan">Any time span, negative included.</param>
    /// <returns>The text, e.g. <c>30 seconds</c> or <c>1 day 2 hours</c>.</returns>
    public static string Format(TimeSpan timeSpan) => Format(new BigInteger(timeSpan.Ticks) * 100);

    private static string Format(BigInteger nanoseconds)
    {
        if (nanoseconds.IsZero)
        {
            return "0 seconds";
        }

        var text = new StringBuilder();
        if (nanoseconds.Sign < 0)
        {
            text.Append('-');
            nanoseconds = BigInteger.Negate(nanoseconds);
        }

        foreach (var (size, singular, plural) in Units)
        {
            var count = BigInteger.DivRem(nanoseconds, size, out nanoseconds);
            if (!count.IsZero)
            {
                Append(text, count.ToString(CultureInfo.InvariantCulture), count.IsOne ? singular : plural);
            }
        }

        if (!nanoseconds.IsZero)
        {
            // Below a second: whole milliseconds, or a decimal count of them for anything finer (0.5 milliseconds).
            var milliseconds = (decimal)nanoseconds / (decimal)NanosecondsPerMillisecond;
            Append(text, milliseconds.ToString("0.######", CultureInfo.InvariantCulture), milliseconds == 1m ? "millisecond" : "milliseconds");
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, string count, string unit)
    {
        if (text.Length > 0 && text[^1] != '-')
        {
            text.Append(' ');
        }

        text.Append(count).Append(' ').Append(unit);
    }
}
