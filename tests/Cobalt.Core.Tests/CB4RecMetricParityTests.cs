using System.Text.Json;
using Cobalt.Core.Statistics;

namespace Cobalt.Core.Tests;

/// <summary>
/// The simulator's validation metrics and THRES rule against the two-stage authors' own code (Mengyanz/CB4Rec @67f4029:
/// utils/metrics.py compute_amn, and algorithms/nrms_sim.py's threshold at the best F1 of sklearn's precision_recall_curve).
/// Expected values from running it:
/// <c>PYTHONPATH=/path/to/CB4Rec python3 tests/Cobalt.Core.Tests/Reference/cb4rec_metrics.py &gt; tests/Cobalt.Core.Tests/Reference/cb4rec_metrics.json</c>
/// (numpy 1.24, scikit-learn 1.2.1).
/// </summary>
public sealed class CB4RecMetricParityTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "cb4rec_metrics.json"))).RootElement;

    [Fact]
    public void Per_impression_auc_mrr_and_ndcg_equal_the_authors()
    {
        foreach (var impression in Reference.GetProperty("impressions").EnumerateArray())
        {
            var (scores, labels) = (Scores(impression), Labels(impression));
            BinaryMetrics.Auc(scores, labels).Should().BeApproximately(impression.GetProperty("auc").GetDouble(), 1e-14);
            RankingMetrics.Mrr(scores, labels).Should().BeApproximately(impression.GetProperty("mrr").GetDouble(), 1e-14);
            RankingMetrics.Ndcg(scores, labels, 5).Should().BeApproximately(impression.GetProperty("ndcg5").GetDouble(), 1e-14);
            RankingMetrics.Ndcg(scores, labels, 10).Should().BeApproximately(impression.GetProperty("ndcg10").GetDouble(), 1e-14);
        }
    }

    [Fact]
    public void The_best_f1_threshold_is_the_authors_when_a_positive_scores_highest()
    {
        var reference = Reference.GetProperty("thresholdPositiveOnTop");
        var (threshold, f1, _, _) = BinaryMetrics.BestF1(Scores(reference), Labels(reference));
        threshold.Should().Be(reference.GetProperty("threshold").GetDouble());
        f1.Should().BeApproximately(reference.GetProperty("f1").GetDouble(), 1e-14);
    }

    [Fact]
    public void When_a_negative_scores_highest_the_authors_rule_degenerates_and_ours_does_not()
    {
        // F = 2PR / (P + R) is 0/0 at the thresholds above every positive; np.argmax returns the first NaN, so the authors'
        // rule then picks the highest score itself and 1{score > THRES} never fires. BestF1 counts 0/0 as 0 (the rule's intent).
        var reference = Reference.GetProperty("thresholdNegativeOnTop");
        var scores = Scores(reference);
        reference.GetProperty("f1").ValueKind.Should().Be(JsonValueKind.Null, "the script writes the NaN F as null");
        reference.GetProperty("threshold").GetDouble().Should().Be(scores.Max());
        var (threshold, f1, _, _) = BinaryMetrics.BestF1(scores, Labels(reference));
        threshold.Should().BeLessThan(scores.Max());
        f1.Should().BeGreaterThan(0.3);
    }

    private static double[] Scores(JsonElement e) => e.GetProperty("scores").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static bool[] Labels(JsonElement e) => e.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32() == 1).ToArray();
}
