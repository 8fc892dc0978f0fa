using Cobalt.Core.Randomness;
using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;

namespace Cobalt.RecoGym.Tests;

/// <summary>
/// PyTorchMLR (three objectives) and NN IPS on Cobalt.Neural's tape: the tape's gradient equals the hand-written one the
/// agents used before (kept below, verbatim in substance) and central finite differences, on a small batch.
/// </summary>
public class NeuralAgentTests
{
    private const int P = 6;

    [Theory]
    [InlineData(MlrObjective.Ips)]
    [InlineData(MlrObjective.LogIps)]
    [InlineData(MlrObjective.Likelihood)]
    public void Mlr_tape_gradient_equals_the_hand_coded_one_and_finite_differences(MlrObjective objective)
    {
        var rows = SmallBatch(40, seed: 3);
        var rng = new NumpyRandomState(11);
        var theta = Enumerable.Range(0, (P * P) + 1).Select(_ => rng.Normal(0, 0.5)).ToArray();
        var tape = new MlrTapeObjective(objective, rows, P, likelihoodIps: true);
        var g = new double[theta.Length];
        var loss = tape.Evaluate(theta, g);

        var expected = new double[theta.Length];
        var expectedLoss = HandCoded(objective, rows, theta, expected);
        Assert.Equal(expectedLoss, loss, 12);
        for (var i = 0; i < theta.Length; i++)
        {
            Assert.Equal(expected[i], g[i], 12);
        }
        Assert.Contains(g, v => Math.Abs(v) > 1e-3); // not a vacuous comparison

        var scratch = new double[theta.Length];
        for (var i = 0; i < theta.Length; i++)
        {
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            var fd = (tape.Evaluate(plus, scratch) - tape.Evaluate(minus, scratch)) / 2e-6;
            Assert.True(Math.Abs(fd - g[i]) < 1e-6 * Math.Max(1, Math.Abs(g[i])), $"theta[{i}]: tape {g[i]}, finite differences {fd}");
        }
    }

    [Fact]
    public void Nn_ips_tape_gradient_equals_finite_differences_of_upstreams_loss()
    {
        var rows = SmallBatch(40, seed: 5);
        // M = 2 so that some ratios pi / ps lie above the threshold and carry a gradient.
        var agent = new NnIpsAgent(P, new NnIpsOptions { Hidden = 4, M = 2, Lambda = 0.5 }, 9);
        var loss = new NnIpsAgent.NnIpsLoss(agent, rows);
        Assert.True(loss.Gradient());
        var parameters = agent.Parameters;
        var gradients = parameters.Select(p => (double[])p.Gradient.Clone()).ToArray();
        Assert.Contains(gradients.SelectMany(g => g), v => Math.Abs(v) > 1e-4);
        for (var q = 0; q < parameters.Count; q++)
        {
            var value = parameters[q].Value;
            for (var i = 0; i < value.Length; i++)
            {
                var keep = value[i];
                value[i] = keep + 1e-6;
                loss.Gradient();
                var up = loss.Value;
                value[i] = keep - 1e-6;
                loss.Gradient();
                var down = loss.Value;
                value[i] = keep;
                var fd = (up - down) / 2e-6;
                Assert.True(Math.Abs(fd - gradients[q][i]) < 1e-6 * Math.Max(1, Math.Abs(fd)), $"{parameters[q].Name}[{i}]: tape {gradients[q][i]}, finite differences {fd}");
            }
        }
    }

    /// <summary>Rows with 0 to 3 distinct viewed products (counts 1..3), random actions, propensities in [0.05, 0.5], ~40 % clicks.</summary>
    private static BanditRows SmallBatch(int n, uint seed)
    {
        var rng = new NumpyRandomState(seed);
        var rows = new BanditRows();
        for (var i = 0; i < n; i++)
        {
            var viewed = Enumerable.Range(0, P).Where(_ => rng.RandomSample() < 0.4).ToArray();
            foreach (var j in viewed)
            {
                rows.Index.Add(j);
                rows.Value.Add(1 + rng.Choice(3));
            }
            rows.Start.Add(rows.Index.Count);
            rows.Action.Add(rng.Choice(P));
            rows.Click.Add(rng.RandomSample() < 0.4);
            rows.Propensity.Add(0.05 + (0.45 * rng.RandomSample()));
        }
        return rows;
    }

    /// <summary>The hand-written objectives and gradients PyTorchMlrAgent used before the tape (commit 612cab2), for comparison.</summary>
    private static double HandCoded(MlrObjective objective, BanditRows rows, double[] w, double[] g)
    {
        var start = rows.Start;
        var index = rows.Index;
        var value = rows.Value;
        Array.Clear(g);
        var loss = 0.0;
        if (objective == MlrObjective.Likelihood)
        {
            var n = rows.Count;
            for (var i = 0; i < n; i++)
            {
                var weight = 1.0 / rows.Propensity[i];
                var row = rows.Action[i] * P;
                var s = w[^1];
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    s += w[row + index[k]] * value[k];
                }
                var y = rows.Click[i] ? 1.0 : 0.0;
                loss += weight * -((y * Math.Max(LogSigmoid(s), -100)) + ((1 - y) * Math.Max(LogSigmoid(-s), -100)));
                var r = weight * (LogregPolyAgent.Sigmoid(s) - y) / n;
                g[^1] += r;
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    g[row + index[k]] += r * value[k];
                }
            }
            return loss / n;
        }
        var clicked = Enumerable.Range(0, rows.Count).Where(i => rows.Click[i]).ToArray();
        var z = new double[P];
        var log = objective == MlrObjective.LogIps;
        foreach (var i in clicked)
        {
            var max = double.NegativeInfinity;
            for (var c = 0; c < P; c++)
            {
                var s = 0.0;
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    s += w[(c * P) + index[k]] * value[k];
                }
                z[c] = s;
                max = Math.Max(max, s);
            }
            var sum = 0.0;
            for (var c = 0; c < P; c++)
            {
                z[c] = Math.Exp(z[c] - max);
                sum += z[c];
            }
            var a = rows.Action[i];
            var pa = z[a] / sum;
            var weight = 1.0 / rows.Propensity[i] / clicked.Length;
            var scale = log ? weight : weight * pa;
            loss -= log ? weight * Math.Log(Math.Max(pa, 1e-10)) : weight * pa;
            for (var c = 0; c < P; c++)
            {
                var r = -scale * ((c == a ? 1.0 : 0.0) - (z[c] / sum));
                for (var k = start[i]; k < start[i + 1]; k++)
                {
                    g[(c * P) + index[k]] += r * value[k];
                }
            }
        }
        return loss;
    }

    private static double LogSigmoid(double s) => s >= 0 ? -double.LogP1(Math.Exp(-s)) : s - double.LogP1(Math.Exp(s));
}
