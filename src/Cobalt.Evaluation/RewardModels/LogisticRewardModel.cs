using System.Numerics.Tensors;
using Cobalt.Core.LinearAlgebra;

namespace Cobalt.Evaluation.RewardModels;

/// <summary>
/// q-hat(x, a, p) = sigmoid(theta^T phi(x, a, p)), the MAP logistic regression (Newton) on the logged rewards in [0, 1];
/// for rewards outside [0, 1] it falls back to ridge regression q-hat = theta^T phi.
/// </summary>
public sealed class LogisticRewardModel(double ridge = 1.0) : IRewardRegressor
{
    private RewardFeatures? _features;
    private double[] _theta = [];
    private bool _linear;

    /// <inheritdoc />
    public string Name => "logistic regression";

    /// <summary>Optional weight of every round of the log the model is fitted on (indexed by round; see <see cref="RewardFitting.SampleWeights"/>); null weighs every round 1.</summary>
    public IReadOnlyList<double>? SampleWeights { get; init; }

    /// <inheritdoc />
    public void Fit(BanditLog log, IReadOnlyList<int> rounds)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(rounds);
        _features = RewardFeatures.For(log);
        var rows = new Rows(log, _features, [.. rounds]);
        var y = rounds.Select(t => log.Rewards[t]).ToArray();
        _linear = y.Any(r => r is < 0 or > 1);
        var weights = SampleWeights is null ? Array.Empty<double>() : rounds.Select(t => SampleWeights[t]).ToArray();
        if (_linear)
        {
            var d = _features.Dimension;
            var x = new double[rounds.Count * d];
            for (var i = 0; i < rounds.Count; i++)
            {
                rows.Write(i, x.AsSpan(i * d, d));
                if (weights.Length > 0)
                {
                    // Weighted least squares: scale row and target by sqrt(weight).
                    var root = Math.Sqrt(weights[i]);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(x.AsSpan(i * d, d), root, x.AsSpan(i * d, d));
                    y[i] *= root;
                }
            }
            _theta = RidgeRegression.Solve(x, y, d, ridge);
        }
        else
        {
            _theta = OnlineLogisticRegression.Fit(rows, y, weights, _features.Dimension, ridge, maxIterations: 30, tolerance: 1e-8);
        }
    }

    /// <inheritdoc />
    public void Predict(BanditLog log, int round, Span<double> predictions)
    {
        var features = _features ?? throw new InvalidOperationException("Fit the reward model before predicting.");
        Span<double> phi = features.Dimension <= 2048 ? stackalloc double[features.Dimension] : new double[features.Dimension];
        for (var a = 0; a < log.ActionCount; a++)
        {
            features.Write(log, round, a, phi);
            var z = TensorPrimitives.Dot(_theta, phi);
            predictions[a] = _linear ? z : OnlineLogisticRegression.Sigmoid(z);
        }
    }

    private readonly struct Rows(BanditLog log, RewardFeatures features, int[] rounds) : IFeatureRows
    {
        public void Write(int row, Span<double> destination) => features.Write(log, rounds[row], log.Actions[rounds[row]], destination);
    }
}
