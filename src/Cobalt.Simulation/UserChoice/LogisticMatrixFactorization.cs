using System.ComponentModel;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.UserChoice;

/// <summary>Options of <see cref="LogisticMatrixFactorization"/>.</summary>
public sealed record MatrixFactorizationOptions : IValidatable
{
    /// <summary>Latent dimension k.</summary>
    [Description("Latent dimension k of the user and item vectors.")]
    public int Dimension { get; init; } = 16;

    /// <summary>Passes over the data.</summary>
    [Description("Passes of stochastic gradient descent over the samples.")]
    public int Epochs { get; init; } = 25;

    /// <summary>SGD step size.</summary>
    [Description("Step size of stochastic gradient descent.")]
    public double LearningRate { get; init; } = 0.05;

    /// <summary>L2 penalty.</summary>
    [Description("L2 penalty on vectors and biases, per sample.")]
    public double L2 { get; init; } = 0.02;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Dimension, 1, nameof(Dimension));
        Require.AtLeast(Epochs, 1, nameof(Epochs));
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.NonNegative(L2, nameof(L2));
    }
}

/// <summary>
/// Logistic matrix factorisation: P(y = 1 | u, i) = sigmoid(p_u^T q_i + b_i + b), fitted by stochastic
/// gradient descent with L2 on labelled user-item pairs. Its vectors are fixed user and item features
/// learned from the logs, which the user-choice simulator's logistic regression then combines.
/// </summary>
/// <remarks>Johnson (2014), "Logistic Matrix Factorization for Implicit Feedback Data"; here on explicit positive/negative labels.</remarks>
public sealed class LogisticMatrixFactorization
{
    private LogisticMatrixFactorization(int k, double[] users, double[] items, double[] itemBias, double bias)
    {
        Dimension = k;
        UserVectors = users;
        ItemVectors = items;
        ItemBias = itemBias;
        GlobalBias = bias;
    }

    /// <summary>Latent dimension k.</summary>
    public int Dimension { get; }

    /// <summary>User vectors p_u, row-major users x k (zero for users without samples).</summary>
    public double[] UserVectors { get; }

    /// <summary>Item vectors q_i, row-major items x k (zero for items without samples).</summary>
    public double[] ItemVectors { get; }

    /// <summary>Item biases b_i.</summary>
    public double[] ItemBias { get; }

    /// <summary>Global bias b.</summary>
    public double GlobalBias { get; }

    /// <summary>P(y = 1 | u, i).</summary>
    public double Predict(int user, int item) => OnlineLogisticRegression.Sigmoid(
        TensorPrimitives.Dot(UserVectors.AsSpan(user * Dimension, Dimension), ItemVectors.AsSpan(item * Dimension, Dimension)) + ItemBias[item] + GlobalBias);

    /// <summary>Fits the model on (user, item, label) samples; the sample order of each epoch is shuffled with <paramref name="rng"/>.</summary>
    public static LogisticMatrixFactorization Fit(int userCount, int itemCount, ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<bool> labels, MatrixFactorizationOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        options.Validate();
        if (users.Length != items.Length || users.Length != labels.Length)
        {
            throw new ArgumentException("Users, items and labels must have one entry per sample.", nameof(labels));
        }
        var k = options.Dimension;
        var p = new double[userCount * k];
        var q = new double[itemCount * k];
        rng.FillGaussian(p);
        rng.FillGaussian(q);
        TensorPrimitives.Multiply(p, 0.1, p);
        TensorPrimitives.Multiply(q, 0.1, q);
        var itemBias = new double[itemCount];
        var seen = new bool[itemCount];
        var seenUsers = new bool[userCount];
        var positives = 0;
        for (var s = 0; s < labels.Length; s++)
        {
            positives += labels[s] ? 1 : 0;
            seen[items[s]] = true;
            seenUsers[users[s]] = true;
        }
        var rate = Math.Clamp((positives + 1.0) / (labels.Length + 2.0), 1e-6, 1 - 1e-6);
        var bias = Math.Log(rate / (1 - rate));
        var order = new int[labels.Length];
        for (var s = 0; s < order.Length; s++)
        {
            order[s] = s;
        }
        var step = new double[k];
        double lr = options.LearningRate, l2 = options.L2;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            rng.Shuffle(order.AsSpan());
            foreach (var s in order)
            {
                var pu = p.AsSpan(users[s] * k, k);
                var qi = q.AsSpan(items[s] * k, k);
                var error = (labels[s] ? 1.0 : 0.0) - OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(pu, qi) + itemBias[items[s]] + bias);
                // p_u += lr (e q_i - l2 p_u);  q_i += lr (e p_u - l2 q_i) with the old p_u.
                pu.CopyTo(step);
                TensorPrimitives.Multiply(pu, 1 - lr * l2, pu);
                TensorPrimitives.MultiplyAdd(qi, lr * error, pu, pu);
                TensorPrimitives.Multiply(qi, 1 - lr * l2, qi);
                TensorPrimitives.MultiplyAdd(step, lr * error, qi, qi);
                itemBias[items[s]] += lr * (error - l2 * itemBias[items[s]]);
                bias += lr * 0.1 * error;
            }
        }
        // Users and items never seen keep no random noise: their features are zero.
        for (var u = 0; u < userCount; u++)
        {
            if (!seenUsers[u])
            {
                p.AsSpan(u * k, k).Clear();
            }
        }
        for (var i = 0; i < itemCount; i++)
        {
            if (!seen[i])
            {
                q.AsSpan(i * k, k).Clear();
            }
        }
        return new LogisticMatrixFactorization(k, p, q, itemBias, bias);
    }
}
