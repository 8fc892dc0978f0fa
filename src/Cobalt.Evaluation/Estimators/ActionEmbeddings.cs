namespace Cobalt.Evaluation.Estimators;

/// <summary>
/// Categorical embeddings e_t of the logged actions (one category per embedding dimension, e.g. an item's category and brand)
/// and the marginal importance weights w(x_t, e_t) = p(e_t | x_t, pi) / p(e_t | x_t, pi_0) they give, for marginalized IPS
/// (Saito and Joachims 2022). Either from the known p(e | a) (<see cref="FromConditional"/>), or estimated as
/// w(x, e) = sum_a pi-hat(a | x, e) pi(a | x) / pi_0(a | x) with a multinomial logistic pi-hat(a | x, e) (<see cref="Estimated"/>).
/// </summary>
/// <remarks>Ports obp/ope/estimators_embed.py (_estimate_round_rewards with p_e_a, and _estimate_w_x_e) of Open Bandit
/// Pipeline 0.5.5, st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4.</remarks>
public sealed class ActionEmbeddings
{
    private readonly Func<int[], double[]> _weightsOf;

    private ActionEmbeddings(int dimensions, int[] categories, Func<int[], double[]> weightsOf, int[]? selected = null)
    {
        _weightsOf = weightsOf;
        selected ??= [.. Enumerable.Range(0, dimensions)];
        var marginalWeights = weightsOf(selected);
        Dimensions = dimensions;
        Categories = categories;
        MarginalWeights = marginalWeights;
        SelectedDimensions = selected;
    }

    /// <summary>The embedding dimensions the weights use (all of them unless a selection dropped some).</summary>
    public IReadOnlyList<int> SelectedDimensions { get; }

    /// <summary>Embedding dimensions.</summary>
    public int Dimensions { get; }

    /// <summary>e_{t,j}, row-major rounds x dimensions.</summary>
    public IReadOnlyList<int> Categories { get; }

    /// <summary>w(x_t, e_t) for every round.</summary>
    public IReadOnlyList<double> MarginalWeights { get; }

