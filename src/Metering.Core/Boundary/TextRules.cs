using System.Buffers;
using System.Globalization;

namespace Metering;

/// <summary>
/// The rule for all text Metering accepts (ids, keys, meter keys, property names and values, names, metadata):
/// well-formed UTF-16 without NUL. A lone surrogate (often a truncated emoji) cannot be stored exactly in UTF-8
/// databases, and NUL is not storable in PostgreSQL text, so both are rejected at the boundary on every store;
/// text that passes is stored and compared ordinally, byte for byte.
/// </summary>
public static class TextRules
{
    // NUL and every surrogate: text without any of them (the usual case) passes in one vectorized scan.
    private static readonly SearchValues<char> Suspects = SearchValues.Create("\0" + string.Create(0x800, 0, static (span, _) =>
    {
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (char)(0xD800 + i);
        }
    }));

    /// <summary>True when <paramref name="value"/> is null or well-formed UTF-16 without NUL characters.</summary>
    public static bool IsValid(string? value) => value is null || FindProblem(value) < 0;

    /// <summary>
    /// The index of the first character that breaks the rule (a NUL, or a surrogate that is not half of a pair),
    /// or -1 when <paramref name="value"/> passes. Does not allocate; text without NUL or surrogates passes in one vectorized scan.
    /// </summary>
    public static int FindProblem(ReadOnlySpan<char> value)
    {
        int first = value.IndexOfAny(Suspects);
        if (first < 0)
        {
            return -1;
        }

        for (int i = first; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\0')
            {
                return i;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Describes why <paramref name="value"/> breaks the rule, naming <paramref name="field"/> and the fix, or returns
    /// null when it passes.
    /// </summary>
    /// <param name="value">The text to check (null passes: required-ness is checked elsewhere).</param>
    /// <param name="field">What the text is, for the message (e.g. "customer id", "property 'region'").</param>
    public static string? Describe(string? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        int index = FindProblem(value);
        if (index < 0)
        {
            return null;
        }

        var what = value[index] == '\0'
            ? "a NUL character (U+0000)"
            : string.Create(CultureInfo.InvariantCulture, $"an unpaired UTF-16 surrogate (U+{(int)value[index]:X4})");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"The {field} has {what} at index {index}; Metering accepts only well-formed Unicode text without NUL. Send valid UTF-16 (a truncated emoji or a byte-level cut of a string are common causes).");
    }

    /// <summary>Throws <see cref="InvalidTextException"/> when <paramref name="value"/> breaks the rule.</summary>
    /// <param name="value">The text (null passes).</param>
    /// <param name="field">What the text is, for the message.</param>
    /// <exception cref="InvalidTextException"><paramref name="value"/> has a NUL or an unpaired surrogate.</exception>
    public static void Check(string? value, string field)
    {
        if (value is not null && FindProblem(value) >= 0)
        {
            throw new InvalidTextException(field, Describe(value, field)!);
        }
    }

    /// <summary>Checks every key and value of <paramref name="values"/> (null passes).</summary>
    /// <exception cref="InvalidTextException">A key or value has a NUL or an unpaired surrogate.</exception>
    public static void Check(IEnumerable<KeyValuePair<string, string>>? values, string field)
    {
        if (values is null)
        {
            return;
        }

        foreach (var pair in values)
        {
            Check(pair.Key, $"{field} key");
            Check(pair.Value, $"{field} value of '{pair.Key}'");
        }
    }
}
