namespace Metering;

/// <summary>
/// Looks record properties up by ordinal name, whatever comparer the caller's dictionary was built with, so a record
/// is matched the same way when it is recorded (caller's dictionary) and when it is read back from a store (ordinal).
/// </summary>
internal static class OrdinalProperties
{
    public static bool TryGet(IReadOnlyDictionary<string, string>? properties, string name, out string? value)
    {
        switch (properties)
        {
            case null:
                value = null;
                return false;
            case Dictionary<string, string> dictionary when IsOrdinal(dictionary.Comparer):
                return dictionary.TryGetValue(name, out value);
            default:
                foreach (var pair in properties)
                {
                    if (string.Equals(pair.Key, name, StringComparison.Ordinal))
                    {
                        value = pair.Value;
                        return true;
                    }
                }

                value = null;
                return false;
        }
    }

    private static bool IsOrdinal(IEqualityComparer<string> comparer) =>
        ReferenceEquals(comparer, StringComparer.Ordinal) || ReferenceEquals(comparer, EqualityComparer<string>.Default);
}
