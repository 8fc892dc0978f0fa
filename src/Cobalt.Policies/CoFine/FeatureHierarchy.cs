using Cobalt.Core.Configuration;

namespace Cobalt.Policies.CoFine;

/// <summary>
/// The prior knowledge a hierarchical linear model brings: an optional reshaping of the feature space,
/// an optional coarse subspace U, and an optional prior mean. Every baseline of the CoFineUCB paper is one
/// choice of these three (Yue, Hong and Guestrin 2012, sections 4 and 6.1).
/// </summary>
/// <remarks>
/// A raw feature vector x (dimension D) is first reshaped, x' = R^T x with R of size D x D' (the identity
/// when none is given). In that space the user's weights are regularised towards U w~ + w_bar, where U is
/// D' x K (K = 0: no subspace) and w_bar is the prior mean (zero when none is given):
/// <list type="bullet">
/// <item>Naive LinUCB: nothing given;</item>
/// <item>Mean-Regularized: w_bar = the mean profile;</item>
/// <item>Reshape: R = U_D = LearnU(W, D);</item>
/// <item>SubspaceUCB: R = U = LearnU(W, K) (LinUCB on x~ = U^T x only);</item>
/// <item>CoFineUCB: U = LearnU(W, K) (and, with reshaping, R = U_D and U learned from the reshaped profiles).</item>
/// </list>
/// </remarks>
public sealed class FeatureHierarchy
{
    private readonly double[] _transform;
    private readonly double[] _subspace;
    private readonly double[] _priorMean;

    private FeatureHierarchy(int inputDimension, int dimension, int rank, double[] transform, double[] subspace, double[] priorMean)
    {
        InputDimension = inputDimension;
        Dimension = dimension;
        Rank = rank;
        _transform = transform;
        _subspace = subspace;
        _priorMean = priorMean;
    }

    /// <summary>D: the dimension of the raw features.</summary>
    public int InputDimension { get; }

    /// <summary>D': the dimension after reshaping (D when there is no reshaping).</summary>
    public int Dimension { get; }

    /// <summary>K: the subspace dimension (0 when there is no subspace).</summary>
    public int Rank { get; }

    /// <summary>Whether raw features are reshaped (R given).</summary>
    public bool HasTransform => _transform.Length > 0;

    /// <summary>Whether there is a prior mean.</summary>
    public bool HasPriorMean => _priorMean.Length > 0;

    /// <summary>R (row-major D x D'), empty for the identity.</summary>
    public ReadOnlySpan<double> Transform => _transform;

    /// <summary>U (row-major D' x K), empty when K = 0.</summary>
    public ReadOnlySpan<double> Subspace => _subspace;

    /// <summary>w_bar (D' entries), empty for zero.</summary>
    public ReadOnlySpan<double> PriorMean => _priorMean;

    /// <summary>
    /// Builds a hierarchy for raw features of dimension <paramref name="inputDimension"/>. Each list may be
    /// empty. <paramref name="transform"/> holds D x D' numbers (row-major), <paramref name="subspace"/>
    /// D' x K numbers (row-major), <paramref name="priorMean"/> D' numbers.
    /// </summary>
    /// <exception cref="OptionsException">A list whose length does not fit the dimensions; the field is named after the option.</exception>
    public static FeatureHierarchy Create(int inputDimension, IReadOnlyList<double>? transform = null, IReadOnlyList<double>? subspace = null, IReadOnlyList<double>? priorMean = null,
        string transformField = "reshape", string subspaceField = "subspace", string priorMeanField = "prior-mean")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputDimension);
        var r = Finite(transform, transformField);
        var u = Finite(subspace, subspaceField);
        var m = Finite(priorMean, priorMeanField);
        var dimension = inputDimension;
        if (r.Length > 0)
        {
            if (r.Length % inputDimension != 0)
            {
                throw new OptionsException(transformField, $"has {r.Length} numbers, which is not a whole number of rows of {inputDimension} (the feature dimension D): give D x D' numbers, row-major.");
            }
            dimension = r.Length / inputDimension;
        }
        var rank = 0;
        if (u.Length > 0)
        {
            if (u.Length % dimension != 0)
            {
                throw new OptionsException(subspaceField, $"has {u.Length} numbers, which is not a whole number of rows of {dimension} (the feature dimension{(r.Length > 0 ? " after reshaping" : string.Empty)}): give D x K numbers, row-major.");
            }
            rank = u.Length / dimension;
        }
        if (m.Length > 0 && m.Length != dimension)
        {
            throw new OptionsException(priorMeanField, $"has {m.Length} numbers; the feature dimension{(r.Length > 0 ? " after reshaping" : string.Empty)} is {dimension}.");
        }
        return new FeatureHierarchy(inputDimension, dimension, rank, r, u, m);
    }

    /// <summary>Writes x' = R^T x (a copy of x without reshaping) into <paramref name="destination"/> (D' entries).</summary>
    public void Reshape(ReadOnlySpan<double> raw, Span<double> destination)
    {
        if (raw.Length != InputDimension)
        {
            throw new ArgumentException($"Candidates have {raw.Length} features; the model was built for {InputDimension}.", nameof(raw));
        }
        if (_transform.Length == 0)
        {
            raw.CopyTo(destination);
            return;
        }
        // x'_j = sum_i R[i, j] x_i: accumulate rows of R scaled by x_i (contiguous axpys).
        var d = Dimension;
        destination[..d].Clear();
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != 0)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_transform.AsSpan(i * d, d), raw[i], destination[..d], destination[..d]);
            }
        }
    }

    /// <summary>Writes U^T v (K entries) for a vector v of dimension D'.</summary>
    public void ProjectTransposed(ReadOnlySpan<double> v, Span<double> destination)
    {
        int d = Dimension, k = Rank;
        destination[..k].Clear();
        for (var i = 0; i < d; i++)
        {
            if (v[i] != 0)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_subspace.AsSpan(i * k, k), v[i], destination[..k], destination[..k]);
            }
        }
    }

    /// <summary>Writes U a (D' entries) for a subspace vector a (K entries).</summary>
    public void Lift(ReadOnlySpan<double> a, Span<double> destination)
    {
        int d = Dimension, k = Rank;
        for (var i = 0; i < d; i++)
        {
            destination[i] = k == 0 ? 0 : System.Numerics.Tensors.TensorPrimitives.Dot(_subspace.AsSpan(i * k, k), a[..k]);
        }
    }

    private static double[] Finite(IReadOnlyList<double>? values, string field)
    {
        if (values is null || values.Count == 0)
        {
            return [];
        }
        var array = values.ToArray();
        for (var i = 0; i < array.Length; i++)
        {
            if (!double.IsFinite(array[i]))
            {
                throw new OptionsException($"{field}[{i}]", $"must be a finite number (got {array[i]}).");
            }
        }
        return array;
    }
}
