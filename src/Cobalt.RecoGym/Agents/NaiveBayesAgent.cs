using System.Numerics.Tensors;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// Multinomial naive Bayes on the Kronecker features X = x (x) a with additive smoothing and an annealed
/// pseudo-count: the challenge winners' agent (Jeunen and Goethals 2020). With F_c[i, a] the sum of x_i over the
/// recommendations of a with outcome c, the smoothed class-conditional probabilities are
/// P(X_ia | C = c) = (F_c[i, a] + alpha) / (T_c + alpha P^2), T_c = sum F_c, and the agent recommends
/// <list type="bullet">
/// <item><c>posterior</c> (default): argmax_a P(C = 1 | x (x) a), i.e. argmax_a sum_i x_i [log(F_1[i,a] + alpha) - log(F_0[i,a] + alpha)]
/// (the normalisers and the class prior are the same for every action, since sum_i (x (x) a)_i does not depend on a);
/// this is what sklearn's MultinomialNB.predict_proba computes in the team's code;</item>
/// <item><c>click-likelihood</c>: argmax_a prod_i P(X_ia | C = 1) = argmax_a sum_i x_i log(F_1[i,a] + alpha), the write-up's formula.</item>
/// </list>
/// Ties are broken at random. The pseudo-count is annealed as data grows: alpha_n = alpha_0 h / (h + n) after n
/// recommendations learned from (the write-up says only that annealing helped; this schedule is ours).
/// </summary>
/// <remarks>
/// The table L[i, a] of log-ratios is kept row-major by i so that a user's score vector is a sum of rows;
/// a learned recommendation of a updates column a; alpha is re-applied (the whole table recomputed) at the
/// start of a user once it has moved by more than 1 %. With binned features every product's feature is at least 1,
/// so the column sums of L enter every score.
/// </remarks>
public sealed class NaiveBayesAgent : RecoGymAgent
{
    private readonly NaiveBayesOptions _options;
    private readonly double[] _clicked, _unclicked, _table, _columnSums, _scores;
    private readonly UserFeatures _features;
    private double _alpha;
    private long _events;
    private long _scoredStamp = -1;

    /// <summary>Creates the agent.</summary>
    public NaiveBayesAgent(int products, NaiveBayesOptions options, ulong seed)
        : base("naive-bayes", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _options = options;
        _clicked = new double[products * products];
        _unclicked = new double[products * products];
        _table = new double[products * products];
        _columnSums = new double[products];
        _scores = new double[products];
        _features = new UserFeatures(products, bias: false);
        _alpha = options.Alpha;
        RebuildTable();
    }

    /// <summary>The pseudo-count in use.</summary>
    public double Alpha => _alpha;

    /// <summary>Recommendations learned from.</summary>
    public long Events => _events;

    /// <summary>alpha_n = alpha_0 h / (h + n) (alpha_0 without annealing).</summary>
    public double ScheduledAlpha(long events) =>
        _options.AnnealHalfLife > 0 ? _options.Alpha * _options.AnnealHalfLife / (_options.AnnealHalfLife + events) : _options.Alpha;

    /// <inheritdoc />
    public override void BeginUser(UserHistory history) => Anneal();

    /// <inheritdoc />
    public override void EndTraining() => Anneal();

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        _features.Fill(history, _options.Features);
        var p = Products;
        var counts = click ? _clicked : _unclicked;
        var baseline = _features.Baseline;
        if (baseline != 0)
        {
            for (var i = 0; i < p; i++)
            {
                counts[(i * p) + action] += baseline;
            }
        }
        var index = _features.Index;
        var value = _features.Value;
        for (var k = 0; k < index.Length; k++)
        {
            counts[(index[k] * p) + action] += value[k];
        }
        _events++;
        if (baseline != 0)
        {
            RebuildColumn(action);
        }
        else
        {
            for (var k = 0; k < index.Length; k++)
            {
                var cell = (index[k] * p) + action;
                var old = _table[cell];
                _table[cell] = Cell(cell);
                _columnSums[action] += _table[cell] - old;
            }
        }
        if (_scoredStamp == history.Stamp)
        {
            _scores[action] = ScoreOf(action);
        }
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        _features.Fill(history, _options.Features);
        if (_scoredStamp != history.Stamp)
        {
            var p = Products;
            TensorPrimitives.Multiply(_columnSums, _features.Baseline, _scores);
            var index = _features.Index;
            var value = _features.Value;
            for (var k = 0; k < index.Length; k++)
            {
                TensorPrimitives.MultiplyAdd(_table.AsSpan(index[k] * p, p), value[k], _scores, _scores);
            }
            _scoredStamp = history.Stamp;
        }
        var action = Choice.Argmax(_scores, Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }

    private double ScoreOf(int action)
    {
        var p = Products;
        var score = _features.Baseline * _columnSums[action];
        var index = _features.Index;
        var value = _features.Value;
        for (var k = 0; k < index.Length; k++)
        {
            score += value[k] * _table[(index[k] * p) + action];
        }
        return score;
    }

    private void Anneal()
    {
        var target = ScheduledAlpha(_events);
        if (Math.Abs(target - _alpha) > 0.01 * _alpha)
        {
            _alpha = target;
            RebuildTable();
        }
    }

    private void RebuildTable()
    {
        for (var a = 0; a < Products; a++)
        {
            RebuildColumn(a);
        }
        _scoredStamp = -1;
    }

    private void RebuildColumn(int a)
    {
        var p = Products;
        var sum = 0.0;
        for (var i = 0; i < p; i++)
        {
            var cell = (i * p) + a;
            _table[cell] = Cell(cell);
            sum += _table[cell];
        }
        _columnSums[a] = sum;
    }

    /// <summary>log(F_1 + alpha) - log(F_0 + alpha), or log(F_1 + alpha) for the click likelihood.</summary>
    private double Cell(int cell)
    {
        var value = Math.Log(_clicked[cell] + _alpha);
        return _options.Score == NaiveBayesScore.Posterior ? value - Math.Log(_unclicked[cell] + _alpha) : value;
    }
}
