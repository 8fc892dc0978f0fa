using System.Collections.Concurrent;
using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Data;
using Cobalt.Neural.Text;

namespace Cobalt.Simulation.UserChoice;

/// <summary>Which clicked history the NRMS-IPS simulator scores a user with.</summary>
public enum SimulatorHistory
{
    /// <summary>
    /// None: an all-padding history, so every user gets the same rewards (as the authors ran it: CB4Rec core/contextual_bandit.py
    /// @67f4029 hands the initial histories to the learners only; the simulator's own history stays empty).
    /// </summary>
    Empty,

    /// <summary>The user's logged positives before the trial, the personalised world the authors evidently meant (a user without any scores as with <see cref="Empty"/>).</summary>
    User,
}

/// <summary>Options of <see cref="NrmsIpsWorld"/>.</summary>
public sealed record NrmsIpsWorldOptions : IValidatable
{
    /// <summary>A MovieLens folder; empty is the shipped ml-latest-small.</summary>
    [Description("MovieLens folder the simulator is trained on and the users come from; empty uses the shipped data/movielens-latest-small.")]
    public string Data { get; init; } = string.Empty;

    /// <summary>A simulator saved by <c>cobalt simulator train --kind nrms-ips</c>; empty trains one (once per process).</summary>
    [Description("A simulator saved by `cobalt simulator train --kind nrms-ips` on the same data and split; empty trains one with `training` (once per process).")]
    public string Simulator { get; init; } = string.Empty;

    /// <summary>Word vectors for titles (GloVe text or the wink JSON); empty is the shipped 100-d subset.</summary>
    [Description("Word vectors (GloVe text file or wink-embeddings JSON) for the titles; empty uses the shipped data/glove-100d subset.")]
    public string Vectors { get; init; } = string.Empty;

    /// <summary>Which history the simulator scores users with.</summary>
    [Description("empty (an all-padding history: rewards depend on the item alone, as the authors ran it) or user (the user's logged positives before the trial).")]
    public SimulatorHistory History { get; init; } = SimulatorHistory.Empty;

    /// <summary>Users drawn for each trial.</summary>
    [Description("Users drawn for each trial from the validation-period users (the paper: 10, 100, 1,000).")]
    public int UsersPerTrial { get; init; } = 100;

    /// <summary>How the simulator is trained when none is given.</summary>
    [Description("Simulator training options (when no saved simulator is given).")]
    public NrmsIpsOptions Training { get; init; } = new();

    /// <summary>The trial protocol.</summary>
    [Description("The trial protocol: time split, pre-training share, user sequence.")]
    public TrialProtocolOptions Protocol { get; init; } = new();

    /// <inheritdoc />
    public void Validate()
    {
        Require.Defined(History, nameof(History));
        Require.AtLeast(UsersPerTrial, 1, nameof(UsersPerTrial));
        if (Simulator.Length > 0 && !File.Exists(Simulator))
        {
            throw new OptionsException(Names.Kebab(nameof(Simulator)), $"the file '{Simulator}' does not exist.");
        }
        if (Data.Length > 0 && !InteractionReader.CanRead(Data))
        {
            throw new OptionsException(Names.Kebab(nameof(Data)), $"'{Data}' holds no MovieLens files.");
        }
        Require.Nested(Training, nameof(Training));
        Require.Nested(Protocol, nameof(Protocol));
    }
}

/// <summary>
/// The two-stage paper's world as its authors ran it: the NRMS user-choice simulator trained with empirical inverse propensities
/// (CB4Rec algorithms/nrms_sim.py @67f4029) decides clicks, 1{sigmoid(score) > THRES} flipped with probability 0.1. Policies see
/// the <see cref="ObservedCatalogue"/> (titles, genres, GloVe title vectors), user ids with their history profile, and the
/// <see cref="IObservedLog"/>; the simulator stays inside.
/// </summary>
public sealed class NrmsIpsWorld : IWorld
{
    private static readonly ConcurrentDictionary<string, Lazy<Shared>> Loaded = new();
    private readonly NrmsIpsWorldOptions _options;
    private readonly Lazy<Shared> _state;

    /// <summary>Creates the world; data, protocol and simulator are built on first use, at most once per process for the same options.</summary>
    public NrmsIpsWorld(NrmsIpsWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        var key = string.Join('|', Path.GetFullPath(DataFolder(options)), options.Simulator, options.Vectors, OptionsBinder.ToJson(options.Training), OptionsBinder.ToJson(options.Protocol));
        _state = Loaded.GetOrAdd(key, _ => new Lazy<Shared>(() => Load(options)));
    }

    /// <summary>The trial protocol (split, impressions, catalogue) the world uses.</summary>
    public TrialProtocol Protocol => _state.Value.Protocol;

