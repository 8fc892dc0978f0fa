using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Data;
using Cobalt.Data.Splits;
using Cobalt.Neural.Nrms;

namespace Cobalt.Simulation.Neural;

/// <summary>One validation impression: the user's history and candidates with their labels.</summary>
/// <param name="History">Positive items before the validation period, oldest first.</param>
/// <param name="Candidates">Item ids shown.</param>
/// <param name="Clicked">Whether each was a positive.</param>
public sealed record Impression(int[] History, int[] Candidates, bool[] Clicked);

/// <summary>Validation quality of a click model: impression-averaged AUC, MRR, nDCG@5 and nDCG@10 (as MIND reports NRMS).</summary>
public sealed record RankingReport(int Impressions, double Auc, double Mrr, double Ndcg5, double Ndcg10);

/// <summary>
/// Turns logged interactions into NRMS training samples and validation impressions under a time split (ratings >= 4
/// are clicks): a training sample is a positive interaction of the training period, the user's earlier positives as
/// history, and K negatives drawn from items the user has not rated positively; a validation impression is one positive
/// of the validation period with <c>negatives</c> such items, scored from the user's history before the validation period.
/// </summary>
public static class NrmsOnInteractions
{
    /// <summary>Training samples from the split's training period (in time order), at most <paramref name="maxSamples"/> (the latest).</summary>
    public static IReadOnlyList<NrmsSample> TrainingSamples(InteractionDataset data, TimeSplit split, int negatives, int maxHistory, int maxSamples, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(rng);
        var histories = new Dictionary<int, List<int>>();
        foreach (var i in split.History.Where(data.IsPositive))
        {
            HistoryOf(histories, data.InteractionUsers[i]).Add(data.InteractionItems[i]);
        }
        var positives = PositiveSets(data);
        var samples = new List<NrmsSample>();
        foreach (var i in split.Training)
        {
            if (!data.IsPositive(i))
            {
                continue;
            }
            var user = data.InteractionUsers[i];
            var history = HistoryOf(histories, user);
            if (history.Count > 0)
            {
                samples.Add(new NrmsSample([.. history.TakeLast(maxHistory)], data.InteractionItems[i], Negatives(data.Items.Count, positives[user], negatives, rng)));
            }
            history.Add(data.InteractionItems[i]);
        }
        return samples.Count > maxSamples ? samples[^maxSamples..] : samples;
    }

    /// <summary>Validation impressions: at most <paramref name="maxImpressions"/>, one per validation positive of users with a history.</summary>
    public static IReadOnlyList<Impression> ValidationImpressions(InteractionDataset data, TimeSplit split, int negatives, int maxHistory, int maxImpressions, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(rng);
        var histories = new Dictionary<int, List<int>>();
        foreach (var i in split.History.Concat(split.Training).Where(data.IsPositive))
        {
            HistoryOf(histories, data.InteractionUsers[i]).Add(data.InteractionItems[i]);
        }
        var positives = PositiveSets(data);
        var impressions = new List<Impression>();
        foreach (var i in split.Validation)
        {
            if (impressions.Count >= maxImpressions)
            {
                break;
            }
            var user = data.InteractionUsers[i];
            if (!data.IsPositive(i) || !histories.TryGetValue(user, out var history) || history.Count == 0)
            {
                continue;
            }
            var candidates = new[] { data.InteractionItems[i] }.Concat(Negatives(data.Items.Count, positives[user], negatives, rng)).ToArray();
            impressions.Add(new Impression([.. history.TakeLast(maxHistory)], candidates, candidates.Select((_, c) => c == 0).ToArray()));
        }
        return impressions;
    }

    /// <summary>Scores every impression with the model and averages AUC, MRR and nDCG@5/10 over impressions.</summary>
    public static RankingReport Evaluate(NrmsModel model, IReadOnlyList<Impression> impressions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(impressions);
        if (impressions.Count == 0)
        {
            throw new ArgumentException("There are no validation impressions to evaluate on.", nameof(impressions));
        }
        var items = model.EncodeItems();
        double auc = 0, mrr = 0, ndcg5 = 0, ndcg10 = 0;
        foreach (var impression in impressions)
        {
            var user = model.EncodeUser(impression.History, items);
            var scores = new float[impression.Candidates.Length];
            NrmsModel.Score(user, items, impression.Candidates, scores);
            var s = scores.Select(v => (double)v).ToArray();
            auc += BinaryMetrics.Auc(s, impression.Clicked);
            mrr += RankingMetrics.Mrr(s, impression.Clicked);
            ndcg5 += RankingMetrics.Ndcg(s, impression.Clicked, 5);
            ndcg10 += RankingMetrics.Ndcg(s, impression.Clicked, 10);
        }
        var n = impressions.Count;
        return new RankingReport(n, auc / n, mrr / n, ndcg5 / n, ndcg10 / n);
    }

    private static List<int> HistoryOf(Dictionary<int, List<int>> histories, int user)
    {
        if (!histories.TryGetValue(user, out var history))
        {
            history = [];
            histories[user] = history;
        }
        return history;
    }

    private static HashSet<int>[] PositiveSets(InteractionDataset data)
    {
        var sets = new HashSet<int>[data.Users.Count];
        for (var u = 0; u < sets.Length; u++)
        {
            sets[u] = [];
        }
        for (var i = 0; i < data.Count; i++)
        {
            if (data.IsPositive(i))
            {
                sets[data.InteractionUsers[i]].Add(data.InteractionItems[i]);
            }
        }
        return sets;
    }

    private static int[] Negatives(int itemCount, HashSet<int> positives, int count, Rng rng)
    {
        var negatives = new int[count];
        for (var k = 0; k < count; k++)
        {
            int item;
            do
            {
                item = rng.NextInt(itemCount);
            }
            while (positives.Contains(item));
            negatives[k] = item;
        }
        return negatives;
    }
}
