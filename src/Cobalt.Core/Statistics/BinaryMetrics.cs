namespace Cobalt.Core.Statistics;

/// <summary>Quality of scores for binary labels: ROC AUC, the precision-recall curve's best F1, log loss.</summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Area under the ROC curve: the probability that a random positive scores above a random negative
    /// (ties count one half), by sorting, in O(n log n). NaN-free: 0.5 when one class is absent.
    /// </summary>
    public static double Auc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        Check(scores, labels);
        var order = Order(scores);
        double positives = 0, negatives = 0, rankSum = 0;
        var i = 0;
        while (i < order.Length)
        {
            // A block of tied scores shares the mean of its ranks (1-based).
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }
            var meanRank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
            {
                if (labels[order[k]])
                {
                    positives++;
                    rankSum += meanRank;
                }
                else
                {
                    negatives++;
                }
            }
            i = j + 1;
        }
        return positives == 0 || negatives == 0 ? 0.5 : (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }

    /// <summary>The threshold (a score; predict positive when score >= it) with the best F1 on the precision-recall curve, and that F1.</summary>
    public static (double Threshold, double F1, double Precision, double Recall) BestF1(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        Check(scores, labels);
        var order = Order(scores);
        Array.Reverse(order); // descending
        var totalPositives = 0;
        foreach (var l in labels)
        {
            totalPositives += l ? 1 : 0;
        }
        if (totalPositives == 0)
        {
            throw new ArgumentException("F1 needs at least one positive label.", nameof(labels));
        }
        (double Threshold, double F1, double Precision, double Recall) best = (double.PositiveInfinity, 0, 0, 0);
        var truePositives = 0;
        for (var k = 0; k < order.Length; k++)
        {
            truePositives += labels[order[k]] ? 1 : 0;
            if (k + 1 < order.Length && scores[order[k + 1]] == scores[order[k]])
            {
                continue; // a threshold cannot split tied scores
            }
            var precision = truePositives / (double)(k + 1);
            var recall = truePositives / (double)totalPositives;
            var f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
            if (f1 > best.F1)
            {
                best = (scores[order[k]], f1, precision, recall);
            }
        }
        return best;
    }

    /// <summary>Mean negative log-likelihood of the labels under probabilities <paramref name="probabilities"/> (clipped to [1e-12, 1 - 1e-12]).</summary>
    public static double LogLoss(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
    {
        Check(probabilities, labels);
        var sum = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var p = Math.Clamp(probabilities[i], 1e-12, 1 - 1e-12);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / labels.Length;
    }

    /// <summary>Mean squared error between probabilities and the 0/1 labels (the Brier score).</summary>
    public static double Brier(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
    {
        Check(probabilities, labels);
        var sum = 0.0;
        for (var i = 0; i < labels.Length; i++)
        {
            var e = probabilities[i] - (labels[i] ? 1 : 0);
            sum += e * e;
        }
        return sum / labels.Length;
    }

    private static int[] Order(ReadOnlySpan<double> scores)
    {
        var order = new int[scores.Length];
        var keys = scores.ToArray();
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        Array.Sort(keys, order);
        return order;
    }

    private static void Check(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"{scores.Length} scores for {labels.Length} labels.", nameof(labels));
        }
        if (scores.Length == 0)
        {
            throw new ArgumentException("No scores to evaluate.", nameof(scores));
        }
        foreach (var s in scores)
        {
            if (double.IsNaN(s))
            {
                throw new ArgumentException("A score is NaN.", nameof(scores));
            }
        }
    }
}