    /// <summary>
    /// Exact weights from p(e_j = c | a), given as <paramref name="conditional"/>[a, c, j] (OBP's p_e_a):
    /// p(e_t | x_t, pi) = prod_j sum_a pi(a | x_t) p(e_{t,j} | a).
    /// </summary>
    public static ActionEmbeddings FromConditional(ActionDistribution logging, ActionDistribution evaluation, int[] categories, double[,,] conditional)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        var dims = conditional.GetLength(2);
        Check(logging, evaluation, categories, dims, conditional.GetLength(0));
        categories = [.. categories];
        return new ActionEmbeddings(dims, categories, subset => ExactWeights(logging, evaluation, categories, conditional, subset));
    }

    private static double[] ExactWeights(ActionDistribution logging, ActionDistribution evaluation, int[] categories, double[,,] conditional, int[] subset)
    {
        var dims = conditional.GetLength(2);
        var n = logging.Rounds;
        var weights = new double[n];
        for (var t = 0; t < n; t++)
        {
            double pe = 1, p0 = 1;
            foreach (var j in subset)
            {
                var c = categories[t * dims + j];
                if ((uint)c >= (uint)conditional.GetLength(1))
                {
                    throw new ArgumentException($"Round {t}: embedding {j} is category {c}; p(e | a) has {conditional.GetLength(1)} categories.", nameof(categories));
                }
                double se = 0, s0 = 0;
                for (var a = 0; a < logging.Actions; a++)
                {
                    se += evaluation[t, a] * conditional[a, c, j];
                    s0 += logging[t, a] * conditional[a, c, j];
                }
                pe *= se;
                p0 *= s0;
            }
            if (!(p0 > 0))
            {
                throw new ArgumentException($"Round {t}: the logged embedding has probability 0 under the logging policy.", nameof(categories));
            }
            weights[t] = pe / p0;
        }
        return weights;
    }

    /// <summary>
    /// Estimated weights: a multinomial logistic regression of the logged action on [x_t, onehot(e_t)] (each dimension's
    /// observed categories, the first dropped; L2 with <paramref name="inverseRegularization"/> = C, intercepts free) gives
    /// pi-hat(a | x_t, e_t) (0 for actions never logged), and w(x_t, e_t) = sum_a pi-hat(a | x_t, e_t) w(x_t, a), with
    /// w(x, a) = pi(a | x) / pi_0(a | x) (0 where pi_0(a | x) = 0).
    /// </summary>
    public static ActionEmbeddings Estimated(BanditLog log, ActionDistribution logging, ActionDistribution evaluation, int[] categories, int dimensions, double inverseRegularization = 1.0)
    {
        ArgumentNullException.ThrowIfNull(log);
        Check(logging, evaluation, categories, dimensions, log.ActionCount);
        if (logging.Rounds != log.Count)
        {
            throw new ArgumentException($"The logging policy covers {logging.Rounds} rounds; the log has {log.Count}.", nameof(logging));
        }
        categories = [.. categories];
        return new ActionEmbeddings(dimensions, categories, subset => EstimatedWeights(log, logging, evaluation, categories, dimensions, inverseRegularization, subset));
    }

    private static double[] EstimatedWeights(BanditLog log, ActionDistribution logging, ActionDistribution evaluation, int[] categories, int dimensions, double inverseRegularization, int[] subset)
    {
        var n = log.Count;
        var levels = new int[dimensions][];
        for (var j = 0; j < dimensions; j++)
        {
            levels[j] = subset.Contains(j) ? Enumerable.Range(0, n).Select(t => categories[t * dimensions + j]).Distinct().Order().ToArray() : [0];
        }
        var contextColumns = log.Contexts.Columns;
        var d = contextColumns + levels.Sum(l => l.Length - 1);
        var x = new double[n * d];
        for (var t = 0; t < n; t++)
        {
            var row = x.AsSpan(t * d, d);
            log.Contexts.Row(t).CopyTo(row);
            var offset = contextColumns;
            for (var j = 0; j < dimensions; j++)
            {
                var level = Array.BinarySearch(levels[j], categories[t * dimensions + j]);
                if (level > 0)
                {
                    row[offset + level - 1] = 1;
                }
                offset += levels[j].Length - 1;
            }
        }
        var classes = log.Actions.Distinct().Order().ToArray();
        var label = new int[log.ActionCount];
        for (var c = 0; c < classes.Length; c++)
        {
            label[classes[c]] = c;
        }
        var model = SoftmaxRegression.Fit(x, log.Actions.Select(a => label[a]).ToArray(), d, classes.Length, inverseRegularization);
        var weights = new double[n];
        var probabilities = new double[classes.Length];
        for (var t = 0; t < n; t++)
        {
            model.Predict(x.AsSpan(t * d, d), probabilities);
            var w = 0.0;
            for (var c = 0; c < classes.Length; c++)
            {
                var a = classes[c];
                var ratio = logging[t, a] > 0 ? evaluation[t, a] / logging[t, a] : 0;
                w += probabilities[c] * ratio;
            }
            weights[t] = w;
        }
        return weights;
    }

    /// <summary>
    /// Data-driven embedding selection (Saito and Joachims 2022, section 4; OBP's embedding_selection_method): drops embedding
    /// dimensions while the MIPS estimate on fewer dimensions stays within the confidence widths of those already accepted
    /// (see <see cref="EmbeddingSelection"/>), and returns the embeddings restricted to the dimensions OBP's rule settles on.
    /// </summary>
    public ActionEmbeddings Select(IReadOnlyList<double> rewards, EmbeddingSelection selection)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(selection);
        selection.Validate();
        if (rewards.Count != MarginalWeights.Count)
        {
            throw new ArgumentException($"{rewards.Count} rewards for embeddings of {MarginalWeights.Count} rounds.", nameof(rewards));
        }
        if (Dimensions == 1)
        {
            return this;
        }
        var chosen = selection.Choose(Dimensions, _weightsOf, rewards);
        return new ActionEmbeddings(Dimensions, (int[])Categories, _weightsOf, chosen);
    }

    internal static double WeightOf(EstimationInput input, int t)
    {
        var embeddings = input.Embeddings
            ?? throw new ArgumentException("Marginalized IPS needs action embeddings (EstimationInput.Embeddings).", nameof(input));
        if (embeddings.MarginalWeights.Count != input.Log.Count)
        {
            throw new ArgumentException($"The embeddings cover {embeddings.MarginalWeights.Count} rounds; the log has {input.Log.Count}.", nameof(input));
        }
        return embeddings.MarginalWeights[t];
    }

    private static void Check(ActionDistribution logging, ActionDistribution evaluation, int[] categories, int dimensions, int actions)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        if (evaluation.Rounds != logging.Rounds || evaluation.Actions != logging.Actions || logging.Actions != actions)
        {
            throw new ArgumentException($"The logging policy covers {logging.Rounds} x {logging.Actions}, the evaluation policy {evaluation.Rounds} x {evaluation.Actions}; {actions} actions were expected.", nameof(evaluation));
        }
        if (categories.Length != (long)logging.Rounds * dimensions)
        {
            throw new ArgumentException($"{logging.Rounds} rounds x {dimensions} embedding dimensions need {(long)logging.Rounds * dimensions} categories; got {categories.Length}.", nameof(categories));
        }
        for (var i = 0; i < categories.Length; i++)
        {
            if (categories[i] < 0)
            {
                throw new ArgumentException($"Round {i / dimensions}: embedding {i % dimensions} is category {categories[i]}; categories are 0 or more.", nameof(categories));
            }
        }
    }
}
