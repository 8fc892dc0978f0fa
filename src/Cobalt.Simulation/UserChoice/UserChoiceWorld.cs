using System.Collections.Concurrent;
using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Data;

namespace Cobalt.Simulation.UserChoice;

/// <summary>Options of <see cref="UserChoiceWorld"/>.</summary>
public sealed record UserChoiceWorldOptions : IValidatable
{
    /// <summary>A saved simulator to load; empty trains one from <see cref="Data"/>.</summary>
    [Description("A simulator saved by `cobalt simulator train`; empty trains one from `data` with `training`.")]
    public string Simulator { get; init; } = string.Empty;

    /// <summary>A MovieLens or MIND folder to train on; empty is the shipped ml-latest-small.</summary>
    [Description("MovieLens or MIND folder to train the simulator on; empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>How to train the simulator.</summary>
    [Description("Simulator training options (when no saved simulator is given).")]
    public UserChoiceTrainingOptions Training { get; init; } = new();

    /// <summary>Share of logged interactions offered as known samples.</summary>
    [Description("epsilon: share of the logged training interactions (of users outside the trial) offered to policies as known samples for pre-training.")]
    public double KnownShare { get; init; } = 0.1;

    /// <summary>Users drawn for each trial.</summary>
    [Description("Users drawn at random for each trial (the paper uses 10, 100 and 1,000); each round's user is one of them.")]
    public int UsersPerTrial { get; init; } = 100;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(UsersPerTrial, 1, nameof(UsersPerTrial));
        Require.InRange(KnownShare, 0, 1, nameof(KnownShare));
        if (Simulator.Length > 0 && !File.Exists(Simulator))
        {
            throw new OptionsException(Names.Kebab(nameof(Simulator)), $"the file '{Simulator}' does not exist.");
        }
        if (Simulator.Length == 0 && Data.Length > 0 && !InteractionReader.CanRead(Data))
        {
            throw new OptionsException(Names.Kebab(nameof(Data)), $"'{Data}' holds neither MovieLens nor MIND files.");
        }
        try
        {
            Training.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(Names.Kebab(nameof(Training)));
        }
    }
}

/// <summary>
/// A world of real users' tastes: the user-choice simulator trained on logged data decides clicks. Each trial
/// draws its users; each round shows one of them the whole catalogue (items with the simulator's item features
/// and a constant 1, topics from the data); the expected reward of every item is known, so regret is exact.
/// </summary>
public sealed class UserChoiceWorld : IWorld
{
    private static readonly ConcurrentDictionary<string, Lazy<UserChoiceSimulator>> Trained = new();
    private readonly UserChoiceWorldOptions _options;
    private readonly Lazy<UserChoiceSimulator> _simulator;
    private readonly Lazy<ItemCatalog> _catalog;

    /// <summary>Creates the world; the simulator is loaded or trained on first use (and trained at most once per process for the same data and options).</summary>
    public UserChoiceWorld(UserChoiceWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _simulator = options.Simulator.Length > 0
            ? new Lazy<UserChoiceSimulator>(() => UserChoiceSimulator.Load(options.Simulator))
            : Trained.GetOrAdd(Path.GetFullPath(DataFolder(options)) + "|" + OptionsBinder.ToJson(options.Training),
                _ => new Lazy<UserChoiceSimulator>(() => UserChoiceTrainer.Train(InteractionReader.Read(DataFolder(options)), options.Training).Simulator));
        _catalog = new Lazy<ItemCatalog>(() => BuildCatalog(_simulator.Value));
    }

    /// <summary>Creates the world around a simulator already in memory.</summary>
    public UserChoiceWorld(UserChoiceSimulator simulator, int usersPerTrial = 100)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        _options = new UserChoiceWorldOptions { UsersPerTrial = usersPerTrial };
        _options.Validate();
        _simulator = new Lazy<UserChoiceSimulator>(simulator);
        _catalog = new Lazy<ItemCatalog>(() => BuildCatalog(simulator));
    }

    /// <summary>The simulator that decides clicks.</summary>
    public UserChoiceSimulator Simulator => _simulator.Value;

    /// <inheritdoc />
    public EnvironmentInfo Info => new("user-choice", Simulator.Features.ItemCount, Simulator.Features.ItemDimension + 1, Simulator.Features.UserDimension + 1, BinaryRewards: true);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed)
    {
        var simulator = Simulator;
        var count = Math.Min(_options.UsersPerTrial, simulator.Users.Length);
        var users = Data.Splits.TrialSamples.Users(simulator.Users, count, Seeds.Stream(trialSeed, "user-choice/users"));
        var trialUsers = users.ToHashSet();
        var known = Seeds.Stream(trialSeed, "user-choice/known");
        var samples = simulator.Logged.Where(l => !trialUsers.Contains(l.User) && known.NextDouble() < _options.KnownShare).ToArray();
        return new Environment(simulator, _catalog.Value, users, Info, trialSeed, samples);
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

    private static ItemCatalog BuildCatalog(UserChoiceSimulator simulator)
    {
        var f = simulator.Features;
        var d = f.ItemDimension + 1;
        var values = new double[f.ItemCount * d];
        for (var i = 0; i < f.ItemCount; i++)
        {
            f.Item(i).CopyTo(values.AsSpan(i * d, d - 1));
            values[i * d + d - 1] = 1.0;
        }
        var topics = simulator.ItemTopics.Select(t => Math.Max(t, 0)).ToArray();
        var names = simulator.TopicNames.Length > topics.DefaultIfEmpty(0).Max() ? simulator.TopicNames : null;
        return new ItemCatalog(new FeatureMatrix(f.ItemCount, d, values), topics, simulator.ItemTitles, names);
    }

    private sealed class Environment(UserChoiceSimulator simulator, ItemCatalog catalog, int[] users, EnvironmentInfo info, ulong trialSeed, KnownInteraction[] known) : IEnvironment, IKnownSamples
    {
        private readonly Dictionary<int, (double[] Scores, double[] Expected, double[] Features)> _users = [];
        private readonly Rng _rounds = Seeds.Stream(trialSeed, "user-choice/rounds");
        private readonly ulong _clickSeed = Seeds.Derive(trialSeed, "user-choice/clicks");
        private long _round;

        public EnvironmentInfo Info { get; } = info;

        public IReadOnlyList<KnownInteraction> KnownSamples { get; } = known;

        public Round Next()
        {
            var user = users[_rounds.NextInt(users.Length)];
            var (_, expected, features) = UserState(user);
            return new Round(new DecisionContext(_round++, user, features, catalog.All()), expected);
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

        private (double[] Scores, double[] Expected, double[] Features) UserState(int user)
        {
            if (!_users.TryGetValue(user, out var state))
            {
                var scores = new double[simulator.Features.ItemCount];
                simulator.Scores(user, scores);
                var features = new double[simulator.Features.UserDimension + 1];
                simulator.Features.User(user).CopyTo(features);
                features[^1] = 1.0;
                state = (scores, scores.Select(simulator.ExpectedReward).ToArray(), features);
                _users[user] = state;
            }
            return state;
        }
    }
}
