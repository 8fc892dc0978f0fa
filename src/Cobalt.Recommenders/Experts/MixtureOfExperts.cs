using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Layers;
using Cobalt.Neural.Optimisers;
using Cobalt.Neural.Tensors;
using Cobalt.Recommenders.Nominators;

namespace Cobalt.Recommenders.Experts;

/// <summary>
/// Learned pool allocation for the nominators of a two-stage recommender as a Gaussian Mixture-of-Experts
/// (Hron et al. 2021, section 4; Jacobs et al. 1991): N two-tower experts, each seeing its own subset of s context features,
/// combined by a logistic gate whose weights are a soft pool allocation; or, as the baseline, the same experts with a
/// random pool allocation fixed at the start.
/// </summary>
/// <remarks>
/// <para>Expert n predicts r^_n(x, a) = ([x_{S_n}, 1] W_n) . e_{n,a}: the s features of its subset and an intercept mapped
/// to R^{d_e} by W_n [(s+1) x d_e], dotted with its learned item embedding e_{n,a} in R^{d_e}.</para>
/// <para>Gate: p_n(x, a) = softmax_n(l_n) with logits l = x V + g_a, the sum of a learned user embedding (a linear map V
/// [d x N] of the context) and a learned item embedding g_a in R^N. Random pools: p_n(x, a) = 1{a in A_n}.</para>
/// <para>Training maximises equation 8, (1/B) sum_t log sum_n p_{n,t} exp(-(r_t - r^_{n,t})^2 / (2 sigma^2)), by Adam on
/// minibatches of B examples; the loss is its negative. log-sum-exp is taken as the mean over n of z_n - log softmax(z)_n,
/// which equals it exactly and keeps every operation on the tape. Items are ranked by the mixture's mean
/// E[r | x, a] = sum_n p_n(x, a) r^_n(x, a).</para>
/// <para>Not thread-safe: inference reuses scratch buffers.</para>
/// </remarks>
public sealed class MixtureOfExperts
{
    private readonly MixtureOfExpertsOptions _options;
    private readonly int[][] _subsets;
    private readonly int _items, _experts, _towerInputs, _embedding;
    private readonly ulong _seed;
    private readonly Parameter<double> _tower, _itemEmbeddings;
    private readonly Parameter<double>? _gateUser, _gateItems;
    private readonly int[]? _poolOfItem;
    private readonly double[] _towerOut, _userLogits, _logits;
    private double[] _xs = [], _x = [], _negativeRewards = [], _oneHot = [];
    private int[] _embeddingRows = [], _gateRows = [];

    /// <summary>Creates the model for contexts of <paramref name="dimension"/> features and <paramref name="items"/> items.</summary>
    /// <param name="options">The options (validated).</param>
    /// <param name="dimension">d, the context features.</param>
    /// <param name="items">K, the items (labels).</param>
    /// <param name="seed">Fixes the initial values, the random subsets and pools, and the minibatch order.</param>
    /// <param name="subsets">Each expert's feature indices (s each); null draws s of d per expert as <see cref="FeatureView.RandomSubset"/> does.</param>
    /// <exception cref="OptionsException">An option is out of range, or s is larger than d.</exception>
    public MixtureOfExperts(MixtureOfExpertsOptions options, int dimension, int items, ulong seed, IReadOnlyList<int[]>? subsets = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        var s = options.FeatureSubset == 0 ? dimension : options.FeatureSubset;
        if (s > dimension)
        {
            throw new OptionsException("feature-subset", $"is {s} but the contexts have only {dimension} features.");
        }
        _options = options;
        _seed = seed;
        Dimension = dimension;
        _items = items;
        _experts = options.Experts;
        _embedding = options.EmbeddingSize;
        _subsets = new int[_experts][];
        for (var n = 0; n < _experts; n++)
        {
            var subset = subsets is null ? FeatureView.RandomSubset(dimension, s, seed, n) : subsets[n];
            if (subset.Length != s || subset.Any(c => (uint)c >= (uint)dimension) || subset.Distinct().Count() != s)
            {
                throw new ArgumentException($"Expert {n}'s subset must hold {s} distinct feature indices in [0, {dimension}).", nameof(subsets));
            }
            _subsets[n] = subset.ToArray();
        }
        _towerInputs = s + 1;
        var rng = Seeds.Stream(seed, "moe/init");
        Parameters = new ParameterSet<double>();
        _tower = Parameters.Create("expert.context-tower", Shape.Of(_experts, _towerInputs, _embedding));
        Initialise.GlorotUniform(_tower, _towerInputs, _embedding, rng);
        _itemEmbeddings = Parameters.Create("expert.items", Shape.Of(_experts * items, _embedding), rowSparse: true);
        Initialise.Normal(_itemEmbeddings, options.InitialScale, rng);
        if (options.Gating == PoolGating.Learned)
        {
            _gateItems = Parameters.Create("gate.items", Shape.Of(items, _experts), rowSparse: true);
            Initialise.Normal(_gateItems, 0.01, rng);
            _gateUser = options.GateUsesContext ? Parameters.Create("gate.user", Shape.Of(dimension, _experts)) : null;
        }
        else
        {
            var pools = ActionPools.Balanced(items, _experts, Seeds.Derive(seed, "moe/pools"));
            _poolOfItem = new int[items];
            for (var a = 0; a < items; a++)
            {
                _poolOfItem[a] = pools.NominatorsOf(a)[0];
            }
        }
        Sigma = options.Sigma > 0 ? options.Sigma : 1.0;
        _towerOut = new double[_experts * _embedding];
        _userLogits = new double[_experts];
        _logits = new double[_experts];
    }

