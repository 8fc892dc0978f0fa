using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Evaluation.Estimators;
using Xunit.Abstractions;

namespace Cobalt.Evaluation.Tests;

/// <summary>
/// What marginalized and sub-Gaussian IPS promise, on a world whose truth is known: many actions share few embeddings and the
/// reward depends on the action only through its embedding (Saito and Joachims 2022's assumption), so MIPS with the exact
/// p(e | a) is unbiased and its weights, hence its spread, are far smaller than IPS's; SG-IPS trades a little bias for spread.
/// </summary>
public class EmbeddingEstimatorTests(ITestOutputHelper output)
{
    private const int Actions = 40, Categories = 4, Dimension = 2;

    private sealed class World
    {
        private readonly double[] _logging = new double[Actions * Dimension];
        private readonly double[] _evaluation = new double[Actions * Dimension];
        private readonly double[] _reward = new double[Categories * Dimension];

        public World(ulong seed)
        {
            var rng = Seeds.Stream(seed, "world");
            rng.FillGaussian(_logging);
            rng.FillGaussian(_evaluation);
            rng.FillGaussian(_reward);
        }

        public static int Category(int action) => action % Categories;

        public void Policy(ReadOnlySpan<double> x, bool evaluation, Span<double> pi)
        {
            var weights = evaluation ? _evaluation : _logging;
            var scale = evaluation ? 1.5 : 0.5;
            for (var a = 0; a < Actions; a++)
            {
                pi[a] = scale * (weights[a * Dimension] * x[0] + weights[a * Dimension + 1] * x[1]);
            }
            var max = double.NegativeInfinity;
            foreach (var z in pi)
            {
                max = Math.Max(max, z);
            }
            var total = 0.0;
            for (var a = 0; a < Actions; a++)
            {
                pi[a] = Math.Exp(pi[a] - max);
                total += pi[a];
            }
            for (var a = 0; a < Actions; a++)
            {
                pi[a] /= total;
            }
        }

        public double Mean(ReadOnlySpan<double> x, int action)
        {
            var e = Category(action);
            return 1 / (1 + Math.Exp(-(_reward[e * Dimension] * x[0] + _reward[e * Dimension + 1] * x[1])));
        }

        public double Truth(int samples, ulong seed)
        {
            var rng = Seeds.Stream(seed, "truth");
            Span<double> x = stackalloc double[Dimension];
            Span<double> pi = stackalloc double[Actions];
            var sum = 0.0;
            for (var i = 0; i < samples; i++)
            {
                rng.FillGaussian(x);
                Policy(x, true, pi);
                for (var a = 0; a < Actions; a++)
                {
                    sum += pi[a] * Mean(x, a);
                }
            }
            return sum / samples;
        }

        public EstimationInput Log(int n, Rng rng)
        {
            var contexts = new double[n * Dimension];
            var logging = new double[n * Actions];
            var evaluation = new double[n * Actions];
            var actions = new int[n];
            var rewards = new double[n];
            var propensities = new double[n];
            var categories = new int[n];
            for (var t = 0; t < n; t++)
            {
                var x = contexts.AsSpan(t * Dimension, Dimension);
                rng.FillGaussian(x);
                Policy(x, false, logging.AsSpan(t * Actions, Actions));
                Policy(x, true, evaluation.AsSpan(t * Actions, Actions));
                actions[t] = rng.Sample(logging.AsSpan(t * Actions, Actions));
                propensities[t] = logging[t * Actions + actions[t]];
                rewards[t] = rng.NextDouble() < Mean(x, actions[t]) ? 1 : 0;
                categories[t] = Category(actions[t]);
            }
            var log = new BanditLog(Actions, new FeatureMatrix(n, Dimension, contexts), actions, rewards, propensities);
            var pi0 = new ActionDistribution(n, Actions, logging);
            var pi = new ActionDistribution(n, Actions, evaluation);
            var conditional = new double[Actions, Categories, 1];
            for (var a = 0; a < Actions; a++)
            {
                conditional[a, Category(a), 0] = 1;
            }
            return new EstimationInput(log, pi) { Embeddings = ActionEmbeddings.FromConditional(pi0, pi, categories, conditional) };
        }
    }

    [Fact]
    public void Mips_is_unbiased_with_far_less_spread_than_ips_and_sg_ips_spreads_less_than_ips()
    {
        const int logs = 150, rounds = 500;
        var world = new World(41);
        var truth = world.Truth(100_000, 41);
        OffPolicyEstimator[] estimators = [new InversePropensityScoring(), new MarginalizedIps(), new SelfNormalizedMarginalizedIps(), new SubGaussianIps(0.1)];
        var values = estimators.ToDictionary(e => e.Key, _ => new double[logs]);
        for (var l = 0; l < logs; l++)
        {
            var input = world.Log(rounds, Seeds.Stream(41, "log", l));
            foreach (var e in estimators)
            {
                values[e.Key][l] = e.Value(input);
            }
        }
        (double Mean, double Sd) Summary(double[] v)
        {
            var mean = v.Average();
            return (mean, Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)));
        }
        foreach (var (key, v) in values)
        {
            var (mean, sd) = Summary(v);
            output.WriteLine($"{key}: mean {mean:F4} (truth {truth:F4}), sd {sd:F4}");
        }
        var ips = Summary(values["ips"]);
        var mips = Summary(values["mips"]);
        Math.Abs(mips.Mean - truth).Should().BeLessThan(3 * mips.Sd / Math.Sqrt(logs));
        Math.Abs(ips.Mean - truth).Should().BeLessThan(3 * ips.Sd / Math.Sqrt(logs));
        mips.Sd.Should().BeLessThan(0.6 * ips.Sd);
        Summary(values["sg-ips"]).Sd.Should().BeLessThan(ips.Sd);
    }
}
