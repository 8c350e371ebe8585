using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Metering;

/// <summary>
/// Binds a store's options from its configuration section, the same way for every store: <c>ConnectionString</c> is
/// the store's, every other key must be a property of the options type (TimeSpan text, enum names, numbers).
/// </summary>
public static class StoreConfiguration
{
    /// <summary>Binds <paramref name="options"/> from <paramref name="section"/>, ignoring <c>ConnectionString</c>.</summary>
    /// <typeparam name="T">The store's options type.</typeparam>
    /// <param name="section">The store's configuration section.</param>
    /// <param name="options">The options to set.</param>
    /// <exception cref="MeteringException">A key is not a setting, or a value does not convert; the message names the key's path.</exception>
    public static void Bind<T>(IConfiguration section, T options)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(options);
        // ConnectionString is every store's, whether or not its options type also has it.
        var settings = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && !p.Name.Equals("ConnectionString", StringComparison.OrdinalIgnoreCase))
            .Select(p => p.Name)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = section.GetChildren()
            .Where(c => !c.Key.Equals("ConnectionString", StringComparison.OrdinalIgnoreCase) && !settings.Contains(c.Key))
            .Select(c => $"Configuration '{c.Path}' is not a {typeof(T).Name} setting; remove it or fix its name (settings: ConnectionString, {string.Join(", ", settings.Order(StringComparer.Ordinal))}).")
            .ToList();
        if (unknown.Count > 0)
        {
            throw new MeteringException(MeteringErrorCode.Configuration, string.Join(" ", unknown));
        }

        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException exception)
        {
            throw new MeteringException(MeteringErrorCode.Configuration, $"{exception.Message} Durations are TimeSpan text such as '00:00:30'; enums are names.", exception);
        }
    }
}
