using System.ComponentModel;
using System.Globalization;
using Cobalt.Core.Configuration;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Data;
using Cobalt.Data.Splits;

namespace Cobalt.Simulation.UserChoice;

/// <summary>Options for training a <see cref="UserChoiceSimulator"/> on an interaction dataset.</summary>
public sealed record UserChoiceTrainingOptions : IValidatable
{
    /// <summary>End of the history period (ISO date); training data is everything before the validation start.</summary>
    [Description("First day of the two-stage paper's training period (ISO date); earlier data is history. Both feed the simulator. When both dates keep their defaults (the paper's MovieLens dates) and these leave a period empty, as on MIND's weeks, the split falls back to the 60 % and 80 % time quantiles.")]
    public string HistoryEnd { get; init; } = "2010-01-01";

    /// <summary>Start of the validation period (ISO date).</summary>
    [Description("First day of the validation period (ISO date): used for the AUC and the threshold, not for fitting.")]
    public string TrainingEnd { get; init; } = "2014-06-01";

    /// <summary>The matrix factorisation that provides the fixed features.</summary>
    [Description("Matrix factorisation giving the fixed user and item features.")]
    public MatrixFactorizationOptions Factorization { get; init; } = new();

    /// <summary>Weight samples by inverse item frequency.</summary>
    [Description("Weight each training sample by 1 / (its item's frequency in the logs), normalised to mean 1.")]
    public bool InversePropensity { get; init; } = true;

    /// <summary>Prior precision of the logistic regression.</summary>
    [Description("Prior precision (L2) of the simulator's logistic regression.")]
    public double Ridge { get; init; } = 1.0;

    /// <summary>A fixed threshold; 0 picks the best F1 on the validation period, kept sparse by <see cref="MaxPositiveRate"/>.</summary>
    [Description("THRES; 0 picks the threshold of best F1 on the validation precision-recall curve among those leaving at most max-positive-rate of all (user, item) pairs positive.")]
    public double Threshold { get; init; }

    /// <summary>The largest share of (user, item) pairs a chosen threshold may make positive.</summary>
    [Description("Largest share of all (user, item) pairs a chosen THRES may make positive, so clicks stay sparse as the paper requires (1 disables the limit).")]
    public double MaxPositiveRate { get; init; } = 0.1;

    /// <summary>How scores become rewards.</summary>
    [Description("How scores become rewards: threshold, threshold-with-flips or bernoulli.")]
    public RewardMode RewardMode { get; init; } = RewardMode.ThresholdWithFlips;

    /// <summary>Flip probability.</summary>
    [Description("Probability of flipping a thresholded reward.")]
    public double FlipProbability { get; init; } = 0.1;

    /// <summary>Seed of the factorisation.</summary>
    [Description("Seed of the matrix factorisation's initialisation and sample order.")]
    public ulong Seed { get; init; } = 7;

    /// <inheritdoc />
    public void Validate()
    {
        _ = Date(HistoryEnd, nameof(HistoryEnd));
        if (Date(TrainingEnd, nameof(TrainingEnd)) < Date(HistoryEnd, nameof(HistoryEnd)))
        {
            throw new OptionsException(Names.Kebab(nameof(TrainingEnd)), $"{TrainingEnd} is before the history end {HistoryEnd}.");
        }
        try
        {
            Factorization.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(Names.Kebab(nameof(Factorization)));
        }
        Require.Positive(Ridge, nameof(Ridge));
        Require.InRange(Threshold, 0, 1, nameof(Threshold));
        Require.InRange(MaxPositiveRate, 0, 1, nameof(MaxPositiveRate));
        Require.Defined(RewardMode, nameof(RewardMode));
        Require.InRange(FlipProbability, 0, 1, nameof(FlipProbability));
    }

    /// <summary>Parses an ISO date option.</summary>
    internal static DateTimeOffset Date(string text, string field) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw new OptionsException(Names.Kebab(field), $"'{text}' is not a date like 2010-01-01.");
}

/// <summary>How good a trained simulator is.</summary>
/// <param name="TrainingSamples">Interactions it was fitted on.</param>
/// <param name="ValidationSamples">Interactions of the validation period.</param>
/// <param name="ValidationAuc">AUC of its scores on the validation period.</param>
/// <param name="UnweightedValidationAuc">AUC of the same model fitted without inverse-propensity weights.</param>
/// <param name="FactorizationValidationAuc">AUC of the matrix factorisation alone.</param>
/// <param name="BestF1Threshold">The threshold of best F1 on the validation period, unconstrained.</param>
/// <param name="BestF1">That F1.</param>
/// <param name="BestF1PositiveRate">Share of all (user, item) pairs it would make positive.</param>
/// <param name="Threshold">THRES in use.</param>
/// <param name="F1">F1 of THRES on the validation period.</param>
/// <param name="PositiveRate">Share of all (simulated user, item) pairs scoring at or above THRES.</param>
public sealed record UserChoiceReport(int TrainingSamples, int ValidationSamples, double ValidationAuc, double UnweightedValidationAuc, double FactorizationValidationAuc,
    double BestF1Threshold, double BestF1, double BestF1PositiveRate, double Threshold, double F1, double PositiveRate);

