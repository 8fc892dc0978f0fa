using System.Text;

namespace Cobalt.Data.MovieLens;

/// <summary>
/// Reads MovieLens in each of its published layouts, detected from the folder:
/// ml-latest(-small), ml-20m, ml-25m (ratings.csv, movies.csv with pipe-separated genres);
/// ml-1m and ml-10m (ratings.dat and movies.dat, fields separated by "::");
/// ml-100k (u.data tab-separated, u.item pipe-separated with 19 genre flags, u.genre).
/// </summary>
/// <remarks>Harper and Konstan (2015), "The MovieLens Datasets: History and Context". Ratings >= 4 are positive.</remarks>
public static class MovieLensReader
{
    /// <summary>MovieLens's rating scale: a rating >= this counts as a click.</summary>
    public const double PositiveRating = 4.0;

    /// <summary>The layout of the MovieLens files in <paramref name="folder"/>, or null if it holds none.</summary>
    public static string? DetectFormat(string folder) =>
        File.Exists(Path.Combine(folder, "ratings.csv")) && File.Exists(Path.Combine(folder, "movies.csv")) ? "movielens-csv"
        : File.Exists(Path.Combine(folder, "ratings.dat")) && File.Exists(Path.Combine(folder, "movies.dat")) ? "movielens-dat"
        : File.Exists(Path.Combine(folder, "u.data")) && File.Exists(Path.Combine(folder, "u.item")) ? "movielens-100k"
        : null;

