using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;

namespace Cobalt.Policies.Models;

/// <summary>
/// The hybrid linear model of LinUCB (Li et al. 2010, Algorithm 2): reward = z^T beta + x^T theta_a,
/// with beta shared by all actions (features z) and theta_a per action (features x).
/// </summary>
/// <remarks>
/// beta = A0^-1 b0, theta_a = A_a^-1 (b_a - B_a beta). The width is sqrt(s) with
/// s = z^T A0^-1 z - 2 z^T A0^-1 B_a^T A_a^-1 x + x^T A_a^-1 x + x^T A_a^-1 B_a A0^-1 B_a^T A_a^-1 x
///   = (z - w)^T A0^-1 (z - w) + x^T A_a^-1 x,  w = B_a^T A_a^-1 x.
/// A0 changes by a matrix of rank up to d per update, so its inverse is re-factorised (O(k^3)).
/// </remarks>
public sealed class HybridLinearModel : IRewardModel
{
    private readonly FeatureReader _shared;
    private readonly FeatureReader _arm;
    private readonly double _ridge;
    private readonly int _refactorEvery;
    private readonly DesignMatrix _a0;
    private readonly double[] _b0;
    private readonly double[] _beta;
    private readonly double[] _v, _w, _theta, _residual, _delta, _m, _c;
    private Dictionary<int, Arm> _arms = [];

    /// <summary>Creates the model with shared features <paramref name="sharedMap"/> and per-action features <paramref name="armMap"/>.</summary>
    public HybridLinearModel(FeatureMap sharedMap, FeatureMap armMap, int userDimension, int itemDimension, double ridge = 1.0, int refactorEvery = 1000)
    {
        _shared = new FeatureReader(sharedMap, userDimension, itemDimension);
        _arm = new FeatureReader(armMap, userDimension, itemDimension);
        _ridge = ridge;
        _refactorEvery = refactorEvery;
        int k = _shared.Dimension, d = _arm.Dimension;
        _a0 = new DesignMatrix(k, ridge, refactorEvery);
        _b0 = new double[k];
        _beta = new double[k];
        _v = new double[d];
        _w = new double[k];
        _theta = new double[d];
        _residual = new double[d];
        _delta = new double[k * k];
        _m = new double[k];
        _c = new double[d * k];
    }

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ids = context.Candidates.Ids;
        int k = _shared.Dimension;
        for (var i = 0; i < ids.Length; i++)
        {
            var z = _shared.Read(context, i);
            var x = _arm.Read(context, i);
            var sharedMean = TensorPrimitives.Dot(z, _beta);
            if (!_arms.TryGetValue(ids[i], out var arm))
            {
                mean[i] = sharedMean;
                uncertainty[i] = Math.Sqrt(_a0.QuadraticForm(z) + TensorPrimitives.Dot(x, x) / _ridge);
                continue;
            }
            // theta_a = A_a^-1 (b_a - B_a beta)
            for (var r = 0; r < _residual.Length; r++)
            {
                _residual[r] = arm.Response[r] - TensorPrimitives.Dot(arm.SharedCross.AsSpan(r * k, k), _beta);
            }
            arm.Design.MultiplyInverse(_residual, _theta);
            arm.Design.MultiplyInverse(x, _v);
            Transposed(arm.SharedCross, _v, _w);
            TensorPrimitives.Subtract(z, _w, _w);
            mean[i] = sharedMean + TensorPrimitives.Dot(x, _theta);
            uncertainty[i] = Math.Sqrt(_a0.QuadraticForm(_w) + Math.Max(TensorPrimitives.Dot(x, _v), 0));
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        foreach (var f in feedback)
        {
            var z = _shared.Read(f.Context, f.CandidateIndex);
            var x = _arm.Read(f.Context, f.CandidateIndex);
            if (!_arms.TryGetValue(f.ActionId, out var arm))
            {
                arm = NewArm();
                _arms[f.ActionId] = arm;
            }
            // delta = B^T A^-1 B (before) - B^T A^-1 B (after) + z z^T; b0 += B^T A^-1 b (before) - (after) + r z.
            Array.Clear(_delta);
            Accumulate(arm, +1);
            arm.Design.AddOuter(x);
            int k = _shared.Dimension, d = _arm.Dimension;
            for (var r = 0; r < d; r++)
            {
                TensorPrimitives.MultiplyAdd(z, x[r], arm.SharedCross.AsSpan(r * k, k), arm.SharedCross.AsSpan(r * k, k));
            }
            TensorPrimitives.MultiplyAdd(x, f.Reward, arm.Response, arm.Response);
            Accumulate(arm, -1);
            for (var j = 0; j < k; j++)
            {
                TensorPrimitives.MultiplyAdd(z, z[j], _delta.AsSpan(j * k, k), _delta.AsSpan(j * k, k));
            }
            TensorPrimitives.MultiplyAdd(z, f.Reward, _b0, _b0);
            _a0.Add(_delta);
            _a0.MultiplyInverse(_b0, _beta);
        }
    }