/// <summary>Trains a <see cref="UserChoiceSimulator"/> on MovieLens-like interactions (ratings >= 4 positive).</summary>
/// <remarks>
/// Features: logistic matrix factorisation vectors p_u, q_i, the user's genre profile g_u (share of each genre among
/// the user's positive training items) and the item's genre one-hot; phi = [p_u ⊙ q_i, g_u ⊙ genres_i, b_i, log popularity, 1].
/// Fitted on history + training periods, each sample weighted by 1 / frequency of its item (normalised to mean 1);
/// the validation period gives the AUC and, unless fixed, the threshold of best F1.
/// </remarks>
public static class UserChoiceTrainer
{
    /// <summary>Trains the simulator; returns it with its quality report.</summary>
    public static (UserChoiceSimulator Simulator, UserChoiceReport Report) Train(InteractionDataset data, UserChoiceTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var split = TimeSplit.ByDate(data, UserChoiceTrainingOptions.Date(options.HistoryEnd, "history-end"), UserChoiceTrainingOptions.Date(options.TrainingEnd, "training-end"));
        var defaults = new UserChoiceTrainingOptions();
        if ((split.History.Length + split.Training.Length == 0 || split.Validation.Length == 0)
            && options.HistoryEnd == defaults.HistoryEnd && options.TrainingEnd == defaults.TrainingEnd && data.Count > 0)
        {
            split = TimeSplit.ByFraction(data, 0.6, 0.2); // the paper's dates do not fit this data's span (MIND covers weeks)
        }
        var train = split.History.Concat(split.Training).ToArray();
        var validation = split.Validation;
        if (train.Length == 0 || validation.Length == 0)
        {
            throw new OptionsException("history-end", $"the split leaves {train.Length} training and {validation.Length} validation interactions; both must be non-empty ({data.Name} spans {Span(data)}).");
        }

        var labels = train.Select(data.IsPositive).ToArray();
        var trainUsers = train.Select(i => data.InteractionUsers[i]).ToArray();
        var trainItems = train.Select(i => data.InteractionItems[i]).ToArray();
        var mf = LogisticMatrixFactorization.Fit(data.Users.Count, data.Items.Count, trainUsers, trainItems, labels,
            options.Factorization, Seeds.Stream(options.Seed, "user-choice/factorization"));
        var features = BuildFeatures(data, train, mf);

        var rows = features.Rows(trainUsers, trainItems);
        var weights = options.InversePropensity ? InverseFrequencyWeights(trainItems, data.Items.Count) : [];
        var theta = FitTheta(rows, labels, weights, features.Dimension, options.Ridge);
        var unweightedTheta = options.InversePropensity ? FitTheta(rows, labels, [], features.Dimension, options.Ridge) : theta;

        var validLabels = validation.Select(data.IsPositive).ToArray();
        var scores = Score(features, theta, data, validation);
        var best = BinaryMetrics.BestF1(scores, validLabels);
        var users = train.Select(i => data.InteractionUsers[i]).Distinct().Order().ToArray();
        var logged = train.Select(i => new Core.Contracts.KnownInteraction(data.InteractionUsers[i], data.InteractionItems[i], data.IsPositive(i))).ToArray();
        var simulator = new UserChoiceSimulator(data.Name, features, theta, 0.5, options.RewardMode, options.FlipProbability,
            data.FirstTopics(), [.. data.Topics], data.Items.Select(i => i.Title).ToArray(), users, logged);
        var pairScores = PairScores(simulator, Seeds.Stream(options.Seed, "user-choice/positive-rate"));
        var sparseEnough = Quantile(pairScores, 1 - options.MaxPositiveRate);
        var threshold = options.Threshold > 0 ? options.Threshold : Math.Clamp(Math.Max(best.Threshold, sparseEnough), 0, 1);
        simulator = simulator.With(options.RewardMode, options.FlipProbability, threshold);

        var report = new UserChoiceReport(
            train.Length,
            validation.Length,
            BinaryMetrics.Auc(scores, validLabels),
            BinaryMetrics.Auc(Score(features, unweightedTheta, data, validation), validLabels),
            BinaryMetrics.Auc(validation.Select(i => mf.Predict(data.InteractionUsers[i], data.InteractionItems[i])).ToArray(), validLabels),
            best.Threshold,
            best.F1,
            RateAbove(pairScores, best.Threshold),
            threshold,
            F1At(scores, validLabels, threshold),
            RateAbove(pairScores, threshold));
        return (simulator, report);
    }

    /// <summary>Inverse-propensity weights w_s = (1 / f_i) / mean over samples of (1 / f_i), f_i the frequency of sample s's item among the samples.</summary>
    public static double[] InverseFrequencyWeights(IReadOnlyList<int> items, int itemCount)
    {
        ArgumentNullException.ThrowIfNull(items);
        var frequency = new int[itemCount];
        foreach (var item in items)
        {
            frequency[item]++;
        }
        var weights = items.Select(i => 1.0 / frequency[i]).ToArray();
        var mean = weights.Average();
        return weights.Select(w => w / mean).ToArray();
    }

