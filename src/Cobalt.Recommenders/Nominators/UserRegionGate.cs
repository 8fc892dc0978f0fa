using System.Numerics.Tensors;
using Cobalt.Core.Randomness;

namespace Cobalt.Recommenders.Nominators;

/// <summary>
/// The permanent hard gate of <see cref="NominatorGate.Permanent"/>: user features z go to the nominator of the nearest of N
/// fixed centroids, g(z) = argmin_n ||z - c_n||^2 (ties to the lowest n). The centroids never move, so a user (and every
/// context in its region) keeps its nominator for the whole run.
/// </summary>
/// <remarks>
/// Hron et al. (2021), section 4, option 2: a gating mechanism made permanent as part of the nominator stage, reweighting the
/// nominators' predictions before the candidate pool is generated. Their gate's logits are a sum of user and item embeddings
/// with soft weights; this gate keeps the user part only and takes the argmax (weights 0/1), so the reweighting is the choice
/// of one nominator per user region. <see cref="FitCentroids"/> gives Lloyd's k-means with k-means++ seeding (Arthur and
/// Vassilvitskii 2007) for fitting centroids on data the evaluation never sees.
/// </remarks>
public sealed class UserRegionGate
{
    private readonly double[][] _centroids;

    /// <summary>A gate over the given centroids (one per nominator, all of the same length).</summary>
    /// <exception cref="ArgumentException">No centroids, or centroids of different lengths.</exception>
    public UserRegionGate(IReadOnlyList<double[]> centroids)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        if (centroids.Count == 0 || centroids.Any(c => c is null || c.Length == 0 || c.Length != centroids[0].Length))
        {
            throw new ArgumentException("A gate needs at least one centroid, all of the same non-zero length.", nameof(centroids));
        }
        _centroids = centroids.Select(c => c.ToArray()).ToArray();
    }

    /// <summary>N, the nominators (regions).</summary>
    public int Regions => _centroids.Length;

    /// <summary>The dimension of the user features the gate reads.</summary>
    public int Dimension => _centroids[0].Length;

    /// <summary>The nominator of the user with features <paramref name="user"/>.</summary>
    /// <exception cref="ArgumentException">The features do not have the centroids' dimension.</exception>
    public int Assign(ReadOnlySpan<double> user)
    {
        if (user.Length != Dimension)
        {
            throw new ArgumentException($"The context's user features have {user.Length} dimensions; the gate's centroids have {Dimension}.", nameof(user));
        }
        var best = 0;
        var bestDistance = double.PositiveInfinity;
        for (var n = 0; n < _centroids.Length; n++)
        {
            var distance = SquaredDistance(user, _centroids[n]);
            if (distance < bestDistance)
            {
                best = n;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>
    /// k centroids of <paramref name="points"/> by Lloyd's k-means from a k-means++ start (the stream <c>gate/k-means</c> of
    /// <paramref name="seed"/>), stopping when no point changes cluster or after <paramref name="iterations"/> passes; an emptied
    /// cluster keeps its centroid.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer points than k, or points of different lengths.</exception>
    public static double[][] FitCentroids(IReadOnlyList<double[]> points, int k, ulong seed, int iterations = 100)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        if (points.Count < k)
        {
            throw new ArgumentException($"{points.Count} points cannot make {k} clusters.", nameof(points));
        }
        var d = points[0].Length;
        if (points.Any(p => p.Length != d))
        {
            throw new ArgumentException("Every point needs the same length.", nameof(points));
        }
        var rng = Seeds.Stream(seed, "gate/k-means");
        var centroids = new double[k][];
        centroids[0] = points[rng.NextInt(points.Count)].ToArray();
        var nearest = points.Select(p => SquaredDistance(p, centroids[0])).ToArray();
        for (var c = 1; c < k; c++)
        {
            var total = nearest.Sum();
            var chosen = 0;
            if (total > 0)
            {
                var u = rng.NextDouble() * total;
                while (chosen < points.Count - 1 && (u -= nearest[chosen]) > 0)
                {
                    chosen++;
                }
            }
            else
            {
                chosen = rng.NextInt(points.Count);
            }
            centroids[c] = points[chosen].ToArray();
            for (var i = 0; i < points.Count; i++)
            {
                nearest[i] = Math.Min(nearest[i], SquaredDistance(points[i], centroids[c]));
            }
        }
        var assignment = Enumerable.Repeat(-1, points.Count).ToArray();
        for (var pass = 0; pass < iterations; pass++)
        {
            var gate = new UserRegionGate(centroids);
            var changed = false;
            for (var i = 0; i < points.Count; i++)
            {
                var n = gate.Assign(points[i]);
                changed |= n != assignment[i];
                assignment[i] = n;
            }
            if (!changed)
            {
                break;
            }
            var sums = new double[k][];
            var counts = new int[k];
            for (var c = 0; c < k; c++)
            {
                sums[c] = new double[d];
            }
            for (var i = 0; i < points.Count; i++)
            {
                counts[assignment[i]]++;
                var sum = sums[assignment[i]];
                for (var j = 0; j < d; j++)
                {
                    sum[j] += points[i][j];
                }
            }
            for (var c = 0; c < k; c++)
            {
                if (counts[c] > 0)
                {
                    centroids[c] = sums[c].Select(v => v / counts[c]).ToArray();
                }
            }
        }
        return centroids;
    }

    private static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var distance = TensorPrimitives.Distance(a, b);
        return distance * distance;
    }
}
