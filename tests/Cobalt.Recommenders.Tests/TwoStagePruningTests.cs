using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Recommenders.TwoStage;

namespace Cobalt.Recommenders.Tests;

/// <summary>
/// The two-stage item stage with pruned top-m scoring (issue 19): the same slates as scoring every item of every group,
/// round after round, with fewer exact estimates.
/// </summary>
public class TwoStagePruningTests
{
    private static ItemCatalog Catalogue(int n, int d, int topics, ulong seed)
    {
        var rng = new Rng(seed);
        var centres = Enumerable.Range(0, topics).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextGaussian() / Math.Sqrt(d)).ToArray()).ToArray();
        var values = new double[n * d];
        var topic = new int[n];
        for (var i = 0; i < n; i++)
        {
            // Sizes fall with the topic index (squared uniform), so some groups are large and some small.
            topic[i] = (int)(topics * Math.Pow(rng.NextDouble(), 2));
            var scale = 0.4 + 1.2 * rng.NextDouble();
            for (var j = 0; j < d; j++)
            {
                values[i * d + j] = scale * (centres[topic[i]][j] + rng.NextGaussian() / Math.Sqrt(d)) / Math.Sqrt(2);
            }
        }
        // Repeated rows: exact ties inside a group.
        for (var i = 0; i < n / 40; i++)
        {
            Array.Copy(values, i * d, values, (n - 1 - i) * d, d);
            topic[n - 1 - i] = topic[i];
        }
        return new ItemCatalog(new FeatureMatrix(n, d, values), topic);
    }

    [Theory]
    [InlineData(StageModel.Galm, 0.1, 1ul)]
    [InlineData(StageModel.Galm, 4.0, 2ul)]
    [InlineData(StageModel.Galm, 0.0, 3ul)]
    [InlineData(StageModel.Gblm, 0.1, 4ul)]
    [InlineData(StageModel.Gblm, 5.0, 5ul)]
    public void Pruned_item_stage_picks_the_same_slates_as_full_scoring(StageModel model, double beta, ulong seed)
    {
        const int n = 1500, d = 7, topics = 12, m = 3;
        var catalog = Catalogue(n, d, topics, seed);
        var options = new TwoStageOptions { Model = model, Beta = beta, DynamicTopics = true, BudgetPerSlot = 0, LearningRate = 0.2 };
        var pruned = new TwoStagePolicy("two-stage", "test", options, d, d, 9);
        var full = new TwoStagePolicy("two-stage", "test", options, d, d, 9) { PruneScoring = false };
        var rng = new Rng(seed + 50);
        var users = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextGaussian() / Math.Sqrt(d)).ToArray()).ToArray();
        for (var t = 0; t < 60; t++)
        {
            var context = new DecisionContext(t, t % users.Length, users[t % users.Length], catalog.All());
            var a = pruned.Select(context, m);
            var b = full.Select(context, m);
            a.Slots.Select(s => s.ActionId).Should().Equal(b.Slots.Select(s => s.ActionId), $"round {t}");
            Feedback[] feedback = [new Feedback(context, a.Top.CandidateIndex, rng.NextDouble() < 0.4 ? 1 : 0, null)];
            pruned.Update(feedback);
            full.Update(feedback);
        }
        full.ScoredItems.Should().Be(full.OfferedItems);
        pruned.OfferedItems.Should().Be(full.OfferedItems);
        pruned.ScoredItems.Should().BeLessThan(pruned.OfferedItems, "the bounds must rule some items out");
    }
}
