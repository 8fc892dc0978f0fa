namespace Cobalt.Recommenders.Experts;

/// <summary>Precision@k and recall@k of a ranking of items against a context's positive labels (Hron et al. 2021, figure 5).</summary>
public static class RetrievalMetrics
{
    /// <summary>
    /// precision@k = |top-k ∩ P| / k and recall@k = |top-k ∩ P| / |P|, where top-k are the k highest scores (ties to the
    /// lower index) and P the positive items; both 0 when P is empty, as in the paper.
    /// </summary>
    public static (double Precision, double Recall) AtK(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive, int k)
    {
        if (scores.Length != positive.Length || scores.Length == 0)
        {
            throw new ArgumentException($"{scores.Length} scores for {positive.Length} labels; a ranking needs at least one item.", nameof(positive));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var positives = 0;
        foreach (var p in positive)
        {
            positives += p ? 1 : 0;
        }
        if (positives == 0)
        {
            return (0, 0);
        }
        var hits = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (!positive[i])
            {
                continue;
            }
            // Rank of item i: items scoring higher, or equal with a lower index, come first.
            var ahead = 0;
            for (var j = 0; j < scores.Length && ahead < k; j++)
            {
                if (scores[j] > scores[i] || (scores[j] == scores[i] && j < i))
                {
                    ahead++;
                }
            }
            hits += ahead < k ? 1 : 0;
        }
        return ((double)hits / k, (double)hits / positives);
    }
}
