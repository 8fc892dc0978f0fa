using Cobalt.Core.Randomness;

namespace Cobalt.Recommenders.Nominators;

/// <summary>
/// A pool allocation {A_n}: which nominators may propose each action (Hron et al. 2021, section 2: A_n non-empty,
/// their union the whole action set). Built from explicit pools (which may overlap), from one pool per action, or as
/// balanced random pools.
/// </summary>
/// <remarks>
/// Balanced random pools (the paper's Appendix B allocation: no overlap, sizes as equal as possible): a seeded random
/// permutation pi of 0..K-1, and action pi(i) goes to pool i mod N, so pool sizes differ by at most one.
/// </remarks>
public sealed class ActionPools
{
    private readonly int[][] _nominatorsOf;
    private readonly ulong _fallbackSeed;
    private int[][]? _singletons;

    private ActionPools(int nominators, int[][] nominatorsOf, bool closed, ulong fallbackSeed)
    {
        Nominators = nominators;
        _nominatorsOf = nominatorsOf;
        IsClosed = closed;
        _fallbackSeed = fallbackSeed;
    }

    /// <summary>Number of nominators N.</summary>
    public int Nominators { get; }

    /// <summary>Number of actions K the allocation lists (ids 0..K-1).</summary>
    public int Actions => _nominatorsOf.Length;

    /// <summary>
    /// True when the allocation is exactly the given pools (an action outside them is an error); false for balanced
    /// random pools, which send an action id at or beyond K to one nominator chosen by a seeded hash of the id.
    /// </summary>
    public bool IsClosed { get; }

    /// <summary>The nominators whose pools hold <paramref name="action"/>.</summary>
    /// <exception cref="ArgumentException">The allocation is closed and no pool holds the action.</exception>
    public ReadOnlySpan<int> NominatorsOf(int action)
    {
        if ((uint)action < (uint)_nominatorsOf.Length && _nominatorsOf[action].Length > 0)
        {
            return _nominatorsOf[action];
        }
        if (IsClosed)
        {
            throw new ArgumentException($"Action {action} is in no nominator's pool; the pools must cover every action (option pools).", nameof(action));
        }
        return Singletons[(int)(Seeds.Derive(_fallbackSeed, "pool", action) % (ulong)Nominators)];
    }

    private int[][] Singletons => _singletons ??= Enumerable.Range(0, Nominators).Select(n => new[] { n }).ToArray();

    /// <summary>The pools as lists of action ids (ascending), one per nominator.</summary>
    public int[][] Pools()
    {
        var pools = Enumerable.Range(0, Nominators).Select(_ => new List<int>()).ToArray();
        for (var a = 0; a < _nominatorsOf.Length; a++)
        {
            foreach (var n in _nominatorsOf[a])
            {
                pools[n].Add(a);
            }
        }
        return pools.Select(p => p.ToArray()).ToArray();
    }

    /// <summary>Balanced random pools of the actions 0..K-1 (see remarks), fixed by <paramref name="seed"/>.</summary>
    public static ActionPools Balanced(int actions, int nominators, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(actions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nominators);
        var order = Enumerable.Range(0, actions).ToArray();
        Seeds.Stream(seed, "pools").Shuffle(order.AsSpan());
        var nominatorsOf = new int[actions][];
        for (var i = 0; i < actions; i++)
        {
            nominatorsOf[order[i]] = [i % nominators];
        }
        return new ActionPools(nominators, nominatorsOf, closed: false, seed);
    }

    /// <summary>Explicit pools A_n (lists of action ids, possibly overlapping); every action of 0..max id must be in one.</summary>
    /// <exception cref="ArgumentException">A pool is empty or an id is negative.</exception>
    public static ActionPools FromPools(IReadOnlyList<int[]> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        if (pools.Count == 0)
        {
            throw new ArgumentException("At least one pool is needed.", nameof(pools));
        }
        var actions = 0;
        for (var n = 0; n < pools.Count; n++)
        {
            if (pools[n] is not { Length: > 0 } pool)
            {
                throw new ArgumentException($"Pool {n} is empty.", nameof(pools));
            }
            foreach (var a in pool)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(a, nameof(pools));
                actions = Math.Max(actions, a + 1);
            }
        }
        var lists = Enumerable.Range(0, actions).Select(_ => new List<int>()).ToArray();
        for (var n = 0; n < pools.Count; n++)
        {
            foreach (var a in pools[n].Distinct())
            {
                lists[a].Add(n);
            }
        }
        return new ActionPools(pools.Count, lists.Select(l => l.ToArray()).ToArray(), closed: true, 0);
    }

    /// <summary>Disjoint pools from one nominator per action: action a goes to pool <paramref name="poolOfAction"/>[a] (empty pools are allowed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An entry is outside [0, <paramref name="nominators"/>).</exception>
    public static ActionPools FromAssignment(ReadOnlySpan<int> poolOfAction, int nominators)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nominators);
        var nominatorsOf = new int[poolOfAction.Length][];
        for (var a = 0; a < poolOfAction.Length; a++)
        {
            var n = poolOfAction[a];
            if ((uint)n >= (uint)nominators)
            {
                throw new ArgumentOutOfRangeException(nameof(poolOfAction), n, $"Action {a} is assigned to pool {n}; there are {nominators} pools.");
            }
            nominatorsOf[a] = [n];
        }
        return new ActionPools(nominators, nominatorsOf, closed: true, 0);
    }
}
