using System.Numerics.Tensors;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// Limited-memory BFGS (Nocedal 1980; Nocedal and Wright 2006, algorithm 7.4) with a backtracking Armijo line search,
/// for the smooth convex objectives of the ported scikit-learn models (upstream fits them with
/// <c>LogisticRegression(solver='lbfgs')</c>, which stops when max |gradient| &lt;= tol = 1e-4).
/// </summary>
internal static class Lbfgs
{
    private const double RelativeTolerance = 64 * 2.220446049250313e-16;

    /// <summary>An objective: writes the gradient at <c>w</c> into <c>g</c> and returns the value.</summary>
    public delegate double Objective(ReadOnlySpan<double> w, Span<double> g);

    /// <summary>Minimises <paramref name="f"/> from <paramref name="w"/> (updated in place); returns the iterations used.</summary>
    /// <remarks>
    /// Stops at max |g| &lt;= <paramref name="gradientTolerance"/>, at scipy's ftol rule, after
    /// <paramref name="maxIterations"/>, or (with <paramref name="windowTolerance"/> &gt; 0) when the objective fell by less
    /// than that fraction over the last 10 iterations.
    /// <paramref name="diagonal"/>, when given, is an estimate of the Hessian's diagonal (positive): the initial inverse
    /// Hessian is diag(1 / diagonal), which copes with features of very different scales (raw view counts).
    /// </remarks>
    public static int Minimize(Objective f, Span<double> w, double gradientTolerance = 1e-4, int maxIterations = 5000, int memory = 10, double[]? diagonal = null, double windowTolerance = 0)
    {
        const int window = 10;
        var history = new double[window];
        var n = w.Length;
        var g = new double[n];
        var d = new double[n];
        var wNew = new double[n];
        var gNew = new double[n];
        var scratch = new double[n];
        var s = new double[memory][];
        var y = new double[memory][];
        var rho = new double[memory];
        var alpha = new double[memory];
        for (var i = 0; i < memory; i++)
        {
            s[i] = new double[n];
            y[i] = new double[n];
        }
        var fx = f(w, g);
        int stored = 0, head = 0, iteration;
        for (iteration = 0; iteration < maxIterations; iteration++)
        {
            if (Math.Abs(TensorPrimitives.MaxMagnitude<double>(g)) <= gradientTolerance)
            {
                break;
            }
            if (windowTolerance > 0 && iteration >= window && history[iteration % window] - fx <= windowTolerance * Math.Max(1, Math.Abs(fx)))
            {
                break;
            }
            history[iteration % window] = fx;
            // Two-loop recursion: d = -H g.
            g.AsSpan().CopyTo(d);
            for (var k = 0; k < stored; k++)
            {
                var j = (head - 1 - k + memory) % memory;
                alpha[j] = rho[j] * TensorPrimitives.Dot<double>(s[j], d);
                TensorPrimitives.MultiplyAdd(y[j], -alpha[j], d, d);
            }
            if (diagonal is not null)
            {
                TensorPrimitives.Divide(d, diagonal, d);
                if (stored > 0)
                {
                    // gamma = s.y / (y . D^-1 y), the scaled diagonal initial inverse Hessian.
                    var last = (head - 1 + memory) % memory;
                    TensorPrimitives.Divide(y[last], diagonal, scratch);
                    var gamma = TensorPrimitives.Dot<double>(s[last], y[last]) / TensorPrimitives.Dot<double>(y[last], scratch);
                    TensorPrimitives.Multiply(d, gamma, d);
                }
            }
            else if (stored > 0)
            {
                var last = (head - 1 + memory) % memory;
                var gamma = TensorPrimitives.Dot<double>(s[last], y[last]) / TensorPrimitives.Dot<double>(y[last], y[last]);
                TensorPrimitives.Multiply(d, gamma, d);
            }
            else
            {
                TensorPrimitives.Multiply(d, 1.0 / Math.Max(1.0, TensorPrimitives.Norm<double>(g)), d);
            }
            for (var k = stored - 1; k >= 0; k--)
            {
                var j = (head - 1 - k + memory) % memory;
                var beta = rho[j] * TensorPrimitives.Dot<double>(y[j], d);
                TensorPrimitives.MultiplyAdd(s[j], alpha[j] - beta, d, d);
            }
            TensorPrimitives.Negate(d, d);
            var slope = TensorPrimitives.Dot<double>(g, d);
            if (slope >= 0)
            {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                stored = 0;
                if (diagonal is not null)
                {
                    TensorPrimitives.Divide(g, diagonal, d);
                    TensorPrimitives.Negate(d, d);
                }
                else
                {
                    TensorPrimitives.Multiply(g, -1.0 / Math.Max(1.0, TensorPrimitives.Norm<double>(g)), d);
                }
                slope = TensorPrimitives.Dot<double>(g, d);
            }
            var step = 1.0;
            double fNew;
            var accepted = false;
            for (var tries = 0; tries < 60; tries++)
            {
                TensorPrimitives.MultiplyAdd(d, step, w, wNew);
                fNew = f(wNew, gNew);
                if (double.IsFinite(fNew) && fNew <= fx + (1e-4 * step * slope))
                {
                    accepted = true;
                    var slot = s[head];
                    TensorPrimitives.Subtract(wNew, w, slot);
                    TensorPrimitives.Subtract(gNew, g, y[head]);
                    var sy = TensorPrimitives.Dot<double>(slot, y[head]);
                    if (sy > 1e-12)
                    {
                        rho[head] = 1.0 / sy;
                        head = (head + 1) % memory;
                        stored = Math.Min(stored + 1, memory);
                    }
                    wNew.AsSpan().CopyTo(w);
                    gNew.AsSpan().CopyTo(g);
                    var improvement = fx - fNew;
                    var scale = Math.Max(1, Math.Max(Math.Abs(fx), Math.Abs(fNew)));
                    fx = fNew;
                    if (improvement <= RelativeTolerance * scale)
                    {
                        // scipy's L-BFGS-B stopping rule with sklearn's ftol = 64 machine epsilons.
                        return iteration + 1;
                    }
                    break;
                }
                step *= 0.5;
            }
            if (!accepted)
            {
                break;
            }
        }
        return iteration;
    }
}
