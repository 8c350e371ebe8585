using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Metering.Storage;

/// <summary>
/// A thread-safe in-process cache that holds at most <see cref="Capacity"/> entries, for stores and the runtime
/// to keep decoded values (subscriptions, ledgers) between reads without growing with the number of customers.
/// </summary>
/// <remarks>
/// Entries live in two generations. New and updated entries go to the current one; when it has taken half the
/// capacity in writes, it becomes the previous one and the old previous one is dropped whole. A value found in the
/// previous generation is copied into the current one, so entries in use survive and the least recently used go first,
/// at the cost of one dictionary write per promotion and none per hit. Lookups and writes take no lock of their own.
/// A cache is a hint: an entry may be dropped at any time, so callers check what they read (e.g. a revision) as
/// they would without the cache.
/// </remarks>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The cached value type.</typeparam>
public sealed class BoundedCache<TKey, TValue>
    where TKey : notnull
{
    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly int _generationWrites;
    private readonly Lock _rotation = new();
    private Generations _generations;

    /// <summary>Creates an empty cache of at most <paramref name="capacity"/> entries (0 keeps nothing).</summary>
    /// <param name="capacity">The most entries held at once; 0 turns the cache off.</param>
    /// <param name="comparer">The key comparer, or null for the default one.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public BoundedCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _comparer = comparer;
        _generationWrites = Math.Max(capacity / 2, 1);
        _generations = new Generations(NewGeneration(), null);
    }

    /// <summary>The most entries the cache holds at once (2 when it was created with 1).</summary>
    public int Capacity { get; }

    /// <summary>How many entries the cache holds now (takes the dictionaries' locks: for diagnostics and tests).</summary>
    public int Count
    {
        get
        {
            var generations = Volatile.Read(ref _generations);
            var previous = generations.Previous;
            if (previous is null)
            {
                return generations.Current.Count;
            }

            return generations.Current.Count + previous.Keys.Count(key => !generations.Current.ContainsKey(key));
        }
    }

    /// <summary>Finds the entry of <paramref name="key"/>; false when the cache does not hold one.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The cached value, when found.</param>
    /// <returns>True when found.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the hot path of every caller: one read and one lookup
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        var generations = Volatile.Read(ref _generations);
        return generations.Current.TryGetValue(key, out value) || TryGetPrevious(generations, key, out value);
    }

    /// <summary>The entry of <paramref name="key"/>, or the default value when the cache does not hold one.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The cached value or <c>default</c>.</returns>
    public TValue? GetValueOrDefault(TKey key) => TryGetValue(key, out var value) ? value : default;

    /// <summary>Stores <paramref name="value"/> for <paramref name="key"/>, replacing any entry it had.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public void Set(TKey key, TValue value)
    {
        if (Capacity == 0)
        {
            return;
        }

        var generations = Volatile.Read(ref _generations);
        generations.Current[key] = value;
        CountWrite(generations);
    }

    /// <summary>
    /// Stores <paramref name="value"/> for <paramref name="key"/> unless the cache holds an entry that
    /// <paramref name="keep"/> prefers (called with the cached value and the new one; true keeps the cached one).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The new value.</param>
    /// <param name="keep">True when the cached value should stay instead of <paramref name="value"/>, e.g. because it is newer.</param>
    public void SetUnless(TKey key, TValue value, Func<TValue, TValue, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (Capacity == 0)
        {
            return;
        }

        var generations = Volatile.Read(ref _generations);
        if (generations.Previous is { } previous && previous.TryGetValue(key, out var older) && keep(older, value))
        {
            value = older;
        }

        generations.Current.AddOrUpdate(
            key,
            static (_, state) => state.Value,
            static (_, cached, state) => state.Keep(cached, state.Value) ? cached : state.Value,
            (Value: value, Keep: keep));
        CountWrite(generations);
    }

    /// <summary>Removes the entry of <paramref name="key"/>, if any.</summary>
    /// <param name="key">The key.</param>
    public void Remove(TKey key)
    {
        var generations = Volatile.Read(ref _generations);
        generations.Current.TryRemove(key, out _);
        generations.Previous?.TryRemove(key, out _);
    }

    /// <summary>Removes every entry.</summary>
    public void Clear()
    {
        lock (_rotation)
        {
            Volatile.Write(ref _generations, new Generations(NewGeneration(), null));
        }
    }

    private ConcurrentDictionary<TKey, TValue> NewGeneration() => new(_comparer);

    private bool TryGetPrevious(Generations generations, TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (generations.Previous is { } previous && previous.TryGetValue(key, out value))
        {
            // In use: keep it past the next rotation, unless a newer value was written meanwhile.
            if (generations.Current.TryAdd(key, value))
            {
                CountWrite(generations);
            }

            return true;
        }

        value = default;
        return false;
    }

    private void CountWrite(Generations generations)
    {
        // Writes, not distinct keys: ConcurrentDictionary.Count takes every lock. A generation thus holds at most
        // _generationWrites keys (a few more under racing writers), and the cache at most two generations.
        if (Interlocked.Increment(ref generations.Writes) < _generationWrites)
        {
            return;
        }

        lock (_rotation)
        {
            if (ReferenceEquals(_generations, generations))
            {
                Volatile.Write(ref _generations, new Generations(NewGeneration(), generations.Current));
            }
        }
    }

    private sealed class Generations(ConcurrentDictionary<TKey, TValue> current, ConcurrentDictionary<TKey, TValue>? previous)
    {
        public int Writes;

        public ConcurrentDictionary<TKey, TValue> Current { get; } = current;

        public ConcurrentDictionary<TKey, TValue>? Previous { get; } = previous;
    }
}
