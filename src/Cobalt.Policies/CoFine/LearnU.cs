namespace Cobalt.Policies.CoFine;

/// <summary>
/// The result of <see cref="LearnU.Learn"/>: the projection U = U_0 S^{1/2} of a feature hierarchy,
/// with the pieces it was made of.
/// </summary>
/// <param name="Dimension">D, the full feature dimension.</param>
/// <param name="Rank">K, the subspace dimension.</param>
/// <param name="Basis">U_0: the top-K left singular vectors of W as the columns of a row-major D x K matrix.</param>
/// <param name="Shape">S: the K x K matrix (W~_0 W~_0^T)^{1/2} scaled to trace(S) = K (row-major).</param>
/// <param name="Projection">U = U_0 S^{1/2} (row-major D x K): what CoFineUCB uses.</param>
/// <param name="SingularValues">The top-K singular values of W, largest first.</param>
public sealed record LearnedSubspace(int Dimension, int Rank, double[] Basis, double[] Shape, double[] Projection, double[] SingularValues)
{
    /// <summary>
    /// The coordinates of a profile w in the space U defines: the minimum-norm w' with U w' = P w, where P
    /// is the projection onto span(U_0); w' = S^{-1/2} U_0^T w, with the pseudo-inverse where S is singular.
    /// This maps profiles into a reshaped space (the paper's W' for CoFineUCB with reshaping).
    /// </summary>
    public double[] Coordinates(ReadOnlySpan<double> profile)
    {
        if (profile.Length != Dimension)
        {
            throw new ArgumentException($"A profile of dimension {Dimension} was expected, got {profile.Length}.", nameof(profile));
        }
        // S is symmetric PSD; S^{-1/2} by its eigendecomposition (pseudo-inverse below a relative tolerance).
        var values = new double[Rank];
        var vectors = new double[Rank * Rank];
        SymmetricEigen.Decompose(Shape, Rank, values, vectors);
        var tolerance = 1e-12 * Math.Max(values[0], 0);
        var projected = new double[Rank];
        for (var k = 0; k < Rank; k++)
        {
            var sum = 0.0;
            for (var i = 0; i < Dimension; i++)
            {
                sum += Basis[i * Rank + k] * profile[i];
            }
            projected[k] = sum;
        }
        var result = new double[Rank];
        for (var e = 0; e < Rank; e++)
        {
            if (!(values[e] > tolerance))
            {
                continue;
            }
            var dot = 0.0;
            for (var k = 0; k < Rank; k++)
            {
                dot += vectors[k * Rank + e] * projected[k];
            }
            var scaled = dot / Math.Sqrt(values[e]);
            for (var k = 0; k < Rank; k++)
            {
                result[k] += vectors[k * Rank + e] * scaled;
            }
        }
        return result;
    }
}

/// <summary>
/// LearnU (Yue, Hong and Guestrin 2012, Algorithm 2): builds the subspace U of a coarse-to-fine feature
/// hierarchy from the profiles of N earlier users.
/// </summary>
/// <remarks>
/// With W the D x N matrix of profiles (one column per user):
/// 1. U_0 = the top-K left singular vectors of W (here: the top-K eigenvectors of W W^T);
/// 2. W~_0 = U_0^T W;
/// 3. S = (W~_0 W~_0^T)^{1/2}, scaled so that trace(S) = K;
/// 4. U = U_0 S^{1/2}.
/// U minimises a smooth form of CoFineUCB's regret bound over users drawn like W (the multi-task
/// structure-learning solution of Argyriou et al. 2007 restricted to span(U_0)); with K = D it is the
/// "Reshape" transform U_D. Then U^T U = S, so ||U||_F^2 = trace(S) = K.
/// </remarks>
public static class LearnU
{
    /// <summary>
    /// LearnU(W, K) for the <paramref name="count"/> profiles in <paramref name="profiles"/>, one per row
    /// (row-major count x <paramref name="dimension"/>: row n is column n of W).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not agree, K is outside [1, D], or every profile is zero.</exception>
    public static LearnedSubspace Learn(ReadOnlySpan<double> profiles, int count, int dimension, int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (rank < 1 || rank > dimension)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The subspace rank K must be between 1 and the dimension D = {dimension}.");
        }
        if (profiles.Length != count * dimension)
        {
            throw new ArgumentException($"{count} profiles of dimension {dimension} need {count * dimension} values; got {profiles.Length}.", nameof(profiles));
        }
        int d = dimension, k = rank;

        // W W^T = sum_n w_n w_n^T (D x D).
        var gram = new double[d * d];
        for (var n = 0; n < count; n++)
        {
            var w = profiles.Slice(n * d, d);
            for (var i = 0; i < d; i++)
            {
                var wi = w[i];
                if (!double.IsFinite(wi))
                {
                    throw new ArgumentException($"Profile {n} has a non-finite entry {i}.", nameof(profiles));
                }
                if (wi == 0)
                {
                    continue;
                }
                var row = gram.AsSpan(i * d, d);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w, wi, row, row);
            }
        }
        var eigenvalues = new double[d];
        var eigenvectors = new double[d * d];
        SymmetricEigen.Decompose(gram, d, eigenvalues, eigenvectors);
        if (!(eigenvalues[0] > 0))
        {
            throw new ArgumentException("Every profile is zero: there is no subspace to learn.", nameof(profiles));
        }

        // 1. U_0: the first K eigenvector columns.
        var basis = new double[d * k];
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < k; j++)
            {
                basis[i * k + j] = eigenvectors[i * d + j];
            }
        }

        // 2-3. W~_0 W~_0^T = U_0^T (W W^T) U_0 (K x K), then its square root, scaled to trace K.
        var projectedGram = new double[k * k];
        var column = new double[d];
        for (var a = 0; a < k; a++)
        {
            for (var i = 0; i < d; i++)
            {
                var sum = 0.0;
                for (var j = 0; j < d; j++)
                {
                    sum += gram[i * d + j] * basis[j * k + a];
                }
                column[i] = sum;
            }
            for (var b = 0; b < k; b++)
            {
                var sum = 0.0;
                for (var i = 0; i < d; i++)
                {
                    sum += basis[i * k + b] * column[i];
                }
                projectedGram[b * k + a] = sum;
            }
        }
        Symmetrise(projectedGram, k);
        var shape = SymmetricEigen.SquareRoot(projectedGram, k);
        var trace = 0.0;
        for (var a = 0; a < k; a++)
        {
            trace += shape[a * k + a];
        }
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] *= k / trace;
        }

        // 4. U = U_0 S^{1/2}.
        var rootShape = SymmetricEigen.SquareRoot(shape, k);
        var projection = new double[d * k];
        for (var i = 0; i < d; i++)
        {
            for (var b = 0; b < k; b++)
            {
                var sum = 0.0;
                for (var a = 0; a < k; a++)
                {
                    sum += basis[i * k + a] * rootShape[a * k + b];
                }
                projection[i * k + b] = sum;
            }
        }
        var singular = eigenvalues.Take(k).Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
        return new LearnedSubspace(d, k, basis, shape, projection, singular);
    }

    private static void Symmetrise(double[] matrix, int n)
    {
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                var mean = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
                matrix[i * n + j] = mean;
                matrix[j * n + i] = mean;
            }
        }
    }
}
