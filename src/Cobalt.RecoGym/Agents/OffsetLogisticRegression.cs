using System.Numerics.Tensors;
using Cobalt.Core.LinearAlgebra;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// Online-Newton logistic regression with a fixed offset: P(y = 1 | x) = sigmoid(o + theta . x), prior
/// theta ~ N(0, lambda^-1 I). Each observation takes the step H += p(1-p) x x^T, theta += H^-1 x (y - p), so that
/// N(theta, H^-1) is the Laplace approximation of the posterior (Chapelle and Li 2011). H is Core's
/// <see cref="DesignMatrix"/> (Sherman-Morrison updates, periodic Cholesky re-factorisation).
/// </summary>
/// <remarks>
/// The same step as Core's <see cref="OnlineLogisticRegression"/> with the online-Newton solver, which has no
/// offset: with the offset o = logit of the logged click rate, an action never shown starts at the logged rate instead
/// of at sigmoid(0) = 50 %, which would make every unexplored action look twenty times better than any explored one.
/// </remarks>
internal sealed class OffsetLogisticRegression
{
    private readonly double[] _theta;
    private readonly double[] _step;

    public OffsetLogisticRegression(int dimension, double priorPrecision)
    {
        _theta = new double[dimension];
        _step = new double[dimension];
        Hessian = new DesignMatrix(dimension, priorPrecision);
    }

    /// <summary>theta.</summary>
    public ReadOnlySpan<double> Theta => _theta;

    /// <summary>H = lambda I + sum p(1-p) x x^T and its inverse.</summary>
    public DesignMatrix Hessian { get; }

    /// <summary>The offset o.</summary>
    public double Offset { get; set; }

    /// <summary>One online-Newton step on (x, y) with x dense.</summary>
    public void Add(ReadOnlySpan<double> x, double y)
    {
        var p = OnlineLogisticRegression.Sigmoid(Offset + TensorPrimitives.Dot(_theta, x));
        Hessian.AddOuter(x, p * (1 - p));
        Hessian.MultiplyInverse(x, _step);
        TensorPrimitives.MultiplyAdd(_step, y - p, _theta, _theta);
    }
}
