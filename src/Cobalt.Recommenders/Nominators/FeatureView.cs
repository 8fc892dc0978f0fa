using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Recommenders.Nominators;

/// <summary>
/// What one nominator sees: its pool's candidates with only its subset S_n of the d features, x_{n,ta} = (x_ta)_{S_n}
/// (Hron et al. 2021, section 3.1: equivalent to forcing the other regression parameters to zero). The subset applies to
/// the item features or to the user (context) features.
/// </summary>
public sealed class FeatureView
{
    private readonly int[] _columns;
    private readonly bool _onUser;

    /// <summary>A view of <paramref name="columns"/> (distinct, ascending or not) of the item features, or of the user features when <paramref name="onUser"/>.</summary>
    public FeatureView(int[] columns, bool onUser, int dimension)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (columns.Length == 0 || columns.Distinct().Count() != columns.Length || columns.Any(c => (uint)c >= (uint)dimension))
        {
            throw new ArgumentException($"A feature subset must hold distinct indices in [0, {dimension}); got [{string.Join(", ", columns)}].", nameof(columns));
        }
        _columns = columns;
        _onUser = onUser;
        Dimension = dimension;
        IsIdentity = columns.Length == dimension && columns.Select((c, i) => c == i).All(x => x);
    }

    /// <summary>The feature indices kept, in the order the nominator sees them.</summary>
    public IReadOnlyList<int> Columns => _columns;

    /// <summary>s, the features kept.</summary>
    public int Size => _columns.Length;

    /// <summary>d, the features of the full vector.</summary>
    public int Dimension { get; }

    /// <summary>Whether the view keeps every feature in order (nothing is copied then).</summary>
    public bool IsIdentity { get; }

    /// <summary>
    /// The context restricted to the candidates at <paramref name="positions"/> (positions in <paramref name="context"/>'s
    /// candidate set, kept in that order) and to the view's features.
    /// </summary>
    /// <exception cref="ArgumentException">The context's features do not have the view's dimension d.</exception>
    public DecisionContext Project(DecisionContext context, ReadOnlySpan<int> positions)
    {
        ArgumentNullException.ThrowIfNull(context);
        var candidates = context.Candidates;
        var all = positions.Length == candidates.Count && IsAscendingIdentity(positions);
        if (_onUser)
        {
            var user = context.UserFeatures.Span;
            if (user.Length != Dimension)
            {
                throw new ArgumentException(Mismatch(user.Length, "user"), nameof(context));
            }
            var narrowed = all ? candidates : candidates.Subset(positions);
            if (IsIdentity)
            {
                return all ? context : context.WithCandidates(narrowed);
            }
            var projected = new double[_columns.Length];
            for (var j = 0; j < _columns.Length; j++)
            {
                projected[j] = user[_columns[j]];
            }
            return new DecisionContext(context.Round, context.UserId, projected, narrowed);
        }
        if (candidates.Dimension != Dimension)
        {
            throw new ArgumentException(Mismatch(candidates.Dimension, "item"), nameof(context));
        }
        if (IsIdentity)
        {
            return all ? context : context.WithCandidates(candidates.Subset(positions));
        }
        var s = _columns.Length;
        var ids = new int[positions.Length];
        var values = new double[positions.Length * s];
        for (var i = 0; i < positions.Length; i++)
        {
            ids[i] = candidates.Ids[positions[i]];
            var row = candidates.Features(positions[i]);
            var target = values.AsSpan(i * s, s);
            for (var j = 0; j < s; j++)
            {
                target[j] = row[_columns[j]];
            }
        }
        return context.WithCandidates(CandidateSet.FromFeatures(ids, new FeatureMatrix(positions.Length, s, values)));
    }

    /// <summary>
    /// s distinct indices of 0..d-1 drawn uniformly (a partial Fisher-Yates shuffle of the stream <c>features/n</c> of
    /// <paramref name="seed"/>), ascending; all d indices when s is 0 or d.
    /// </summary>
    public static int[] RandomSubset(int dimension, int size, ulong seed, int nominator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, dimension);
        var order = Enumerable.Range(0, dimension).ToArray();
        if (size == 0 || size == dimension)
        {
            return order;
        }
        var rng = Seeds.Stream(seed, "features", nominator);
        for (var i = 0; i < size; i++)
        {
            var j = i + rng.NextInt(dimension - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var subset = order[..size];
        Array.Sort(subset);
        return subset;
    }

    private string Mismatch(int dimension, string side) =>
        $"The context's {side} features have {dimension} dimensions; the nominators were built for {Dimension}.";

    private static bool IsAscendingIdentity(ReadOnlySpan<int> positions)
    {
        for (var i = 0; i < positions.Length; i++)
        {
            if (positions[i] != i)
            {
                return false;
            }
        }
        return true;
    }
}
