using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;

namespace Cobalt.Neural.Layers;

/// <summary>Seeded parameter initialisers.</summary>
public static class Initialise
{
    /// <summary>
    /// Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010), the
    /// Keras default that NRMS uses. For a [fan_in, fan_out] matrix.
    /// </summary>
    public static void GlorotUniform<T>(Parameter<T> parameter, int fanIn, int fanOut, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanIn + fanOut);
        var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        var values = parameter.Value;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateChecked((2 * rng.NextDouble() - 1) * limit);
        }
    }

    /// <summary>N(0, <paramref name="standardDeviation"/>²) for every element.</summary>
    public static void Normal<T>(Parameter<T> parameter, double standardDeviation, Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(standardDeviation >= 0) || !double.IsFinite(standardDeviation))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "The standard deviation must be a finite number of at least 0.");
        }
        var values = parameter.Value;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateChecked(rng.NextGaussian() * standardDeviation);
        }
    }
}
