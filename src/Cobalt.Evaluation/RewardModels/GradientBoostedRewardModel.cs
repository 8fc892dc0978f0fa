using Cobalt.Core.LinearAlgebra;

namespace Cobalt.Evaluation.RewardModels;

/// <summary>
/// Gradient-boosted regression trees for q-hat(x, a, p) on the features of <see cref="RewardFeatures"/> (without the
/// interaction block: trees find interactions themselves). Logistic loss for rewards in [0, 1], squared loss otherwise.
/// Each tree is grown greedily to a fixed depth on quantile-binned features, with Newton leaf values
/// sum(g) / (sum(h) + lambda) and shrinkage (Friedman 2001; Chen and Guestrin 2016's gain for the splits).
/// </summary>
public sealed class GradientBoostedRewardModel(int trees = 100, int depth = 3, double learningRate = 0.1, int minLeaf = 20, int bins = 32, double lambda = 1.0) : IRewardRegressor
{
    private RewardFeatures? _features;
    private readonly List<Node[]> _trees = [];
    private double _base;
    private bool _squared;

    /// <inheritdoc />
    public string Name => "gradient-boosted trees";

    /// <inheritdoc />
    public void Fit(BanditLog log, IReadOnlyList<int> rounds)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(rounds);
        if (rounds.Count == 0)
        {
            throw new ArgumentException("No rounds to fit on.", nameof(rounds));
        }
        _features = new RewardFeatures(log.Contexts.Columns, log.ActionCount, log.PositionCount, interactions: false);
        int n = rounds.Count, f = _features.Dimension;
        var x = new double[n * f];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            _features.Write(log, rounds[i], log.Actions[rounds[i]], x.AsSpan(i * f, f));
            y[i] = log.Rewards[rounds[i]];
        }
        _squared = y.Any(r => r is < 0 or > 1);
        var mean = y.Average();
        _base = _squared ? mean : Math.Log(Math.Clamp(mean, 1e-6, 1 - 1e-6) / (1 - Math.Clamp(mean, 1e-6, 1 - 1e-6)));
        var (thresholds, binned) = Bin(x, n, f);
        var score = Enumerable.Repeat(_base, n).ToArray();
        var g = new double[n];
        var h = new double[n];
        _trees.Clear();
        for (var tree = 0; tree < trees; tree++)
        {
            for (var i = 0; i < n; i++)
            {
                if (_squared)
                {
                    g[i] = y[i] - score[i];
                    h[i] = 1;
                }
                else
                {
                    var p = OnlineLogisticRegression.Sigmoid(score[i]);
                    g[i] = y[i] - p;
                    h[i] = Math.Max(p * (1 - p), 1e-6);
                }
            }
            var nodes = new List<Node>();
            Grow(nodes, Enumerable.Range(0, n).ToArray(), 0, binned, thresholds, g, h, f);
            var built = nodes.ToArray();
            _trees.Add(built);
            for (var i = 0; i < n; i++)
            {
                score[i] += learningRate * Evaluate(built, x.AsSpan(i * f, f));
            }
        }
    }

    /// <inheritdoc />
    public void Predict(BanditLog log, int round, Span<double> predictions)
    {
        var features = _features ?? throw new InvalidOperationException("Fit the reward model before predicting.");
        Span<double> phi = stackalloc double[features.Dimension];
        for (var a = 0; a < log.ActionCount; a++)
        {
            features.Write(log, round, a, phi);
            var score = _base;
            foreach (var tree in _trees)
            {
                score += learningRate * Evaluate(tree, phi);
            }
            predictions[a] = _squared ? score : OnlineLogisticRegression.Sigmoid(score);
        }
    }

    /// <summary>A tree node: a split (feature, threshold; children indices) or a leaf (value).</summary>
    private readonly record struct Node(int Feature, double Threshold, int Left, int Right, double Value)
    {
        public bool IsLeaf => Feature < 0;
    }

    private static double Evaluate(Node[] tree, ReadOnlySpan<double> x)
    {
        var node = 0;
        while (!tree[node].IsLeaf)
        {
            node = x[tree[node].Feature] <= tree[node].Threshold ? tree[node].Left : tree[node].Right;
        }
        return tree[node].Value;
    }

    /// <summary>Grows the subtree for <paramref name="rows"/>; returns its root's index.</summary>
    private int Grow(List<Node> nodes, int[] rows, int level, byte[][] binned, double[][] thresholds, double[] g, double[] h, int f)
    {
        double gSum = 0, hSum = 0;
        foreach (var r in rows)
        {
            gSum += g[r];
            hSum += h[r];
        }
        var index = nodes.Count;
        nodes.Add(new Node(-1, 0, -1, -1, gSum / (hSum + lambda)));
        if (level >= depth || rows.Length < 2 * minLeaf)
        {
            return index;
        }
        var parentScore = gSum * gSum / (hSum + lambda);
        var (bestGain, bestFeature, bestBin) = (1e-12, -1, -1);
        var gHist = new double[bins];
        var hHist = new double[bins];
        var cHist = new int[bins];
        for (var j = 0; j < f; j++)
        {
            var column = binned[j];
            var binCount = thresholds[j].Length + 1;
            Array.Clear(gHist, 0, binCount);
            Array.Clear(hHist, 0, binCount);
            Array.Clear(cHist, 0, binCount);
            foreach (var r in rows)
            {
                gHist[column[r]] += g[r];
                hHist[column[r]] += h[r];
                cHist[column[r]]++;
            }
            double gLeft = 0, hLeft = 0;
            var cLeft = 0;
            for (var b = 0; b < binCount - 1; b++)
            {
                gLeft += gHist[b];
                hLeft += hHist[b];
                cLeft += cHist[b];
                if (cLeft < minLeaf || rows.Length - cLeft < minLeaf)
                {
                    continue;
                }
                double gRight = gSum - gLeft, hRight = hSum - hLeft;
                var gain = gLeft * gLeft / (hLeft + lambda) + gRight * gRight / (hRight + lambda) - parentScore;
                if (gain > bestGain)
                {
                    (bestGain, bestFeature, bestBin) = (gain, j, b);
                }
            }
        }
        if (bestFeature < 0)
        {
            return index;
        }
        var left = rows.Where(r => binned[bestFeature][r] <= bestBin).ToArray();
        var right = rows.Where(r => binned[bestFeature][r] > bestBin).ToArray();
        var leftIndex = Grow(nodes, left, level + 1, binned, thresholds, g, h, f);
        var rightIndex = Grow(nodes, right, level + 1, binned, thresholds, g, h, f);
        nodes[index] = new Node(bestFeature, thresholds[bestFeature][bestBin], leftIndex, rightIndex, 0);
        return index;
    }

    /// <summary>Per feature, up to bins - 1 quantile thresholds, and each row's bin (bin b holds values in (t_{b-1}, t_b]).</summary>
    private (double[][] Thresholds, byte[][] Binned) Bin(double[] x, int n, int f)
    {
        var thresholds = new double[f][];
        var binned = new byte[f][];
        var column = new double[n];
        for (var j = 0; j < f; j++)
        {
            for (var i = 0; i < n; i++)
            {
                column[i] = x[i * f + j];
            }
            var distinct = column.Distinct().Order().ToArray();
            thresholds[j] = distinct.Length <= bins
                ? distinct[..^1]
                : Enumerable.Range(1, bins - 1).Select(q => distinct[q * distinct.Length / bins - 1]).Distinct().ToArray();
            var cuts = thresholds[j];
            binned[j] = new byte[n];
            for (var i = 0; i < n; i++)
            {
                var position = Array.BinarySearch(cuts, column[i]);
                binned[j][i] = (byte)(position >= 0 ? position : ~position);
            }
        }
        return (thresholds, binned);
    }
}
