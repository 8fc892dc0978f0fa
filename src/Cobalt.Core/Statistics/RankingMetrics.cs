namespace Cobalt.Core.Statistics;

/// <summary>Ranking quality of one impression (candidates with 0/1 labels), as MIND and NRMS report it: AUC, MRR, nDCG@k.</summary>
public static class RankingMetrics
{
    /// <summary>
    /// Mean reciprocal rank: the mean over clicked candidates of 1 / rank (rank 1 = highest score; ties count
    /// against the clicked item), divided by the number of clicked candidates (Microsoft's MIND evaluation).
    /// </summary>
    public static double Mrr(ReadOnlySpan<double> scores, ReadOnlySpan<bool> clicked)
    {
        Check(scores, clicked);
        double sum = 0;
        var positives = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (clicked[i])
            {
                positives++;
                sum += 1.0 / Rank(scores, i);
            }
        }
        return positives == 0 ? 0 : sum / positives;
    }

    /// <summary>nDCG@k = DCG@k / ideal DCG@k with gain 1 per click and discount 1 / log2(rank + 1).</summary>
    public static double Ndcg(ReadOnlySpan<double> scores, ReadOnlySpan<bool> clicked, int k)
    {
        Check(scores, clicked);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        double dcg = 0;
        var positives = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (clicked[i])
            {
                positives++;
                var rank = Rank(scores, i);
                if (rank <= k)
                {
                    dcg += 1.0 / Math.Log2(rank + 1);
                }
            }
        }
        double ideal = 0;
        for (var r = 1; r <= Math.Min(k, positives); r++)
        {
            ideal += 1.0 / Math.Log2(r + 1);
        }
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>1 + the number of candidates scoring at least as high as candidate <paramref name="index"/> (other than itself).</summary>
    private static int Rank(ReadOnlySpan<double> scores, int index)
    {
        var rank = 1;
        for (var j = 0; j < scores.Length; j++)
        {
            if (j != index && scores[j] >= scores[index])
            {
                rank++;
            }
        }
        return rank;
    }

    private static void Check(ReadOnlySpan<double> scores, ReadOnlySpan<bool> clicked)
    {
        if (scores.Length != clicked.Length || scores.Length == 0)
        {
            throw new ArgumentException($"{scores.Length} scores for {clicked.Length} labels; an impression needs at least one candidate.", nameof(clicked));
        }
    }
}