    /// <summary>d, the context features.</summary>
    public int Dimension { get; }

    /// <summary>The learned parameters.</summary>
    public ParameterSet<double> Parameters { get; }

    /// <summary>The options.</summary>
    public MixtureOfExpertsOptions Options => _options;

    /// <summary>Each expert's feature indices.</summary>
    public IReadOnlyList<int[]> Subsets => _subsets;

    /// <summary>sigma of the likelihood (the option, or the training rewards' standard deviation once trained).</summary>
    public double Sigma { get; private set; }

    /// <summary>The random pool of each item (random-pools gating only).</summary>
    public IReadOnlyList<int>? RandomPools => _poolOfItem;

    /// <summary>
    /// The negative mean log-likelihood of <paramref name="batch"/> (equation 8 without its constant), recorded on
    /// <paramref name="tape"/> so that <see cref="Tape{T}.Backward"/> gives every parameter's gradient.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty, or the data's dimension or items differ from the model's.</exception>
    public Node<double> Loss(Tape<double> tape, MultiLabelData data, ReadOnlySpan<LabelledExample> batch)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data);
        if (batch.IsEmpty)
        {
            throw new ArgumentException("A batch needs at least one example.", nameof(batch));
        }
        int b = batch.Length, n = _experts, s1 = _towerInputs;
        Ensure(b);
        for (var i = 0; i < b; i++)
        {
            var ex = batch[i];
            if ((uint)ex.Item >= (uint)_items || (uint)ex.Context >= (uint)data.Count)
            {
                throw new ArgumentException($"Example {i} names context {ex.Context} and item {ex.Item}; the data has {data.Count} contexts and {_items} items.", nameof(batch));
            }
            var row = data.Context(ex.Context);
            for (var e = 0; e < n; e++)
            {
                var target = _xs.AsSpan((e * b + i) * s1, s1);
                var subset = _subsets[e];
                for (var j = 0; j < subset.Length; j++)
                {
                    target[j] = row[subset[j]];
                }
                target[^1] = 1;
                _embeddingRows[e * b + i] = e * _items + ex.Item;
            }
            row.CopyTo(_x.AsSpan(i * Dimension, Dimension));
            _gateRows[i] = ex.Item;
            _negativeRewards[i] = -ex.Reward;
        }
        var towers = tape.MatMul(tape.Constant(Shape.Of(n, b, s1), _xs.AsSpan(0, n * b * s1)), tape.Parameter(_tower));
        var items = tape.Gather(tape.Parameter(_itemEmbeddings), _embeddingRows.AsMemory(0, n * b), Shape.Of(n, b));
        var predictions = tape.Permute(tape.SumLastAxis(tape.Multiply(towers, items)), 1, 0);                // [B, N]
        var error = tape.Add(predictions, tape.Constant(Shape.Of(b, 1), _negativeRewards.AsSpan(0, b)));
        var squared = tape.Multiply(error, error);                                                           // (r - r^_n)^2
        var inverseTwoVariance = 1.0 / (2 * Sigma * Sigma);
        if (_poolOfItem is not null)
        {
            // p = one-hot of the item's pool: -log likelihood = (r - r^_pool)^2 / (2 sigma^2).
            _oneHot.AsSpan(0, b * n).Clear();
            for (var i = 0; i < b; i++)
            {
                _oneHot[i * n + _poolOfItem[batch[i].Item]] = 1;
            }
            return tape.Scale(tape.Sum(tape.Multiply(squared, tape.Constant(Shape.Of(b, n), _oneHot.AsSpan(0, b * n)))), inverseTwoVariance / b);
        }
        var logits = tape.Gather(tape.Parameter(_gateItems!), _gateRows.AsMemory(0, b), Shape.Of(b));        // g_a [B, N]
        if (_gateUser is not null)
        {
            logits = tape.Add(tape.MatMul(tape.Constant(Shape.Of(b, Dimension), _x.AsSpan(0, b * Dimension)), tape.Parameter(_gateUser)), logits);
        }
        var z = tape.Add(tape.LogSoftmax(logits), tape.Scale(squared, -inverseTwoVariance));                  // log p_n - (r - r^_n)^2 / 2 sigma^2
        var logSumExp = tape.Add(z, tape.Scale(tape.LogSoftmax(z), -1));                                      // each entry = log sum_n exp z_n
        return tape.Scale(tape.Mean(logSumExp), -1);
    }

    /// <summary>
    /// Fits the model to <paramref name="examples"/> of <paramref name="data"/> with Adam (<see cref="MixtureOfExpertsOptions.Steps"/>
    /// minibatches of B from shuffled passes); sigma becomes the rewards' standard deviation unless the options fix it.
    /// Returns the mean loss of each stretch of 100 steps.
    /// </summary>
    public IReadOnlyList<double> Train(MultiLabelData data, IReadOnlyList<LabelledExample> examples)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(examples);
        CheckData(data);
        if (examples.Count == 0)
        {
            throw new ArgumentException("Training needs at least one example.", nameof(examples));
        }
        if (_options.Sigma == 0)
        {
            var mean = examples.Average(e => e.Reward);
            Sigma = Math.Max(Math.Sqrt(examples.Sum(e => (e.Reward - mean) * (e.Reward - mean)) / examples.Count), 0.01);
        }
        var adam = new Adam<double>(new AdamOptions { LearningRate = _options.LearningRate });
        var rng = Seeds.Stream(_seed, "moe/batches");
        var order = Enumerable.Range(0, examples.Count).ToArray();
        rng.Shuffle(order.AsSpan());
        var b = Math.Min(_options.BatchSize, examples.Count);
        var batch = new LabelledExample[b];
        var tape = new Tape<double>();
        var trace = new List<double>();
        var sum = 0.0;
        var next = 0;
        for (var step = 0; step < _options.Steps; step++)
        {
            for (var i = 0; i < b; i++)
            {
                if (next == order.Length)
                {
                    rng.Shuffle(order.AsSpan());
                    next = 0;
                }
                batch[i] = examples[order[next++]];
            }
            tape.Reset();
            Parameters.ZeroGradients();
            var loss = Loss(tape, data, batch);
            sum += loss.Data[0];
            tape.Backward(loss);
            adam.Step(Parameters);
            if ((step + 1) % 100 == 0 || step + 1 == _options.Steps)
            {
                trace.Add(sum / ((step % 100) + 1));
                sum = 0;
            }
        }
        return trace;
    }

    /// <summary>Writes the mixture's mean E[r | x, a] = sum_n p_n(x, a) r^_n(x, a) of every item for the context <paramref name="context"/>.</summary>
    public void Scores(ReadOnlySpan<double> context, Span<double> scores)
    {
        if (scores.Length != _items)
        {
            throw new ArgumentException($"Expected {_items} scores, got a span of {scores.Length}.", nameof(scores));
        }
        Towers(context);
        for (var a = 0; a < _items; a++)
        {
            if (_poolOfItem is not null)
            {
                scores[a] = Prediction(_poolOfItem[a], a);
                continue;
            }
            Gate(a, _logits);
            var score = 0.0;
            for (var n = 0; n < _experts; n++)
            {
                score += _logits[n] * Prediction(n, a);
            }
            scores[a] = score;
        }
    }

    /// <summary>The gate's weights p_n(x, a) of item <paramref name="item"/> for context <paramref name="context"/> (one-hot for random pools).</summary>
    public void GateWeights(ReadOnlySpan<double> context, int item, Span<double> weights)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)item, (uint)_items, nameof(item));
        if (weights.Length != _experts)
        {
            throw new ArgumentException($"Expected {_experts} weights, got a span of {weights.Length}.", nameof(weights));
        }
        if (_poolOfItem is not null)
        {
            weights.Clear();
            weights[_poolOfItem[item]] = 1;
            return;
        }
        Towers(context);
        Gate(item, weights);
    }

    /// <summary>Every expert's prediction r^_n(x, a) of item <paramref name="item"/> for context <paramref name="context"/>.</summary>
    public void ExpertPredictions(ReadOnlySpan<double> context, int item, Span<double> predictions)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)item, (uint)_items, nameof(item));
        if (predictions.Length != _experts)
        {
            throw new ArgumentException($"Expected {_experts} predictions, got a span of {predictions.Length}.", nameof(predictions));
        }
        Towers(context);
        for (var n = 0; n < _experts; n++)
        {
            predictions[n] = Prediction(n, item);
        }
    }

    /// <summary>
    /// Hard pools distilled from the gate: item a goes to argmax_n of its mean gate weight over the contexts of
    /// <paramref name="data"/>, (1/|D|) sum_x p_n(x, a) (the paper's "thresholding the per arm average weight"). Random pools
    /// are returned as they are. Pools may come out empty or unequal.
    /// </summary>
    public int[] DistilPools(MultiLabelData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data);
        if (_poolOfItem is not null)
        {
            return _poolOfItem.ToArray();
        }
        var mean = new double[_items * _experts];
        var weights = new double[_experts];
        for (var row = 0; row < data.Count; row++)
        {
            Towers(data.Context(row));
            for (var a = 0; a < _items; a++)
            {
                Gate(a, weights);
                TensorPrimitives.Add(mean.AsSpan(a * _experts, _experts), weights, mean.AsSpan(a * _experts, _experts));
            }
        }
        var pools = new int[_items];
        for (var a = 0; a < _items; a++)
        {
            pools[a] = TensorPrimitives.IndexOfMax(mean.AsSpan(a * _experts, _experts));
        }
        return pools;
    }

    /// <summary>Mean precision@k and recall@k of the ranking by <see cref="Scores"/> over every context of <paramref name="data"/>.</summary>
    public (double Precision, double Recall) Evaluate(MultiLabelData data, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data);
        var scores = new double[_items];
        double precision = 0, recall = 0;
        for (var row = 0; row < data.Count; row++)
        {
            Scores(data.Context(row), scores);
            var (p, r) = RetrievalMetrics.AtK(scores, data.Labels(row), k);
            precision += p;
            recall += r;
        }
        return (precision / data.Count, recall / data.Count);
    }

    /// <summary>Fills the towers' outputs [x_{S_n}, 1] W_n and, with a learned gate, the user logits x V.</summary>
    private void Towers(ReadOnlySpan<double> context)
    {
        if (context.Length != Dimension)
        {
            throw new ArgumentException($"A context has {Dimension} features; got {context.Length}.", nameof(context));
        }
        int s1 = _towerInputs, de = _embedding;
        var w = _tower.Value;
        for (var n = 0; n < _experts; n++)
        {
            var output = _towerOut.AsSpan(n * de, de);
            w.AsSpan((n * s1 + s1 - 1) * de, de).CopyTo(output); // intercept row
            var subset = _subsets[n];
            for (var j = 0; j < subset.Length; j++)
            {
                TensorPrimitives.MultiplyAdd(w.AsSpan((n * s1 + j) * de, de), context[subset[j]], output, output);
            }
        }
        if (_gateUser is not null)
        {
            _userLogits.AsSpan().Clear();
            for (var i = 0; i < Dimension; i++)
            {
                TensorPrimitives.MultiplyAdd(_gateUser.Value.AsSpan(i * _experts, _experts), context[i], _userLogits, _userLogits);
            }
        }
    }

    /// <summary>softmax_n(x V + g_a) into <paramref name="weights"/> (after <see cref="Towers"/>).</summary>
    private void Gate(int item, Span<double> weights)
    {
        TensorPrimitives.Add(_userLogits, _gateItems!.Value.AsSpan(item * _experts, _experts), weights);
        TensorPrimitives.SoftMax(weights, weights);
    }

    /// <summary>r^_n(x, a) = tower_n . e_{n,a} (after <see cref="Towers"/>).</summary>
    private double Prediction(int expert, int item) =>
        TensorPrimitives.Dot(_towerOut.AsSpan(expert * _embedding, _embedding), _itemEmbeddings.Value.AsSpan((expert * _items + item) * _embedding, _embedding));

    private void CheckData(MultiLabelData data)
    {
        if (data.Dimension != Dimension || data.Items != _items)
        {
            throw new ArgumentException($"The data has {data.Dimension} features and {data.Items} items; the model was built for {Dimension} and {_items}.", nameof(data));
        }
    }

    private void Ensure(int b)
    {
        int n = _experts, s1 = _towerInputs;
        if (_negativeRewards.Length < b)
        {
            _xs = new double[n * b * s1];
            _x = new double[b * Dimension];
            _negativeRewards = new double[b];
            _oneHot = new double[b * n];
            _embeddingRows = new int[n * b];
            _gateRows = new int[b];
        }
    }
}
