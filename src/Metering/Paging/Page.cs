namespace Metering;

/// <summary>A page of results and the cursor to the next page (null when this is the last).</summary>
/// <typeparam name="T">Item type.</typeparam>
/// <param name="Items">The items, in a stable order.</param>
/// <param name="NextCursor">Opaque cursor for the next page, or null.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