    /// <summary>Reads the dataset in <paramref name="folder"/>.</summary>
    /// <exception cref="DataFormatException">A malformed row (file and line named), or no MovieLens files in the folder.</exception>
    public static InteractionDataset Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var name = new DirectoryInfo(folder).Name;
        return DetectFormat(folder) switch
        {
            "movielens-csv" => ReadCsv(folder, name),
            "movielens-dat" => ReadDat(folder, name),
            "movielens-100k" => Read100K(folder, name),
            _ => throw new DataFormatException(folder, 0, "no MovieLens files here: expected ratings.csv + movies.csv, ratings.dat + movies.dat, or u.data + u.item."),
        };
    }

    private static InteractionDataset ReadCsv(string folder, string name)
    {
        var catalogue = new Catalogue();
        using (var movies = new CsvLines(Path.Combine(folder, "movies.csv"), "movieId", "title", "genres"))
        {
            while (movies.Read())
            {
                catalogue.Add(movies.Error, movies.Text("movieId"), movies.Text("title"), movies.Text("genres").Split('|'));
            }
        }
        var users = new IdMap();
        var columns = new InteractionColumns();
        using (var ratings = new CsvLines(Path.Combine(folder, "ratings.csv"), "userId", "movieId", "rating", "timestamp"))
        {
            int user = ratings.IndexOf("userId"), movie = ratings.IndexOf("movieId"), rating = ratings.IndexOf("rating"), time = ratings.IndexOf("timestamp");
            while (ratings.Read())
            {
                columns.Add(
                    users.GetOrAdd(ratings.Field(user, "userId")),
                    catalogue.Item(ratings.Field(movie, "movieId"), ratings.Error),
                    Rating(ratings.Number(rating, "rating"), ratings.Error),
                    (long)ratings.Number(time, "timestamp"));
            }
        }
        return columns.Build(name, "movielens-csv", users, catalogue.Items, catalogue.Topics, PositiveRating);
    }

    private static InteractionDataset ReadDat(string folder, string name)
    {
        var latin1 = Encoding.Latin1; // ml-1m and ml-10m are ISO-8859-1
        var catalogue = new Catalogue();
        using (var movies = new DelimitedLines(Path.Combine(folder, "movies.dat"), "::", latin1))
        {
            while (movies.Read())
            {
                movies.RequireFields(3, exact: true);
                catalogue.Add(movies.Error, movies.Text(0), movies.Text(1), movies.Text(2).Split('|'));
            }
        }
        var users = new IdMap();
        var columns = new InteractionColumns();
        using (var ratings = new DelimitedLines(Path.Combine(folder, "ratings.dat"), "::", latin1))
        {
            while (ratings.Read())
            {
                ratings.RequireFields(4, exact: true);
                columns.Add(users.GetOrAdd(ratings.Text(0)), catalogue.Item(ratings.Text(1), ratings.Error), Rating(ratings.Number(2, "rating"), ratings.Error), ratings.WholeNumber(3, "timestamp"));
            }
        }
        return columns.Build(name, "movielens-dat", users, catalogue.Items, catalogue.Topics, PositiveRating);
    }

    private static InteractionDataset Read100K(string folder, string name)
    {
        var latin1 = Encoding.Latin1;
        var genreFile = Path.Combine(folder, "u.genre");
        var genres = new List<string>();
        using (var lines = new DelimitedLines(genreFile, "|", latin1))
        {
            while (lines.Read())
            {
                lines.RequireFields(2);
                var index = lines.WholeNumber(1, "genre index");
                if (index != genres.Count)
                {
                    throw lines.Error($"genre index {index} is out of order; {genres.Count} was expected.");
                }
                genres.Add(lines.Text(0));
            }
        }
        if (genres.Count == 0)
        {
            throw new DataFormatException("u.genre", 0, "no genres are listed.");
        }
        var catalogue = new Catalogue();
        using (var items = new DelimitedLines(Path.Combine(folder, "u.item"), "|", latin1))
        {
            while (items.Read())
            {
                items.RequireFields(5 + genres.Count);
                if (items.Fields.Count > 5 + genres.Count)
                {
                    throw items.Error($"{items.Fields.Count - 5} genre flags but u.genre lists {genres.Count} genres.");
                }
                var flags = Enumerable.Range(0, genres.Count).Where(g => items.WholeNumber(5 + g, $"genre flag {genres[g]}") switch
                {
                    0 => false,
                    1 => true,
                    _ => throw items.Error($"genre flag {genres[g]} must be 0 or 1."),
                });
                catalogue.Add(items.Error, items.Text(0), items.Text(1), flags.Select(g => genres[g]).ToArray());
            }
        }
        var users = new IdMap();
        var columns = new InteractionColumns();
        using (var ratings = new DelimitedLines(Path.Combine(folder, "u.data"), "\t"))
        {
            while (ratings.Read())
            {
                ratings.RequireFields(4, exact: true);
                columns.Add(users.GetOrAdd(ratings.Text(0)), catalogue.Item(ratings.Text(1), ratings.Error), Rating(ratings.Number(2, "rating"), ratings.Error), ratings.WholeNumber(3, "timestamp"));
            }
        }
        return columns.Build(name, "movielens-100k", users, catalogue.Items, catalogue.Topics, PositiveRating);
    }

    private static float Rating(double value, Func<string, DataFormatException> error) =>
        value is >= 0 and <= 5 ? (float)value : throw error($"rating {value} is outside MovieLens's 0 to 5 scale.");

    /// <summary>Movies with dense ids and genres as topic ids, in order of appearance.</summary>
    private sealed class Catalogue
    {
        private readonly IdMap _movies = new();
        private readonly IdMap _topics = new();
        private readonly List<ItemRecord> _items = [];

        public IReadOnlyList<ItemRecord> Items => _items;

        public IReadOnlyList<string> Topics => _topics.External;

        public void Add(Func<string, DataFormatException> error, string id, string title, IReadOnlyList<string> genres)
        {
            id = id.Trim();
            if (id.Length == 0)
            {
                throw error("the movie id is empty.");
            }
            if (_movies.TryGet(id, out _))
            {
                throw error($"movie {id} is listed twice.");
            }
            _movies.GetOrAdd(id);
            var topics = genres.Select(g => g.Trim()).Where(g => g.Length > 0).Select(_topics.GetOrAdd).Distinct().ToArray();
            _items.Add(new ItemRecord(id, title, topics));
        }

        public int Item(string id, Func<string, DataFormatException> error) =>
            _movies.TryGet(id.Trim(), out var item) ? item : throw error($"movie {id} is not in the movies file.");
    }
}
