using Cobalt.Core.Data;

namespace Cobalt.Neural.Nrms;

/// <summary>
/// One training impression: a user's clicked items (oldest first), the item clicked next, and items shown but not clicked.
/// Item ids index the model's items.
/// </summary>
/// <remarks>
/// Training uses the last <see cref="NrmsOptions.MaxHistory"/> history items and K = <see cref="NrmsOptions.Negatives"/> negatives:
/// K drawn without replacement when more are given, drawn with replacement when fewer, and drawn uniformly from the catalogue
/// (never the positive) when none are given.
/// <para>Optional <paramref name="Weights"/> weigh each candidate's binary cross-entropy (the inverse propensities of CB4Rec's IPS
/// simulator, algorithms/nrms_sim.py NRMS_IPS_Sim @67f4029): Weights[0] is the positive's, Weights[1 + k] is Negatives[k]'s, and a
/// drawn negative carries the weight of the entry it was drawn from (1 when drawn from the catalogue). They are normalised as
/// <see cref="NrmsOptions.Weighting"/> says. Weights need <see cref="NrmsLoss.BinaryCrossEntropy"/>.</para>
/// </remarks>
/// <param name="History">Clicked item ids, oldest first (may be empty).</param>
/// <param name="Positive">The clicked item.</param>
/// <param name="Negatives">Items not clicked (may be empty).</param>
/// <param name="Weights">Per-candidate loss weights, 1 + Negatives.Length positive finite values; null = all 1.</param>
public sealed record NrmsSample(int[] History, int Positive, int[] Negatives, float[]? Weights = null);

/// <summary>Progress of training after each epoch.</summary>
/// <param name="Epoch">The epoch just finished (1-based).</param>
/// <param name="Epochs">Epochs requested.</param>
/// <param name="MeanLoss">Mean training loss over the epoch's batches.</param>
/// <param name="SamplesPerSecond">Training throughput of the epoch.</param>
public sealed record NrmsProgress(int Epoch, int Epochs, double MeanLoss, double SamplesPerSecond);

/// <summary>What a call to <see cref="NrmsModel.Train"/> did.</summary>
/// <param name="EpochLosses">Mean loss of each epoch.</param>
/// <param name="Steps">Gradient steps taken.</param>
/// <param name="Samples">Samples processed (epochs x samples).</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record NrmsTrainingReport(IReadOnlyList<double> EpochLosses, long Steps, long Samples, TimeSpan Elapsed);

/// <summary>Monte-Carlo dropout click scores (Gal and Ghahramani 2016): per candidate, the mean and standard deviation over the passes.</summary>
/// <param name="Mean">Mean click score (dot product z_uᵀ x_i) per candidate.</param>
/// <param name="StandardDeviation">Population standard deviation (divisor n) of the score per candidate.</param>
/// <param name="Passes">Number of stochastic forward passes.</param>
public sealed record McDropoutScores(float[] Mean, float[] StandardDeviation, int Passes);

/// <summary>Vectors of a set of items (or users), one row each, row-major.</summary>
public sealed class ItemVectors
{
    /// <summary>Wraps <paramref name="values"/> as <paramref name="count"/> rows of <paramref name="dimension"/>.</summary>
    public ItemVectors(int count, int dimension, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)count * dimension)
        {
            throw new ArgumentException($"{count} vectors of {dimension} need {(long)count * dimension} values, got {values.Length}.", nameof(values));
        }
        Count = count;
        Dimension = dimension;
        Values = values;
    }

    /// <summary>Number of rows.</summary>
    public int Count { get; }

    /// <summary>Row length.</summary>
    public int Dimension { get; }

    /// <summary>All values, row-major [Count, Dimension].</summary>
    public float[] Values { get; }

    /// <summary>The vector of the model's own padding item, encoded with the rows (<see cref="NrmsPadding.AttendedAppended"/>); null otherwise.</summary>
    public float[]? Padding { get; init; }

    /// <summary>Row <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return Values.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>The vectors as a Core feature matrix (double), optionally with a constant 1 appended (the bias the bandit policies expect).</summary>
    public FeatureMatrix ToFeatureMatrix(bool appendBias = false)
    {
        var columns = Dimension + (appendBias ? 1 : 0);
        var values = new double[(long)Count * columns];
        for (var i = 0; i < Count; i++)
        {
            var row = Row(i);
            for (var j = 0; j < Dimension; j++)
            {
                values[i * columns + j] = row[j];
            }
            if (appendBias)
            {
                values[i * columns + Dimension] = 1.0;
            }
        }
        return new FeatureMatrix(Count, columns, values);
    }
}

/// <summary>Ranking metrics of two-tower scores.</summary>
public static class NrmsMetrics
{
    /// <summary>
    /// Impression-averaged AUC of the scores u_k · c_i, with u_k row k of <paramref name="users"/> for sample k and c_i rows of
    /// <paramref name="candidates"/>, over each sample's positive and its negatives (samples without negatives are skipped; NaN
    /// when none is left): the authors' checkpoint criterion (CB4Rec @67f4029 utils/metrics.py evaluation_split).
    /// </summary>
    public static double MeanImpressionAuc(ItemVectors users, ItemVectors candidates, IReadOnlyList<NrmsSample> samples)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(samples);
        var total = 0.0;
        var counted = 0;
        var scores = new double[1];
        var labels = new bool[1];
        for (var k = 0; k < samples.Count; k++)
        {
            var sample = samples[k];
            var n = sample.Negatives.Length + 1;
            if (n < 2)
            {
                continue;
            }
            if (scores.Length < n)
            {
                scores = new double[n];
                labels = new bool[n];
            }
            var user = users.Row(k);
            scores[0] = System.Numerics.Tensors.TensorPrimitives.Dot(user, candidates.Row(sample.Positive));
            labels[0] = true;
            for (var j = 1; j < n; j++)
            {
                scores[j] = System.Numerics.Tensors.TensorPrimitives.Dot(user, candidates.Row(sample.Negatives[j - 1]));
                labels[j] = false;
            }
            total += Core.Statistics.BinaryMetrics.Auc(scores.AsSpan(0, n), labels.AsSpan(0, n));
            counted++;
        }
        return counted == 0 ? double.NaN : total / counted;
    }
}
