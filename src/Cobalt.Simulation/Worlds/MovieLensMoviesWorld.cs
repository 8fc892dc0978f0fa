using System.Collections.Concurrent;
using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Data.MovieLens;
using Cobalt.Neural.Text;

namespace Cobalt.Simulation.Worlds;

/// <summary>Which users a <see cref="MovieLensMoviesWorld"/> draws.</summary>
public enum UserSet
{
    /// <summary>Every kept user.</summary>
    All,

    /// <summary>The tuning part of the seeded user split (hyperparameters and gate centroids are fitted here).</summary>
    Tuning,

    /// <summary>The evaluation part of the split (reported numbers).</summary>
    Evaluation,
}

/// <summary>Options of <see cref="MovieLensMoviesWorld"/>.</summary>
public sealed record MovieLensMoviesWorldOptions : IValidatable
{
    /// <summary>MovieLens folder.</summary>
    [Description("MovieLens folder (ratings.csv, movies.csv, optional tags.csv); empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>Word vectors for titles and tags.</summary>
    [Description("Word vectors (GloVe text or wink JSON) for titles and tags; empty uses the shipped data/glove-100d subset (`cobalt data fetch glove-100d` gets the full vectors, which also cover tag words).")]
    public string WordVectors { get; init; } = string.Empty;

    /// <summary>K, the arms.</summary>
    [Description("K: the arms are the K movies most often rated in the users' profile parts.")]
    public int Arms { get; init; } = 100;

    /// <summary>m, the size of the movie embedding.</summary>
    [Description("m: size of the movie embedding (a seeded Gaussian projection of [title GloVe, tag GloVe, genres]); d = 2m + 4.")]
    public int Embedding { get; init; } = 10;

    /// <summary>Share of each user's ratings (earliest first) that forms the observable profile.</summary>
    [Description("Share of each user's ratings, earliest first, that is the observable profile; the rest are the labels (liked = rating >= 4).")]
    public double ProfileFraction { get; init; } = 0.5;

    /// <summary>Which users are drawn.</summary>
    [Description("Users drawn: all, tuning or evaluation (the seeded user split).")]
    public UserSet Users { get; init; } = UserSet.Evaluation;

    /// <summary>Share of users in the tuning part.</summary>
    [Description("Share of the kept users in the tuning part of the split.")]
    public double TuningFraction { get; init; } = 0.3;

    /// <summary>Seed of the user split.</summary>
    [Description("Seed of the tuning/evaluation split of the users.")]
    public ulong SplitSeed { get; init; } = 1;

    /// <summary>Seed of the projection.</summary>
    [Description("Seed of the random projection that makes the movie embedding (fixed: the features are part of the data).")]
    public ulong FeatureSeed { get; init; } = 7;

    /// <inheritdoc />
    public void Validate()
    {
        if (Data is null || WordVectors is null)
        {
            throw new OptionsException(Data is null ? "data" : "word-vectors", "must be a path or empty for the shipped default.");
        }
        Require.AtLeast(Arms, 2, nameof(Arms));
        Require.AtLeast(Embedding, 1, nameof(Embedding));
        Require.InRange(ProfileFraction, 0.05, 0.95, nameof(ProfileFraction));
        Require.Defined(Users, nameof(Users));
        Require.InRange(TuningFraction, 0.05, 0.95, nameof(TuningFraction));
    }
}

/// <summary>
/// MovieLens users as contexts and K movies as arms, a real-data linear bandit with rich context where a shared linear model
/// generalises across arms (the regime of Hron et al. 2021, section 3.1, with MovieLens in place of AmazonCat-13K). Each round a
/// user of the split is drawn uniformly; recommending movie a earns 1 when the user liked a (rating at least 4) in the label part
/// of their ratings, else 0 (a multi-label conversion, so the expected reward is exact).
/// </summary>
/// <remarks>
/// <para>Observable data only: each user's ratings are split in time, the earliest <see cref="MovieLensMoviesWorldOptions.ProfileFraction"/>
/// are the profile (what a deployed recommender has logged), the rest the labels. Movie embedding q_a = P^T [t_a, g_a, c_a] with
/// t_a the unit-norm mean GloVe vector of the title's words, g_a the unit-norm mean GloVe vector of the movie's tag words (zero
/// without tags or vectors), c_a the genre indicator over sqrt(#genres), and P a seeded Gaussian (w+w+G) x m matrix; each of the m
/// columns is standardised over the K arms. User profile p_u = the mean of q over the movies the user liked in the profile (all
/// profile movies when none was liked), each column standardised over users. Popularity pop_a = the share of users who liked
/// a in their profiles, standardised over the arms. Item-kNN affinity c_ua = sum over the movies i the user liked in the
/// profile of cos(a, i), the cosine of the two movies' profile-like vectors over users (a collaborative signal a deployed
/// recommender computes from its log), standardised over all (user, arm) pairs. Seen s_ua = 1 when the user rated a in the
/// profile (the labels then cannot hold a, so a learner should avoid it).</para>
/// <para>Arm features (what the nominators and the ranker read): x_ta = [p_u ⊙ q_a, q_a, pop_a, c_ua, s_ua, 1], d = 2m + 4, so one theta is
/// shared by every arm and a nominator trained on other pools' arms still learns about its own. User features: p_u (the gate's
/// input). Users with no liked arm in their labels are left out (their regret is always 0). The arms are the K movies rated most
/// often in the profiles.</para>
/// </remarks>
public sealed class MovieLensMoviesWorld : IWorld
{
    private static readonly ConcurrentDictionary<MovieLensMoviesWorldOptions, Lazy<Catalogue>> Loaded = new();
    private readonly MovieLensMoviesWorldOptions _options;
    private readonly Lazy<(Catalogue Data, int[] Users)> _state;

    /// <summary>Creates the world; the data are read on first use (once per process and options).</summary>
    public MovieLensMoviesWorld(MovieLensMoviesWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _state = new(() =>
        {
            var key = options with { Users = UserSet.All };
            var data = Loaded.GetOrAdd(key, k => new Lazy<Catalogue>(() => new Catalogue(k))).Value;
            var users = options.Users switch
            {
                UserSet.Tuning => data.Tuning,
                UserSet.Evaluation => data.Evaluation,
                _ => Enumerable.Range(0, data.UserCount).ToArray(),
            };
            return (data, users);
        });
    }

    /// <summary>The options.</summary>
    public MovieLensMoviesWorldOptions Options => _options;

    /// <summary>Users (dense ids of the kept users) this world draws.</summary>
    public IReadOnlyList<int> Users => _state.Value.Users;

    /// <summary>Kept users of the tuning part of the split.</summary>
    public IReadOnlyList<int> TuningUsers => _state.Value.Data.Tuning;

    /// <summary>Kept users of the evaluation part of the split.</summary>
    public IReadOnlyList<int> EvaluationUsers => _state.Value.Data.Evaluation;

    /// <summary>The arms' titles.</summary>
    public IReadOnlyList<string> Titles => _state.Value.Data.Titles;

    /// <summary>p_u of user <paramref name="user"/> (the context's user features).</summary>
    public ReadOnlySpan<double> Profile(int user) => _state.Value.Data.Profiles[user];

    /// <summary>Whether user <paramref name="user"/> liked arm <paramref name="arm"/> in the labels (ground truth; for oracle baselines).</summary>
    public bool Liked(int user, int arm) => _state.Value.Data.Labels[user][arm];

    /// <summary>The arm with the most likes in the profiles (what a popularity recommender would show).</summary>
    public int MostPopularArm => _state.Value.Data.MostPopular;

    /// <summary>Observed profile likes of each arm.</summary>
    public IReadOnlyList<int> ProfileLikes => _state.Value.Data.Likes;

    /// <summary>Share of title and tag words that had a word vector.</summary>
    public (double Titles, double Tags, int MoviesWithTags) Coverage => _state.Value.Data.Coverage;

    /// <summary>The arm whose mean reward over this world's users is highest (an oracle that reads the labels), and that mean.</summary>
    public (int Arm, double Mean) BestSingleArm()
    {
        var (data, users) = _state.Value;
        var best = (Arm: 0, Mean: -1.0);
        for (var a = 0; a < data.Titles.Length; a++)
        {
            var mean = users.Average(u => data.Labels[u][a] ? 1.0 : 0.0);
            if (mean > best.Mean)
            {
                best = (a, mean);
            }
        }
        return best;
    }

    /// <summary>Mean over this world's users of the share of arms they liked (a uniformly random arm's expected reward).</summary>
    public double RandomArmReward()
    {
        var (data, users) = _state.Value;
        return users.Average(u => data.Labels[u].Count(x => x) / (double)data.Titles.Length);
    }

    /// <inheritdoc />
    public EnvironmentInfo Info => new("movielens-movies", _options.Arms, (2 * _options.Embedding) + 4, _options.Embedding, BinaryRewards: true);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed) => new Environment(_state.Value.Data, _state.Value.Users, Info, trialSeed);

    private sealed class Environment(Catalogue data, int[] users, EnvironmentInfo info, ulong trialSeed) : IEnvironment
    {
        private readonly Rng _users = Seeds.Stream(trialSeed, "movielens-movies/users");
        private readonly int[] _ids = Enumerable.Range(0, info.ActionCount).ToArray();
        private long _round;

        public EnvironmentInfo Info { get; } = info;

        public Round Next()
        {
            var user = users[_users.NextInt(users.Length)];
            var k = Info.ActionCount;
            var d = Info.ItemFeatureDimension;
            var m = Info.UserFeatureDimension;
            var profile = data.Profiles[user];
            var values = new double[k * d];
            var expected = new double[k];
            for (var a = 0; a < k; a++)
            {
                var row = values.AsSpan(a * d, d);
                var q = data.Embedding.AsSpan(a * m, m);
                for (var j = 0; j < m; j++)
                {
                    row[j] = profile[j] * q[j];
                    row[m + j] = q[j];
                }
                row[2 * m] = data.Popularity[a];
                row[(2 * m) + 1] = data.Affinity[user][a];
                row[(2 * m) + 2] = data.Seen[user][a] ? 1 : 0;
                row[(2 * m) + 3] = 1;
                expected[a] = data.Labels[user][a] ? 1 : 0;
            }
            var context = new DecisionContext(_round++, user, profile, CandidateSet.FromFeatures(_ids, new FeatureMatrix(k, d, values)));
            return new Round(context, expected);
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            ArgumentNullException.ThrowIfNull(round);
            ArgumentNullException.ThrowIfNull(decision);
            var expected = round.ExpectedRewards;
            for (var s = 0; s < decision.Slots.Count; s++)
            {
                rewards[s] = expected[decision.Slots[s].CandidateIndex];
            }
        }
    }

    /// <summary>Everything read from the files for one set of options (users = all).</summary>
    private sealed class Catalogue
    {
        public Catalogue(MovieLensMoviesWorldOptions options)
        {
            var folder = Path.GetFullPath(options.Data.Length > 0 ? options.Data : UserChoice.UserChoiceWorld.ShippedMovieLens());
            if (MovieLensReader.DetectFormat(folder) is null)
            {
                throw new OptionsException("data", $"'{options.Data}' holds no MovieLens files (ratings.csv + movies.csv, ratings.dat + movies.dat, or u.data + u.item).");
            }
            var dataset = MovieLensReader.Read(folder);
            var items = dataset.Items.Count;
            var perUser = Enumerable.Range(0, dataset.Users.Count).Select(_ => new List<(int Item, float Rating, long Time)>()).ToArray();
            for (var r = 0; r < dataset.Count; r++)
            {
                perUser[dataset.InteractionUsers[r]].Add((dataset.InteractionItems[r], dataset.Values[r], dataset.Timestamps[r]));
            }
            var profiles = new List<(int Item, float Rating, long Time)[]>();
            var labelsOf = new List<(int Item, float Rating, long Time)[]>();
            foreach (var list in perUser)
            {
                var ordered = list.OrderBy(x => x.Time).ThenBy(x => x.Item).ToArray();
                var cut = (int)Math.Round(ordered.Length * options.ProfileFraction);
                if (cut < 1 || cut >= ordered.Length)
                {
                    continue;
                }
                profiles.Add(ordered[..cut]);
                labelsOf.Add(ordered[cut..]);
            }

            // Arms: the K movies rated most often in the profiles (ties by item id).
            var rated = new int[items];
            var likes = new int[items];
            foreach (var profile in profiles)
            {
                foreach (var (item, rating, _) in profile)
                {
                    rated[item]++;
                    likes[item] += rating >= MovieLensReader.PositiveRating ? 1 : 0;
                }
            }
            var k = options.Arms;
            if (k > items)
            {
                throw new OptionsException("arms", $"is {k} but the data hold {items} movies.");
            }
            var arms = Enumerable.Range(0, items).OrderByDescending(i => rated[i]).ThenBy(i => i).Take(k).ToArray();
            var armOf = new Dictionary<int, int>();
            for (var a = 0; a < k; a++)
            {
                armOf[arms[a]] = a;
            }
            Titles = arms.Select(i => dataset.Items[i].Title).ToArray();

            // Raw movie vectors [title GloVe, tag GloVe, genres] and the projection.
            var tags = ReadTags(folder, dataset);
            var tokenizer = new Tokenizer(new TokenizerOptions { KeepPunctuation = false });
            var vocabulary = new VocabularyBuilder(tokenizer).AddRange(dataset.Items.Select(i => i.Title)).AddRange(tags.Values.SelectMany(t => t)).Build();
            var vectors = Cobalt.Neural.Text.WordVectors.ReadFile(options.WordVectors.Length > 0 ? options.WordVectors : ShippedWordVectors.Find(), vocabulary);
            var w = vectors.Dimension;
            var genres = dataset.Topics.Count;
            var raw = (2 * w) + genres;
            var m = options.Embedding;
            var projection = new double[raw * m];
            Seeds.Stream(options.FeatureSeed, "movielens-movies/projection").FillGaussian(projection);
            var embedding = new double[items * m];
            long titleWords = 0, titleFound = 0, tagWords = 0, tagFound = 0;
            var tokens = new List<string>();
            var vector = new double[raw];
            for (var i = 0; i < items; i++)
            {
                Array.Clear(vector);
                tokens.Clear();
                tokenizer.Tokenize(dataset.Items[i].Title, tokens);
                (titleWords, titleFound) = Accumulate(tokens, vectors, vocabulary, vector.AsSpan(0, w), titleWords, titleFound);
                tokens.Clear();
                foreach (var tag in tags.GetValueOrDefault(i) ?? [])
                {
                    tokenizer.Tokenize(tag, tokens);
                }
                (tagWords, tagFound) = Accumulate(tokens, vectors, vocabulary, vector.AsSpan(w, w), tagWords, tagFound);
                var topics = dataset.Items[i].Topics;
                foreach (var g in topics)
                {
                    vector[(2 * w) + g] = 1 / Math.Sqrt(topics.Count);
                }
                var target = embedding.AsSpan(i * m, m);
                for (var r = 0; r < raw; r++)
                {
                    if (vector[r] != 0)
                    {
                        for (var j = 0; j < m; j++)
                        {
                            target[j] += vector[r] * projection[(r * m) + j];
                        }
                    }
                }
            }
            Coverage = (titleWords == 0 ? 1 : titleFound / (double)titleWords, tagWords == 0 ? 1 : tagFound / (double)tagWords, arms.Count(tags.ContainsKey));

            // Standardise the embedding over the arms (the same shift and scale for every movie).
            var (mean, scale) = Moments(arms.Select(i => (ReadOnlyMemory<double>)embedding.AsMemory(i * m, m)).ToArray(), m);
            for (var i = 0; i < items; i++)
            {
                for (var j = 0; j < m; j++)
                {
                    embedding[(i * m) + j] = (embedding[(i * m) + j] - mean[j]) / scale[j];
                }
            }
            Embedding = arms.SelectMany(i => embedding.AsSpan(i * m, m).ToArray()).ToArray();
            Likes = arms.Select(i => likes[i]).ToArray();
            var logLikes = Likes.Select(l => (double)l / profiles.Count).ToArray();
            var popMean = logLikes.Average();
            var popScale = Math.Sqrt(logLikes.Average(v => (v - popMean) * (v - popMean)));
            Popularity = logLikes.Select(v => popScale > 0 ? (v - popMean) / popScale : 0).ToArray();
            MostPopular = Array.IndexOf(Likes.ToArray(), Likes.Max());

            // Item-kNN: co-likes in the profiles between every arm and every movie, cosine-normalised.
            var likedSets = profiles.Select(pr => pr.Where(x => x.Rating >= MovieLensReader.PositiveRating).Select(x => x.Item).Distinct().ToArray()).ToArray();
            var coLikes = new Dictionary<int, int>[k];
            for (var a = 0; a < k; a++)
            {
                coLikes[a] = [];
            }
            foreach (var liked in likedSets)
            {
                foreach (var i in liked)
                {
                    if (armOf.TryGetValue(i, out var a))
                    {
                        foreach (var j in liked)
                        {
                            if (j != i)
                            {
                                coLikes[a][j] = coLikes[a].GetValueOrDefault(j) + 1;
                            }
                        }
                    }
                }
            }

            // Profiles and labels; users without a liked arm are left out.
            var keptProfiles = new List<double[]>();
            var keptLabels = new List<bool[]>();
            var keptAffinity = new List<double[]>();
            var keptSeen = new List<bool[]>();
            for (var u = 0; u < profiles.Count; u++)
            {
                var label = new bool[k];
                foreach (var (item, rating, _) in labelsOf[u])
                {
                    if (rating >= MovieLensReader.PositiveRating && armOf.TryGetValue(item, out var a))
                    {
                        label[a] = true;
                    }
                }
                if (!label.Any(x => x))
                {
                    continue;
                }
                var liked = profiles[u].Where(x => x.Rating >= MovieLensReader.PositiveRating).Select(x => x.Item).ToArray();
                var basis = liked.Length > 0 ? liked : profiles[u].Select(x => x.Item).ToArray();
                var p = new double[m];
                foreach (var item in basis)
                {
                    for (var j = 0; j < m; j++)
                    {
                        p[j] += embedding[(item * m) + j] / basis.Length;
                    }
                }
                keptProfiles.Add(p);
                keptLabels.Add(label);
                var affinity = new double[k];
                for (var a = 0; a < k; a++)
                {
                    foreach (var i in likedSets[u])
                    {
                        if (i != arms[a] && coLikes[a].TryGetValue(i, out var together))
                        {
                            affinity[a] += together / Math.Sqrt((double)likes[arms[a]] * likes[i]);
                        }
                    }
                }
                keptAffinity.Add(affinity);
                var seen = new bool[k];
                foreach (var (item, _, _) in profiles[u])
                {
                    if (armOf.TryGetValue(item, out var a))
                    {
                        seen[a] = true;
                    }
                }
                keptSeen.Add(seen);
            }
            if (keptProfiles.Count < 4)
            {
                throw new OptionsException("arms", $"only {keptProfiles.Count} users liked one of the {k} arms in their labels; use more arms or other data.");
            }
            var (userMean, userScale) = Moments(keptProfiles.Select(p => (ReadOnlyMemory<double>)p).ToArray(), m);
            foreach (var p in keptProfiles)
            {
                for (var j = 0; j < m; j++)
                {
                    p[j] = (p[j] - userMean[j]) / userScale[j];
                }
            }
            var all = keptAffinity.SelectMany(x => x).ToArray();
            var affinityMean = all.Average();
            var affinityScale = Math.Sqrt(all.Average(v => (v - affinityMean) * (v - affinityMean)));
            foreach (var row in keptAffinity)
            {
                for (var a = 0; a < k; a++)
                {
                    row[a] = affinityScale > 0 ? (row[a] - affinityMean) / affinityScale : 0;
                }
            }
            Affinity = keptAffinity.ToArray();
            Seen = keptSeen.ToArray();
            Profiles = keptProfiles.ToArray();
            Labels = keptLabels.ToArray();
            UserCount = Profiles.Length;
            var order = Enumerable.Range(0, UserCount).ToArray();
            Seeds.Stream(options.SplitSeed, "movielens-movies/users-split").Shuffle(order.AsSpan());
            var tuning = Math.Clamp((int)Math.Round(UserCount * options.TuningFraction), 1, UserCount - 1);
            Tuning = [.. order[..tuning].Order()];
            Evaluation = [.. order[tuning..].Order()];
        }

        public int UserCount { get; }

        public int[] Tuning { get; }

        public int[] Evaluation { get; }

        public string[] Titles { get; }

        /// <summary>K x m, row a = q_a.</summary>
        public double[] Embedding { get; }

        public double[] Popularity { get; }

        public IReadOnlyList<int> Likes { get; }

        public int MostPopular { get; }

        public double[][] Profiles { get; }

        /// <summary>c_ua, standardised.</summary>
        public double[][] Affinity { get; }

        /// <summary>s_ua.</summary>
        public bool[][] Seen { get; }

        public bool[][] Labels { get; }

        public (double Titles, double Tags, int MoviesWithTags) Coverage { get; }

        private static (long Words, long Found) Accumulate(List<string> tokens, Cobalt.Neural.Text.WordVectors vectors, Vocabulary vocabulary, Span<double> target, long words, long found)
        {
            var count = 0;
            foreach (var token in tokens)
            {
                words++;
                var id = vocabulary.Find(token);
                if (id < 2 || !vectors.Has(id))
                {
                    continue;
                }
                found++;
                count++;
                var v = vectors.Vector(id);
                for (var j = 0; j < target.Length; j++)
                {
                    target[j] += v[j];
                }
            }
            var norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<double>(target));
            if (count > 0 && norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(target, norm, target);
            }
            return (words, found);
        }

        private static (double[] Mean, double[] Scale) Moments(ReadOnlyMemory<double>[] rows, int m)
        {
            var mean = new double[m];
            var scale = new double[m];
            foreach (var row in rows)
            {
                for (var j = 0; j < m; j++)
                {
                    mean[j] += row.Span[j] / rows.Length;
                }
            }
            foreach (var row in rows)
            {
                for (var j = 0; j < m; j++)
                {
                    var difference = row.Span[j] - mean[j];
                    scale[j] += difference * difference / rows.Length;
                }
            }
            for (var j = 0; j < m; j++)
            {
                scale[j] = scale[j] > 1e-24 ? Math.Sqrt(scale[j]) : 1;
            }
            return (mean, scale);
        }

        private static Dictionary<int, List<string>> ReadTags(string folder, InteractionDataset dataset)
        {
            var result = new Dictionary<int, List<string>>();
            var path = Path.Combine(folder, "tags.csv");
            if (!File.Exists(path))
            {
                return result;
            }
            var itemOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < dataset.Items.Count; i++)
            {
                itemOf[dataset.Items[i].ExternalId] = i;
            }
            using var csv = new CsvLines(path, "movieId", "tag");
            while (csv.Read())
            {
                if (itemOf.TryGetValue(csv.Text("movieId"), out var item))
                {
                    (result.TryGetValue(item, out var list) ? list : result[item] = []).Add(csv.Text("tag"));
                }
            }
            return result;
        }
    }
}