    /// <summary>A description of the simulator for reports (threshold, share of good items), never the simulator itself.</summary>
    public string SimulatorSummary
    {
        get
        {
            var simulator = _state.Value.Simulator;
            var good = _state.Value.EmptyHistoryScores.Count(simulator.Good);
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"NRMS-IPS ({simulator.Source}), reward 1{{sigmoid(score) > {simulator.Threshold:0.######}}} flipped with probability {simulator.FlipProbability}; with an empty history {good:N0} of {simulator.ItemCount:N0} items ({(double)good / simulator.ItemCount:P1}) are good");
        }
    }

    /// <inheritdoc />
    public EnvironmentInfo Info => new("nrms-ips", Protocol.Catalogue.Catalog.Count, Protocol.Catalogue.Catalog.Dimension, Protocol.Catalogue.UserDimension, BinaryRewards: true);

    /// <inheritdoc />
    public IEnvironment Create(ulong trialSeed)
    {
        var (users, log) = Protocol.Trial(trialSeed, _options.UsersPerTrial);
        var sequence = Protocol.Options.SequenceSeed == 0 ? (ulong?)null : Protocol.Options.SequenceSeed;
        return new ObservedEnvironment(new Clicks(this, log.InitialHistories), Protocol.Catalogue, users, Info, trialSeed, sequence, log);
    }

    /// <summary>Where the shipped simulator lives under the repository.</summary>
    public static readonly string ShippedSimulatorPath = Path.Combine("data", "simulators", "nrms-ips-movielens-latest-small.bin");

    /// <summary>
    /// The shipped simulator (trained by <c>cobalt simulator train --kind nrms-ips --out data/simulators/nrms-ips-movielens-latest-small.bin</c>
    /// on the shipped MovieLens with the default options and split) when <paramref name="options"/> ask for exactly that, else null.
    /// </summary>
    public static string? ShippedSimulatorFor(NrmsIpsWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Data.Length > 0 || options.Vectors.Length > 0 || OptionsBinder.ToJson(options.Training) != OptionsBinder.ToJson(new NrmsIpsOptions()) || OptionsBinder.ToJson(options.Protocol) != OptionsBinder.ToJson(new TrialProtocolOptions()))
        {
            return null;
        }
        var movieLens = new DirectoryInfo(UserChoiceWorld.ShippedMovieLens());
        var file = Path.Combine(movieLens.Parent!.Parent!.FullName, ShippedSimulatorPath);
        return File.Exists(file) ? file : null;
    }

    private static string DataFolder(NrmsIpsWorldOptions options) => options.Data.Length > 0 ? options.Data : UserChoiceWorld.ShippedMovieLens();

    private static Shared Load(NrmsIpsWorldOptions options)
    {
        var data = InteractionReader.Read(DataFolder(options));
        var protocol = TrialProtocol.Build(data, options.Protocol, ObservedCatalogue.Build(data, options.Vectors.Length > 0 ? options.Vectors : ShippedWordVectors.Find()));
        var saved = options.Simulator.Length > 0 ? options.Simulator : ShippedSimulatorFor(options);
        var simulator = saved is not null
            ? NrmsIpsSimulator.Load(saved)
            : NrmsIpsTrainer.Train(data, protocol.Split, options.Training, NrmsIpsTrainer.DefaultSeed).Simulator;
        if (simulator.ItemCount != data.Items.Count)
        {
            throw new OptionsException(Names.Kebab(nameof(NrmsIpsWorldOptions.Simulator)), $"'{options.Simulator}' scores {simulator.ItemCount} items; the data has {data.Items.Count}.");
        }
        return new Shared(protocol, simulator);
    }

    /// <summary>What every world of the same options shares: the protocol, the simulator, and the users' scores (computed once).</summary>
    private sealed class Shared(TrialProtocol protocol, NrmsIpsSimulator simulator)
    {
        private readonly ConcurrentDictionary<int, Lazy<double[]>> _userScores = new();
        private readonly Lock _gate = new();
        private double[]? _emptyHistory;

        public TrialProtocol Protocol { get; } = protocol;

        public NrmsIpsSimulator Simulator { get; } = simulator;

        /// <summary>The scores of every item for the all-padding history (the same for every user).</summary>
        public double[] EmptyHistoryScores => _emptyHistory ??= Scores([]);

        /// <summary>A user's scores under their logged history, which is the same in every trial.</summary>
        public double[] UserScores(int user, int[] history) => _userScores.GetOrAdd(user, _ => new Lazy<double[]>(() => Scores(history))).Value;

        /// <summary>The simulator's scores of every item for <paramref name="history"/>; its network is not thread-safe, so one at a time.</summary>
        private double[] Scores(int[] history)
        {
            var scores = new double[Simulator.ItemCount];
            lock (_gate)
            {
                Simulator.Scores(Simulator.UserVector(history), scores);
            }
            return scores;
        }
    }

    private sealed class Clicks(NrmsIpsWorld world, IReadOnlyDictionary<int, int[]> histories) : IClickModel
    {
        private readonly Shared _state = world._state.Value;

        public void Scores(int user, Span<double> scores)
        {
            var source = world._options.History == SimulatorHistory.Empty || !histories.TryGetValue(user, out var history)
                ? _state.EmptyHistoryScores
                : _state.UserScores(user, history);
            source.CopyTo(scores);
        }

        public double ExpectedReward(double score) => _state.Simulator.ExpectedReward(score);

        public double DrawReward(double score, double uniform) => _state.Simulator.DrawReward(score, uniform) ? 1 : 0;
    }
}
