using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Tests;

/// <summary>
/// Central finite differences against the tape's gradients: for every element θ_i of every parameter,
/// n_i = (f(θ + ε e_i) - f(θ - ε e_i)) / 2ε, compared with the analytic a_i by |a_i - n_i| / max(|a_i|, |n_i|, floor).
/// </summary>
internal static class GradientCheck
{
    /// <summary>The largest element-wise relative error over all parameters, in double precision.</summary>
    public static double MaxRelativeError(ParameterSet<double> parameters, Func<Tape<double>, Node<double>> loss, double epsilon = 1e-5, double floor = 1e-5, Parallelism? parallelism = null)
    {
        var tape = new Tape<double>(parallelism);
        parameters.ZeroGradients();
        tape.Backward(loss(tape));
        var analytic = parameters.All.Select(p => p.Gradient.ToArray()).ToArray();
        parameters.ZeroGradients();
        var worst = 0.0;
        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters.All[k];
            for (var i = 0; i < p.Value.Length; i++)
            {
                var original = p.Value[i];
                p.Value[i] = original + epsilon;
                var plus = Evaluate(tape, loss);
                p.Value[i] = original - epsilon;
                var minus = Evaluate(tape, loss);
                p.Value[i] = original;
                var numeric = (plus - minus) / (2 * epsilon);
                var a = analytic[k][i];
                var error = Math.Abs(a - numeric) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(numeric)), floor);
                if (error > worst)
                {
                    worst = error;
                }
            }
        }
        return worst;
    }

    /// <summary>
    /// The norm-wise relative error ‖a - n‖ / ‖n‖ over all parameters in float32 (with a larger ε, as float32 differences need).
    /// </summary>
    public static double NormRelativeError(ParameterSet<float> parameters, Func<Tape<float>, Node<float>> loss, float epsilon = 1e-2f)
    {
        var tape = new Tape<float>();
        parameters.ZeroGradients();
        tape.Backward(loss(tape));
        var analytic = parameters.All.Select(p => p.Gradient.ToArray()).ToArray();
        parameters.ZeroGradients();
        double difference = 0, norm = 0;
        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters.All[k];
            for (var i = 0; i < p.Value.Length; i++)
            {
                var original = p.Value[i];
                p.Value[i] = original + epsilon;
                var plus = (double)Evaluate(tape, loss);
                p.Value[i] = original - epsilon;
                var minus = (double)Evaluate(tape, loss);
                p.Value[i] = original;
                var numeric = (plus - minus) / (2 * (double)epsilon);
                difference += Math.Pow(analytic[k][i] - numeric, 2);
                norm += numeric * numeric;
            }
        }
        return Math.Sqrt(difference) / Math.Sqrt(norm);
    }

    /// <summary>A scalar that depends on every element of <paramref name="y"/>: Σ w ⊙ y for fixed random weights w.</summary>
    public static Node<T> Project<T>(Tape<T> tape, Node<T> y, ulong seed = 99)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var weights = new T[y.Shape.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = T.CreateChecked(rng.NextGaussian());
        }
        return tape.Sum(tape.Multiply(y, tape.Constant(y.Shape, weights)));
    }

    /// <summary>A parameter of the given shape with N(0, scale²) values.</summary>
    public static Parameter<T> Random<T>(ParameterSet<T> parameters, string name, Shape shape, ulong seed, double scale = 1.0, bool rowSparse = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = parameters.Create(name, shape, rowSparse);
        var rng = new Rng(seed);
        for (var i = 0; i < p.Value.Length; i++)
        {
            p.Value[i] = T.CreateChecked(rng.NextGaussian() * scale);
        }
        return p;
    }

    private static T Evaluate<T>(Tape<T> tape, Func<Tape<T>, Node<T>> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Reset();
        return loss(tape).Data[0];
    }
}