    /// <summary>delta += sign * B^T A^-1 B and b0 += sign * B^T A^-1 b for <paramref name="arm"/>.</summary>
    private void Accumulate(Arm arm, int sign)
    {
        int k = _shared.Dimension, d = _arm.Dimension;
        var inverse = arm.Design.Inverse;
        // C = A^-1 B (d x k), row by row.
        Array.Clear(_c);
        for (var r = 0; r < d; r++)
        {
            var cRow = _c.AsSpan(r * k, k);
            for (var l = 0; l < d; l++)
            {
                TensorPrimitives.MultiplyAdd(arm.SharedCross.AsSpan(l * k, k), inverse[r * d + l], cRow, cRow);
            }
        }
        // B^T C (k x k) and C^T b (k).
        for (var r = 0; r < d; r++)
        {
            var cRow = _c.AsSpan(r * k, k);
            for (var j = 0; j < k; j++)
            {
                var coefficient = sign * arm.SharedCross[r * k + j];
                if (coefficient != 0)
                {
                    TensorPrimitives.MultiplyAdd(cRow, coefficient, _delta.AsSpan(j * k, k), _delta.AsSpan(j * k, k));
                }
            }
            TensorPrimitives.MultiplyAdd(cRow, sign * arm.Response[r], _b0, _b0);
        }
    }

    /// <summary>result = B^T v for B (d x k) row-major.</summary>
    private void Transposed(double[] cross, ReadOnlySpan<double> v, Span<double> result)
    {
        int k = _shared.Dimension;
        result.Clear();
        for (var r = 0; r < v.Length; r++)
        {
            TensorPrimitives.MultiplyAdd(cross.AsSpan(r * k, k), v[r], result, result);
        }
    }

    private Arm NewArm() => new(new DesignMatrix(_arm.Dimension, _ridge, _refactorEvery), new double[_arm.Dimension * _shared.Dimension], new double[_arm.Dimension]);

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("hybrid-linear");
        _a0.WriteState(writer);
        writer.Write(_b0);
        writer.Write(_beta);
        writer.Write(_arms);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("hybrid-linear");
        _a0.ReadState(reader);
        reader.ReadInto(_b0, "hybrid b0");
        reader.ReadInto(_beta, "hybrid beta");
        _arms = reader.ReadMap(_ => NewArm(), "hybrid arms");
    }

    /// <summary>Per-action state: A_a, B_a = sum x z^T (d x k, <c>SharedCross</c>) and b_a = sum r x (<c>Response</c>).</summary>
    private sealed record Arm(DesignMatrix Design, double[] SharedCross, double[] Response) : IStateful
    {
        public void WriteState(StateWriter writer)
        {
            Design.WriteState(writer);
            writer.Write(SharedCross);
            writer.Write(Response);
        }

        public void ReadState(StateReader reader)
        {
            Design.ReadState(reader);
            reader.ReadInto(SharedCross, "hybrid B_a");
            reader.ReadInto(Response, "hybrid b_a");
        }
    }
}
