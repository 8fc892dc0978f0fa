using System.Collections.Concurrent;
using Cobalt.Core.Configuration;
using Cobalt.Data;
using Cobalt.Data.MovieLens;

namespace Cobalt.Simulation.Worlds;

/// <summary>
/// MovieLens ratings organised by genre for the genre-based worlds: the genres (without
/// "(no genres listed)"), each movie's genres, and each user's ratings in time order. Loaded once per
/// folder and process.
/// </summary>
public sealed class MovieLensGenres
{
    private static readonly ConcurrentDictionary<string, Lazy<MovieLensGenres>> Loaded = new();

    private MovieLensGenres(InteractionDataset dataset)
    {
        var genreIds = new Dictionary<int, int>();
        var names = new List<string>();
        for (var t = 0; t < dataset.Topics.Count; t++)
        {
            if (!dataset.Topics[t].StartsWith('('))
            {
                genreIds[t] = names.Count;
                names.Add(dataset.Topics[t]);
            }
        }
        Genres = names;
        ItemGenres = dataset.Items.Select(i => i.Topics.Where(genreIds.ContainsKey).Select(t => genreIds[t]).Distinct().Order().ToArray()).ToArray();
        var perUser = new List<(int Item, float Rating, long Time)>[dataset.Users.Count];
        for (var u = 0; u < perUser.Length; u++)
        {
            perUser[u] = [];
        }
        for (var r = 0; r < dataset.Count; r++)
        {
            perUser[dataset.InteractionUsers[r]].Add((dataset.InteractionItems[r], dataset.Values[r], dataset.Timestamps[r]));
        }
        // Time order; ties by item id so the order never depends on the file's row order.
        UserRatings = perUser.Select(l => l.OrderBy(x => x.Time).ThenBy(x => x.Item).ToArray()).ToArray();
        Name = dataset.Name;
    }

    /// <summary>Dataset name (folder name).</summary>
    public string Name { get; }

    /// <summary>Genre names; genre g is column g of genre features.</summary>
    public IReadOnlyList<string> Genres { get; }

    /// <summary>The genres of each movie (dense item id), ascending; empty for a movie without genres.</summary>
    public IReadOnlyList<int[]> ItemGenres { get; }

    /// <summary>Each user's ratings (item, rating, Unix time), oldest first.</summary>
    public IReadOnlyList<(int Item, float Rating, long Time)[]> UserRatings { get; }

    /// <summary>The genre view of the MovieLens folder <paramref name="folder"/> (empty: the shipped ml-latest-small).</summary>
    /// <exception cref="OptionsException">The folder holds no MovieLens files (field <c>data</c>).</exception>
    public static MovieLensGenres Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.GetFullPath(folder.Length > 0 ? folder : UserChoice.UserChoiceWorld.ShippedMovieLens());
        if (MovieLensReader.DetectFormat(path) is null)
        {
            throw new OptionsException("data", $"'{folder}' holds no MovieLens files (ratings.csv + movies.csv, ratings.dat + movies.dat, or u.data + u.item).");
        }
        return Loaded.GetOrAdd(path, p => new Lazy<MovieLensGenres>(() => new MovieLensGenres(MovieLensReader.Read(p)))).Value;
    }
}
