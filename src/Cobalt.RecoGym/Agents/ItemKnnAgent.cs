using System.Numerics.Tensors;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// Item-item kNN on organic co-views (Sarwar et al. 2001): with X the users x products matrix of organic view
/// counts, G = X^T X and sim(i, j) = G_ij / sqrt(G_ii G_jj) (cosine); every product keeps its
/// <c>neighbours</c> most similar products (itself, similarity 1, among them). The score of a is
/// sum_j x_j sim(j, a) over the user's viewed products j; the largest wins (ties at random).
/// </summary>
/// <remarks>
/// G is kept current view by view: when a user's count x_v rises by one, G_vj and G_jv rise by x_j for the user's
/// other products and G_vv by 2 x_v + 1 (x_v before the view). Similarities are rebuilt at the end of training
/// and, online, every <c>refresh-every</c> test users.
/// </remarks>
public sealed class ItemKnnAgent : RecoGymAgent
{
    private readonly ItemKnnOptions _options;
    private readonly double[] _cooccurrence;
    private readonly double[] _similarity;
    private readonly double[] _scores;
    private readonly double[] _row;
    private readonly int[] _order;
    private long _scoredStamp = -1;
    private int _usersSinceRefresh;

    /// <summary>Creates the agent.</summary>
    public ItemKnnAgent(int products, ItemKnnOptions options, ulong seed)
        : base("item-knn", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _options = options;
        _cooccurrence = new double[products * products];
        _similarity = new double[products * products];
        _scores = new double[products];
        _row = new double[products];
        _order = new int[products];
        Refresh();
    }

    /// <summary>The similarity matrix (row j: the kept neighbours of j), row-major P x P.</summary>
    public ReadOnlySpan<double> Similarity => _similarity;

    /// <inheritdoc />
    public override void ObserveOrganic(UserHistory history, int product)
    {
        ArgumentNullException.ThrowIfNull(history);
        var p = Products;
        var counts = history.Counts;
        var before = counts[product] - 1;
        foreach (var j in history.Viewed)
        {
            if (j != product)
            {
                _cooccurrence[(product * p) + j] += counts[j];
                _cooccurrence[(j * p) + product] += counts[j];
            }
        }
        _cooccurrence[(product * p) + product] += (2.0 * before) + 1;
    }

    /// <inheritdoc />
    public override void EndUser(UserHistory history)
    {
        if (++_usersSinceRefresh >= _options.RefreshEvery)
        {
            Refresh();
        }
    }

    /// <inheritdoc />
    public override void EndTraining() => Refresh();

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Stamp != _scoredStamp)
        {
            Array.Clear(_scores);
            foreach (var j in history.Viewed)
            {
                var weight = _options.Features == ViewEncoding.Binary ? 1.0 : history.Counts[j];
                TensorPrimitives.MultiplyAdd(_similarity.AsSpan(j * Products, Products), weight, _scores, _scores);
            }
            _scoredStamp = history.Stamp;
        }
        var action = Choice.Argmax(_scores, Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }

    private void Refresh()
    {
        var p = Products;
        var k = Math.Min(_options.Neighbours, p);
        for (var i = 0; i < p; i++)
        {
            var gii = _cooccurrence[(i * p) + i];
            for (var j = 0; j < p; j++)
            {
                var gjj = _cooccurrence[(j * p) + j];
                _row[j] = i == j ? 1.0 : gii > 0 && gjj > 0 ? _cooccurrence[(i * p) + j] / Math.Sqrt(gii * gjj) : 0.0;
                _order[j] = j;
            }
            // Keep the k largest (stable by product index so the result is deterministic).
            Array.Sort(_order, (a, b) => _row[b] != _row[a] ? _row[b].CompareTo(_row[a]) : a.CompareTo(b));
            var target = _similarity.AsSpan(i * p, p);
            target.Clear();
            for (var n = 0; n < k; n++)
            {
                target[_order[n]] = _row[_order[n]];
            }
        }
        _usersSinceRefresh = 0;
        _scoredStamp = -1;
    }
}
