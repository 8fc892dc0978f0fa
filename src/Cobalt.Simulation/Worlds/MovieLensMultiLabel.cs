using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Cobalt.Core.Randomness;
using Cobalt.Data.MovieLens;
using Cobalt.Recommenders.Experts;
using Cobalt.Simulation.UserChoice;

namespace Cobalt.Simulation.Worlds;

/// <summary>
/// MovieLens as a multi-label data set, the stand-in for AmazonCat-13K in Hron et al. (2021): contexts are movies, labels
/// their genres. A movie's d features are its item vector from a logistic matrix factorisation of the ratings (rating at
/// least 4 = positive; <see cref="LogisticMatrixFactorization"/>), standardised per feature over the movies kept. The
/// features are fitted on ratings only, never on genres, so a genre must be inferred from who liked the movie.
/// </summary>
/// <remarks>
/// Kept: movies with at least <c>minRatings</c> ratings and at least one genre ("(no genres listed)" is not a genre). With the
/// shipped ml-latest-small and 10 ratings: 2,269 movies, 19 genres (IMAX included), about 2.3 genres per movie. Loaded once
/// per (folder, d, minRatings, seed) and process.
/// </remarks>
public sealed class MovieLensMultiLabel
{
    private static readonly ConcurrentDictionary<(string, int, int, ulong), Lazy<MovieLensMultiLabel>> Loaded = new();

    private MovieLensMultiLabel(MovieLensGenres genres, int dimension, int minRatings, ulong seed)
    {
        var ratings = genres.UserRatings;
        var itemCount = genres.ItemGenres.Count;
        var samples = ratings.Sum(r => r.Length);
        var users = new int[samples];
        var items = new int[samples];
        var labels = new bool[samples];
        var counts = new int[itemCount];
        var s = 0;
        for (var u = 0; u < ratings.Count; u++)
        {
            foreach (var (item, rating, _) in ratings[u])
            {
                users[s] = u;
                items[s] = item;
                labels[s] = rating >= MovieLensReader.PositiveRating;
                counts[item]++;
                s++;
            }
        }
        var factorisation = LogisticMatrixFactorization.Fit(ratings.Count, itemCount, users, items, labels,
            new MatrixFactorizationOptions { Dimension = dimension }, Seeds.Stream(seed, "movielens-multi-label/factorisation"));
        Movies = Enumerable.Range(0, itemCount).Where(i => counts[i] >= minRatings && genres.ItemGenres[i].Length > 0).ToArray();
        Genres = genres.Genres;
        var k = Genres.Count;
        var features = new double[Movies.Count * dimension];
        var positive = new bool[Movies.Count * k];
        for (var m = 0; m < Movies.Count; m++)
        {
            factorisation.ItemVectors.AsSpan(Movies[m] * dimension, dimension).CopyTo(features.AsSpan(m * dimension, dimension));
            foreach (var g in genres.ItemGenres[Movies[m]])
            {
                positive[m * k + g] = true;
            }
        }
        Standardise(features, dimension);
        Data = new MultiLabelData(dimension, k, features, positive);
    }

    /// <summary>Dense MovieLens item id of each context row.</summary>
    public IReadOnlyList<int> Movies { get; }

    /// <summary>The labels (genre names); label g is item g.</summary>
    public IReadOnlyList<string> Genres { get; }

    /// <summary>The movies as contexts with their genres.</summary>
    public MultiLabelData Data { get; }

    /// <summary>
    /// A seeded random split of the context rows: <paramref name="testFraction"/> of them (rounded) for testing, the rest for
    /// training; both ascending.
    /// </summary>
    public (int[] Train, int[] Test) Split(double testFraction, ulong seed)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be in (0, 1).");
        }
        var order = Enumerable.Range(0, Data.Count).ToArray();
        Seeds.Stream(seed, "movielens-multi-label/split").Shuffle(order.AsSpan());
        var test = (int)Math.Round(testFraction * order.Length);
        var testRows = order[..test];
        var trainRows = order[test..];
        Array.Sort(testRows);
        Array.Sort(trainRows);
        return (trainRows, testRows);
    }

    /// <summary>The multi-label view of the MovieLens folder <paramref name="folder"/> (empty: the shipped ml-latest-small).</summary>
    /// <exception cref="Core.Configuration.OptionsException">The folder holds no MovieLens files (field <c>data</c>).</exception>
    public static MovieLensMultiLabel Load(string folder, int dimension, int minRatings, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        var genres = MovieLensGenres.Load(folder);
        var key = (Path.GetFullPath(folder.Length > 0 ? folder : UserChoiceWorld.ShippedMovieLens()), dimension, minRatings, seed);
        return Loaded.GetOrAdd(key, _ => new Lazy<MovieLensMultiLabel>(() => new MovieLensMultiLabel(genres, dimension, minRatings, seed))).Value;
    }

    /// <summary>Each column to zero mean and unit standard deviation (a constant column stays 0).</summary>
    private static void Standardise(double[] features, int dimension)
    {
        var rows = features.Length / dimension;
        if (rows == 0)
        {
            return;
        }
        var column = new double[rows];
        for (var j = 0; j < dimension; j++)
        {
            for (var i = 0; i < rows; i++)
            {
                column[i] = features[i * dimension + j];
            }
            var mean = TensorPrimitives.Sum(column) / rows;
            TensorPrimitives.Subtract(column, mean, column);
            var std = Math.Sqrt(TensorPrimitives.SumOfSquares(column) / rows);
            for (var i = 0; i < rows; i++)
            {
                features[i * dimension + j] = std > 0 ? column[i] / std : 0;
            }
        }
    }
}