    /// <summary>The simulator's weighted logistic regression: theta maximising sum_s w_s log-likelihood(y_s | phi_s) - ridge/2 ||theta||^2.</summary>
    public static double[] FitTheta(PairRows rows, IReadOnlyList<bool> labels, ReadOnlySpan<double> weights, int dimension, double ridge)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != rows.Count)
        {
            throw new ArgumentException($"{labels.Count} labels for {rows.Count} pairs.", nameof(labels));
        }
        return OnlineLogisticRegression.Fit(rows, labels.Select(l => l ? 1.0 : 0.0).ToArray(), weights, dimension, ridge, maxIterations: 30, tolerance: 1e-8);
    }

    private static ChoiceFeatures BuildFeatures(InteractionDataset data, int[] train, LogisticMatrixFactorization mf)
    {
        int users = data.Users.Count, items = data.Items.Count, k = mf.Dimension, g = data.Topics.Count, d = k + g;
        var profile = new double[users * g];
        var counts = new int[items];
        foreach (var s in train)
        {
            counts[data.InteractionItems[s]]++;
            if (data.IsPositive(s))
            {
                foreach (var topic in data.Items[data.InteractionItems[s]].Topics)
                {
                    profile[data.InteractionUsers[s] * g + topic]++;
                }
            }
        }
        var userFeatures = new double[users * d];
        var itemFeatures = new double[items * d];
        for (var u = 0; u < users; u++)
        {
            mf.UserVectors.AsSpan(u * k, k).CopyTo(userFeatures.AsSpan(u * d, k));
            var row = profile.AsSpan(u * g, g);
            var total = 0.0;
            foreach (var v in row)
            {
                total += v;
            }
            for (var t = 0; t < g; t++)
            {
                userFeatures[u * d + k + t] = total > 0 ? row[t] / total : 0;
            }
        }
        var logCounts = counts.Select(c => Math.Log(1 + c)).ToArray();
        double mean = logCounts.Average(), std = Math.Sqrt(logCounts.Average(c => (c - mean) * (c - mean))) + 1e-12;
        var extras = new double[items * 2];
        for (var i = 0; i < items; i++)
        {
            mf.ItemVectors.AsSpan(i * k, k).CopyTo(itemFeatures.AsSpan(i * d, k));
            foreach (var topic in data.Items[i].Topics)
            {
                itemFeatures[i * d + k + topic] = 1;
            }
            extras[i * 2] = mf.ItemBias[i];
            extras[i * 2 + 1] = (logCounts[i] - mean) / std;
        }
        return new ChoiceFeatures(PairMode.Elementwise, users, d, userFeatures, items, d, itemFeatures, 2, extras);
    }

    private static double[] Score(ChoiceFeatures features, double[] theta, InteractionDataset data, int[] samples)
    {
        var phi = new double[features.Dimension];
        return samples.Select(s =>
        {
            features.Write(data.InteractionUsers[s], data.InteractionItems[s], phi);
            return OnlineLogisticRegression.Sigmoid(System.Numerics.Tensors.TensorPrimitives.Dot(theta, phi));
        }).ToArray();
    }

    private static double F1At(double[] scores, bool[] labels, double threshold)
    {
        int tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var predicted = scores[i] >= threshold;
            tp += predicted && labels[i] ? 1 : 0;
            fp += predicted && !labels[i] ? 1 : 0;
            fn += !predicted && labels[i] ? 1 : 0;
        }
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /// <summary>Scores of every item for up to 200 random simulated users, sorted ascending.</summary>
    private static double[] PairScores(UserChoiceSimulator simulator, Rng rng)
    {
        var users = simulator.Users.ToArray();
        rng.Shuffle(users.AsSpan());
        var items = simulator.Features.ItemCount;
        var chosen = users.Take(200).ToArray();
        var scores = new double[chosen.Length * items];
        for (var u = 0; u < chosen.Length; u++)
        {
            simulator.Scores(chosen[u], scores.AsSpan(u * items, items));
        }
        Array.Sort(scores);
        return scores;
    }

    private static double Quantile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length), 0, sorted.Length - 1)];

    private static double RateAbove(double[] sorted, double threshold)
    {
        var index = Array.BinarySearch(sorted, threshold);
        if (index < 0)
        {
            index = ~index;
        }
        while (index > 0 && sorted[index - 1] >= threshold)
        {
            index--;
        }
        return (double)(sorted.Length - index) / sorted.Length;
    }

    private static string Span(InteractionDataset data) => data.Count == 0 ? "no dates" :
        $"{DateTimeOffset.FromUnixTimeSeconds(data.Timestamps.Min()):yyyy-MM-dd} to {DateTimeOffset.FromUnixTimeSeconds(data.Timestamps.Max()):yyyy-MM-dd}";
}
