using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Recommenders.Experts;

namespace Cobalt.Recommenders.Tests;

public class ExpertPoolTests
{
    /// <summary>
    /// A planted multi-label problem: x ~ N(0, I_4); item a (a &lt; 4) is positive when x_a &gt; 0.5, item a + 4 when x_a &lt; -0.5.
    /// Items a and a + 4 are predictable only from feature a.
    /// </summary>
    private static MultiLabelData Planted(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var features = new double[count * 4];
        rng.FillGaussian(features);
        var labels = new bool[count * 8];
        for (var i = 0; i < count; i++)
        {
            for (var a = 0; a < 8; a++)
            {
                var x = features[i * 4 + a % 4];
                labels[i * 8 + a] = a < 4 ? x > 0.5 : x < -0.5;
            }
        }
        return new MultiLabelData(4, 8, features, labels);
    }

    private static readonly int[][] OneFeatureEach = [[0], [1], [2], [3]];

    private static MultiLabelData Random(int count, int dimension, int items, ulong seed)
    {
        var rng = new Rng(seed);
        var features = new double[count * dimension];
        rng.FillGaussian(features);
        var labels = Enumerable.Range(0, count * items).Select(_ => rng.NextDouble() < 0.3).ToArray();
        return new MultiLabelData(dimension, items, features, labels);
    }

    [Theory]
    [InlineData(PoolGating.Learned, true)]
    [InlineData(PoolGating.Learned, false)]
    [InlineData(PoolGating.RandomPools, true)]
    public void The_likelihood_gradient_matches_central_finite_differences(PoolGating gating, bool gateUsesContext)
    {
        var data = Random(12, 5, 4, 3);
        var model = new MixtureOfExperts(new MixtureOfExpertsOptions { Experts = 3, FeatureSubset = 2, EmbeddingSize = 3, Gating = gating, GateUsesContext = gateUsesContext, Sigma = 0.7, InitialScale = 0.5 }, 5, 4, 17);
        // Move the gate away from its near-uniform start so every term of the gradient is exercised.
        var rng = new Rng(5);
        foreach (var p in model.Parameters.All)
        {
            for (var i = 0; i < p.Value.Length; i++)
            {
                p.Value[i] += 0.3 * rng.NextGaussian();
            }
        }
        var batch = data.Sample(2, new Rng(9)); // 8 examples, every item twice
        var tape = new Tape<double>();
        model.Parameters.ZeroGradients();
        tape.Backward(model.Loss(tape, data, batch));
        var analytic = model.Parameters.All.Select(p => p.Gradient.ToArray()).ToArray();

        const double Epsilon = 1e-6;
        var worst = 0.0;
        var checkedValues = 0;
        for (var k = 0; k < model.Parameters.Count; k++)
        {
            var p = model.Parameters.All[k];
            for (var i = 0; i < p.Value.Length; i++)
            {
                var original = p.Value[i];
                p.Value[i] = original + Epsilon;
                tape.Reset();
                var plus = model.Loss(tape, data, batch).Data[0];
                p.Value[i] = original - Epsilon;
                tape.Reset();
                var minus = model.Loss(tape, data, batch).Data[0];
                p.Value[i] = original;
                var numeric = (plus - minus) / (2 * Epsilon);
                var error = Math.Abs(analytic[k][i] - numeric) / Math.Max(Math.Max(Math.Abs(analytic[k][i]), Math.Abs(numeric)), 1e-6);
                worst = Math.Max(worst, error);
                checkedValues++;
            }
        }
        checkedValues.Should().Be((int)model.Parameters.TotalElements);
        worst.Should().BeLessThan(1e-5);
        analytic.SelectMany(g => g).Should().Contain(g => Math.Abs(g) > 1e-3);
    }

    [Theory]
    [InlineData(PoolGating.Learned)]
    [InlineData(PoolGating.RandomPools)]
    public void The_loss_is_equation_8_and_scores_are_the_mixture_mean(PoolGating gating)
    {
        var data = Random(10, 5, 4, 4);
        var model = new MixtureOfExperts(new MixtureOfExpertsOptions { Experts = 3, FeatureSubset = 3, EmbeddingSize = 2, Gating = gating, Sigma = 0.4, InitialScale = 0.5 }, 5, 4, 2);
        var batch = data.Sample(3, new Rng(1));
        var tape = new Tape<double>();
        var loss = model.Loss(tape, data, batch).Data[0];

        var p = new double[3];
        var r = new double[3];
        var expected = 0.0;
        foreach (var ex in batch)
        {
            model.GateWeights(data.Context(ex.Context), ex.Item, p);
            model.ExpertPredictions(data.Context(ex.Context), ex.Item, r);
            expected -= Math.Log(Enumerable.Range(0, 3).Sum(n => p[n] * Math.Exp(-(ex.Reward - r[n]) * (ex.Reward - r[n]) / (2 * 0.4 * 0.4))));
            p.Sum().Should().BeApproximately(1, 1e-12);
        }
        loss.Should().BeApproximately(expected / batch.Length, 1e-9);

        var scores = new double[4];
        model.Scores(data.Context(0), scores);
        for (var a = 0; a < 4; a++)
        {
            model.GateWeights(data.Context(0), a, p);
            model.ExpertPredictions(data.Context(0), a, r);
            scores[a].Should().BeApproximately(p.Zip(r, (x, y) => x * y).Sum(), 1e-12);
        }
    }

