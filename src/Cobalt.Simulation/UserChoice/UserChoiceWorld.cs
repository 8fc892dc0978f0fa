using System.Collections.Concurrent;
using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Neural.Text;

namespace Cobalt.Simulation.UserChoice;

/// <summary>Options of <see cref="UserChoiceWorld"/>.</summary>
public sealed record UserChoiceWorldOptions : IValidatable
{
    /// <summary>A saved simulator to load; empty trains one from <see cref="Data"/>.</summary>
    [Description("A simulator saved by `cobalt simulator train` on the same data; empty trains one from `data` with `training`.")]
    public string Simulator { get; init; } = string.Empty;

    /// <summary>A MovieLens or MIND folder to train on; empty is the shipped ml-latest-small.</summary>
    [Description("MovieLens or MIND folder to train the simulator on; empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>Word vectors for titles; empty is the shipped 100-d subset.</summary>
    [Description("Word vectors (GloVe text file or wink-embeddings JSON) for the titles; empty uses the shipped data/glove-100d subset.")]
    public string Vectors { get; init; } = string.Empty;

    /// <summary>How to train the simulator.</summary>
    [Description("Simulator training options (when no saved simulator is given).")]
    public UserChoiceTrainingOptions Training { get; init; } = new();

    /// <summary>Users drawn for each trial.</summary>
    [Description("Users drawn at random for each trial from the validation-period users the simulator knows (the paper uses 10, 100 and 1,000); each round's user is one of them.")]
    public int UsersPerTrial { get; init; } = 100;

    /// <summary>The trial protocol.</summary>
    [Description("The trial protocol: time split, pre-training share, user sequence.")]
    public TrialProtocolOptions Protocol { get; init; } = new();

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(UsersPerTrial, 1, nameof(UsersPerTrial));
        if (Simulator.Length > 0 && !File.Exists(Simulator))
        {
            throw new OptionsException(Names.Kebab(nameof(Simulator)), $"the file '{Simulator}' does not exist.");
        }
        if (Data.Length > 0 && !InteractionReader.CanRead(Data))
        {
            throw new OptionsException(Names.Kebab(nameof(Data)), $"'{Data}' holds neither MovieLens nor MIND files.");
        }
        Require.Nested(Training, nameof(Training));
        Require.Nested(Protocol, nameof(Protocol));
    }
}

/// <summary>
/// A world of real users' tastes decided by the IPS-weighted logistic user-choice simulator (a cheaper, personalised second
/// simulator; the two-stage paper's own is <see cref="NrmsIpsWorld"/>). Policies see what a recommender could observe: the
/// <see cref="ObservedCatalogue"/> (titles, genres, GloVe title vectors), each user's history profile and the
/// <see cref="IObservedLog"/>; the simulator's features and parameters stay inside. The expected reward of every item is known,
/// so regret is exact.
/// </summary>
public sealed class UserChoiceWorld : IWorld
{
    private static readonly ConcurrentDictionary<string, Lazy<(TrialProtocol Protocol, UserChoiceSimulator Simulator, int[] Users)>> Shared = new();
    private readonly int _usersPerTrial;
    private readonly Lazy<(TrialProtocol? Protocol, UserChoiceSimulator Simulator, int[] Users)> _state;
    private readonly Lazy<ItemCatalog> _topicCatalogue;

    /// <summary>Creates the world; data, protocol and simulator are built on first use (at most once per process for the same options).</summary>
    public UserChoiceWorld(UserChoiceWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _usersPerTrial = options.UsersPerTrial;
        var key = string.Join('|', Path.GetFullPath(DataFolder(options)), options.Simulator, options.Vectors, OptionsBinder.ToJson(options.Training), OptionsBinder.ToJson(options.Protocol));
        var shared = Shared.GetOrAdd(key, _ => new Lazy<(TrialProtocol, UserChoiceSimulator, int[])>(() => Load(options)));
        _state = new Lazy<(TrialProtocol?, UserChoiceSimulator, int[])>(() => shared.Value);
        _topicCatalogue = new Lazy<ItemCatalog>(() => BuildTopicCatalog(Simulator));
    }

    /// <summary>
    /// Creates a world around a simulator already in memory, without logged data: items show their topic (one-hot, then a
    /// constant 1) and title, users a constant 1, and the simulator's logged interactions are the known samples.
    /// </summary>
    public UserChoiceWorld(UserChoiceSimulator simulator, int usersPerTrial = 100)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        Require.AtLeast(usersPerTrial, 1, "users-per-trial");
        _usersPerTrial = usersPerTrial;
        _state = new Lazy<(TrialProtocol?, UserChoiceSimulator, int[])>((null, simulator, simulator.Users));
        _topicCatalogue = new Lazy<ItemCatalog>(() => BuildTopicCatalog(simulator));
    }

    /// <summary>The simulator that decides clicks (for reports and tests; never handed to a policy).</summary>
    public UserChoiceSimulator Simulator => _state.Value.Simulator;

    /// <summary>The trial protocol, when the world was built from data.</summary>
    public TrialProtocol? Protocol => _state.Value.Protocol;

