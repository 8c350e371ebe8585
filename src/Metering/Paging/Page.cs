namespace Metering;

/// <summary>A page of results and the cursor to the next page (null when this is the last).</summary>
/// <typeparam name="T">Item type.</typeparam>
/// <param name="Items">The items, in a stable order.</param>
/// <param name="NextCursor">Opaque cursor for the next page, or null.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor)
{
    /// <summary>
    /// How many items the whole listing has (all pages), when asked for with <see cref="PageRequest.IncludeTotalCount"/>;
    /// null when not asked. Counted when the page is read, so it can change between pages as items are added.
    /// Left out of JSON when null.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? TotalCount { get; init; }
}

/// <summary>Which page of a listing to read, and whether to count the whole listing.</summary>
public sealed record PageRequest
{
    /// <summary>The cursor of the page (<see cref="Page{T}.NextCursor"/> of the previous one), or null for the first page.</summary>
    public string? Cursor { get; init; }

    /// <summary>The most items per page (at least 1), or null for the listing's default.</summary>
    public int? Limit { get; init; }

    /// <summary>True to fill <see cref="Page{T}.TotalCount"/> (one extra count in the store for invoices).</summary>
    public bool IncludeTotalCount { get; init; }
}