    [Fact]
    public void A_learned_gate_routes_each_item_to_the_expert_that_sees_its_feature_and_beats_random_pools()
    {
        var train = Planted(600, 1);
        var test = Planted(400, 2);
        var examples = train.Sample(150, new Rng(3));
        var options = new MixtureOfExpertsOptions { Experts = 4, FeatureSubset = 1, EmbeddingSize = 4, Steps = 800, BatchSize = 64 };
        var moe = new MixtureOfExperts(options, 4, 8, 7, OneFeatureEach);
        var random = new MixtureOfExperts(options with { Gating = PoolGating.RandomPools }, 4, 8, 7, OneFeatureEach);

        var trace = moe.Train(train, examples);
        random.Train(train, examples);

        trace[^1].Should().BeLessThan(trace[0]);
        var pools = moe.DistilPools(train);
        Enumerable.Range(0, 8).Count(a => pools[a] == a % 4).Should().BeGreaterThanOrEqualTo(7);
        var learned = moe.Evaluate(test, 3);
        var baseline = random.Evaluate(test, 3);
        learned.Precision.Should().BeGreaterThan(baseline.Precision + 0.05);
        learned.Recall.Should().BeGreaterThan(baseline.Recall);
        random.DistilPools(train).Should().Equal(random.RandomPools);
    }

    [Fact]
    public void Training_is_fixed_by_the_seed()
    {
        var data = Random(50, 5, 4, 8);
        var examples = data.Sample(20, new Rng(2));
        var options = new MixtureOfExpertsOptions { Experts = 2, FeatureSubset = 2, EmbeddingSize = 2, Steps = 30, BatchSize = 16 };
        MixtureOfExperts Trained(ulong seed)
        {
            var model = new MixtureOfExperts(options, 5, 4, seed);
            model.Train(data, examples);
            return model;
        }
        var a = Trained(4);
        var b = Trained(4);
        var c = Trained(5);

        a.Parameters.All.Zip(b.Parameters.All).Should().OnlyContain(p => p.First.Value.SequenceEqual(p.Second.Value));
        a.Parameters.All[0].Value.Should().NotEqual(c.Parameters.All[0].Value);
        a.Sigma.Should().BeApproximately(Math.Sqrt(examples.Average(e => e.Reward) * (1 - examples.Average(e => e.Reward))), 1e-9);
    }

    [Fact]
    public void Precision_and_recall_at_k_count_positives_in_the_top_k()
    {
        double[] scores = [0.9, 0.1, 0.5, 0.7];
        bool[] labels = [false, true, true, false];
        RetrievalMetrics.AtK(scores, labels, 2).Should().Be((0.0, 0.0));
        var (p, r) = RetrievalMetrics.AtK(scores, labels, 3);
        p.Should().BeApproximately(1.0 / 3, 1e-12);
        r.Should().Be(0.5);
        RetrievalMetrics.AtK(scores, [false, false, false, false], 2).Should().Be((0.0, 0.0));
        RetrievalMetrics.AtK([1, 1], [false, true], 1).Should().Be((0.0, 0.0)); // ties go to the lower index
        var bad = () => RetrievalMetrics.AtK([1.0], [true, false], 1);
        bad.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Training_sets_hold_c_examples_per_item_with_the_items_labels()
    {
        var data = Planted(30, 4);
        var examples = data.Sample(5, new Rng(1));

        examples.Should().HaveCount(40);
        examples.GroupBy(e => e.Item).Should().OnlyContain(g => g.Count() == 5);
        examples.Should().OnlyContain(e => e.Reward == (data.IsPositive(e.Context, e.Item) ? 1 : 0));
        data.Subset([3, 1]).Context(1).ToArray().Should().Equal(data.Context(1).ToArray());
    }

    [Fact]
    public void Bad_options_and_data_that_do_not_fit_are_refused()
    {
        using var json = JsonDocument.Parse("""{"batch-size": 0}""");
        var bind = () => OptionsBinder.Bind<MixtureOfExpertsOptions>(json.RootElement, "moe");
        bind.Should().Throw<OptionsException>().WithMessage("moe.batch-size*");
        var wide = () => new MixtureOfExperts(new MixtureOfExpertsOptions { FeatureSubset = 9 }, 4, 8, 1);
        wide.Should().Throw<OptionsException>().WithMessage("feature-subset*");
        var model = new MixtureOfExperts(new MixtureOfExpertsOptions { FeatureSubset = 2 }, 4, 8, 1);
        var other = () => model.Evaluate(Random(5, 3, 8, 1));
        other.Should().Throw<ArgumentException>().WithMessage("*3 features*");
    }
}