    /// <inheritdoc />
    public EnvironmentInfo Info => Protocol is { } protocol
        ? new("user-choice", protocol.Catalogue.Catalog.Count, protocol.Catalogue.Catalog.Dimension, protocol.Catalogue.UserDimension, BinaryRewards: true)
        : new("user-choice", Simulator.Features.ItemCount, _topicCatalogue.Value.Dimension, 1, BinaryRewards: true);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed)
    {
        var (protocol, simulator, users) = _state.Value;
        if (protocol is null)
        {
            var count = Math.Min(_usersPerTrial, users.Length);
            var trialUsers = Data.Splits.TrialSamples.Users(users, count, Seeds.Stream(trialSeed, "user-choice/users"));
            return new Environment(simulator, _topicCatalogue.Value, trialUsers, Info, trialSeed);
        }
        var (drawn, log) = protocol.Trial(trialSeed, _usersPerTrial, users);
        var sequence = protocol.Options.SequenceSeed == 0 ? (ulong?)null : protocol.Options.SequenceSeed;
        return new ObservedEnvironment(new Clicks(simulator), protocol.Catalogue, drawn, Info, trialSeed, sequence, log);
    }

    /// <summary>The shipped MovieLens folder, found by walking up from the working directory and from the program's folder.</summary>
    public static string ShippedMovieLens()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "data", "movielens-latest-small");
                if (File.Exists(Path.Combine(candidate, "ratings.csv")))
                {
                    return candidate;
                }
            }
        }
        throw new OptionsException("data", "the shipped data/movielens-latest-small was not found above the working directory; give a MovieLens folder.");
    }

    private static string DataFolder(UserChoiceWorldOptions options) => options.Data.Length > 0 ? options.Data : ShippedMovieLens();

    private static (TrialProtocol, UserChoiceSimulator, int[]) Load(UserChoiceWorldOptions options)
    {
        var data = InteractionReader.Read(DataFolder(options));
        var protocol = TrialProtocol.Build(data, options.Protocol, ObservedCatalogue.Build(data, options.Vectors.Length > 0 ? options.Vectors : ShippedWordVectors.Find()));
        var simulator = options.Simulator.Length > 0 ? UserChoiceSimulator.Load(options.Simulator) : UserChoiceTrainer.Train(data, options.Training).Simulator;
        if (simulator.Features.ItemCount != data.Items.Count)
        {
            throw new OptionsException(Names.Kebab(nameof(UserChoiceWorldOptions.Simulator)), $"'{options.Simulator}' knows {simulator.Features.ItemCount} items; the data has {data.Items.Count}.");
        }
        var known = simulator.Users.ToHashSet();
        return (protocol, simulator, [.. protocol.Candidates.Where(known.Contains)]);
    }

    private static ItemCatalog BuildTopicCatalog(UserChoiceSimulator simulator)
    {
        var topics = simulator.ItemTopics.Select(t => Math.Max(t, 0)).ToArray();
        var topicCount = topics.DefaultIfEmpty(0).Max() + 1;
        var d = topicCount + 1;
        var values = new double[topics.Length * d];
        for (var i = 0; i < topics.Length; i++)
        {
            values[(i * d) + topics[i]] = 1.0;
            values[(i * d) + d - 1] = 1.0;
        }
        var names = simulator.TopicNames.Length >= topicCount ? simulator.TopicNames : null;
        return new ItemCatalog(new FeatureMatrix(topics.Length, d, values), topics, simulator.ItemTitles, names);
    }

    private sealed class Clicks(UserChoiceSimulator simulator) : IClickModel
    {
        public void Scores(int user, Span<double> scores) => simulator.Scores(user, scores);

        public double ExpectedReward(double score) => simulator.ExpectedReward(score);

        public double DrawReward(double score, double uniform) => simulator.DrawReward(score, uniform);
    }

    private sealed class Environment(UserChoiceSimulator simulator, ItemCatalog catalog, int[] users, EnvironmentInfo info, ulong trialSeed) : IEnvironment, IKnownSamples
    {
        private static readonly double[] NoUserFeatures = [1.0];
        private readonly Dictionary<int, (double[] Scores, double[] Expected)> _users = [];
        private readonly Rng _rounds = Seeds.Stream(trialSeed, "user-choice/rounds");
        private readonly ulong _clickSeed = Seeds.Derive(trialSeed, "user-choice/clicks");
        private long _round;

        public EnvironmentInfo Info { get; } = info;

        public IReadOnlyList<KnownInteraction> KnownSamples { get; } = [.. simulator.Logged.Where(l => !users.Contains(l.User))];

        public Round Next()
        {
            var user = users[_rounds.NextInt(users.Length)];
            return new Round(new DecisionContext(_round++, user, NoUserFeatures, catalog.All()), UserState(user).Expected);
        }

        public void Respond(Round round, Decision decision, Span<double> rewards)
        {
            var scores = UserState(round.Context.UserId).Scores;
            for (var i = 0; i < decision.Slots.Count; i++)
            {
                var slot = decision.Slots[i];
                rewards[i] = simulator.DrawReward(scores[slot.ActionId], Seeds.Uniform(_clickSeed, round.Context.Round, slot.ActionId));
            }
        }

        private (double[] Scores, double[] Expected) UserState(int user)
        {
            if (!_users.TryGetValue(user, out var state))
            {
                var scores = new double[simulator.Features.ItemCount];
                simulator.Scores(user, scores);
                state = (scores, scores.Select(simulator.ExpectedReward).ToArray());
                _users[user] = state;
            }
            return state;
        }
    }
}
