using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;

namespace Cobalt.Simulation.UserChoice;

/// <summary>How the simulator turns a score s = sigmoid(theta^T phi(u, i)) into a click.</summary>
public enum RewardMode
{
    /// <summary>y = 1{s >= THRES}: deterministic.</summary>
    Threshold,

    /// <summary>y = 1{s >= THRES}, flipped with probability p (the two-stage paper's simulator, p = 0.1).</summary>
    ThresholdWithFlips,

    /// <summary>y ~ Bernoulli(s).</summary>
    Bernoulli,
}

/// <summary>
/// The user-choice ("off-policy bandit") simulator of the two-stage paper: a logistic regression over
/// fixed user and item features, trained on logged interactions with inverse-propensity weights, whose
/// scores become rewards through a threshold (optionally flipped) or a Bernoulli draw. One simulator
/// judges every policy, so their results are comparable; it is saved to and loaded from a file.
/// </summary>
/// <remarks>Two-stage paper, section 4 "Off-Policy Bandit Simulator"; Schnabel et al. (2016) for IPS-weighted fitting.</remarks>
public sealed class UserChoiceSimulator
{
    private const string Kind = "user-choice-simulator";
    private readonly double[] _theta;

    /// <summary>Creates a simulator from its parts.</summary>
    public UserChoiceSimulator(string source, ChoiceFeatures features, double[] theta, double threshold, RewardMode mode, double flipProbability,
        int[] itemTopics, string[] topicNames, string[] itemTitles, int[] users, KnownInteraction[]? logged = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(itemTopics);
        ArgumentNullException.ThrowIfNull(itemTitles);
        ArgumentNullException.ThrowIfNull(users);
        if (theta.Length != features.Dimension)
        {
            throw new ArgumentException($"theta has {theta.Length} weights for {features.Dimension} pair features.", nameof(theta));
        }
        if (!(threshold is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold is a probability in [0, 1].");
        }
        if (!(flipProbability is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(flipProbability), flipProbability, "The flip probability is in [0, 1].");
        }
        if (itemTopics.Length != features.ItemCount || itemTitles.Length != features.ItemCount)
        {
            throw new ArgumentException("Topics and titles need one entry per item.", nameof(itemTopics));
        }
        if (users.Length == 0 || users.Any(u => u < 0 || u >= features.UserCount))
        {
            throw new ArgumentException("The simulator needs at least one user, each a valid user id.", nameof(users));
        }
        Source = source;
        Features = features;
        _theta = theta;
        Threshold = threshold;
        Mode = mode;
        FlipProbability = flipProbability;
        ItemTopics = itemTopics;
        TopicNames = topicNames;
        ItemTitles = itemTitles;
        Users = users;
        Logged = logged ?? [];
        if (Logged.Any(l => (uint)l.User >= (uint)features.UserCount || (uint)l.Item >= (uint)features.ItemCount))
        {
            throw new ArgumentException("A logged interaction names a user or item the simulator does not have.", nameof(logged));
        }
    }

    /// <summary>Where the training data came from.</summary>
    public string Source { get; }

    /// <summary>The fixed user and item features.</summary>
    public ChoiceFeatures Features { get; }

    /// <summary>The logistic regression's weights.</summary>
    public ReadOnlySpan<double> Theta => _theta;

    /// <summary>THRES: a score at or above it is a click (before flips).</summary>
    public double Threshold { get; }

    /// <summary>How scores become rewards.</summary>
    public RewardMode Mode { get; }

    /// <summary>Probability of flipping a thresholded reward.</summary>
    public double FlipProbability { get; }

    /// <summary>Topic of each item (-1 when it has none).</summary>
    public int[] ItemTopics { get; }

    /// <summary>Topic names.</summary>
    public string[] TopicNames { get; }

    /// <summary>Item titles (for text encoders).</summary>
    public string[] ItemTitles { get; }

    /// <summary>Users the simulator knows well enough to simulate (they have training data).</summary>
    public int[] Users { get; }

    /// <summary>The logged training interactions (in time order), from which trials draw their known samples.</summary>
    public KnownInteraction[] Logged { get; }

    /// <summary>The same simulator with other reward settings.</summary>
    public UserChoiceSimulator With(RewardMode mode, double flipProbability, double? threshold = null) =>
        new(Source, Features, _theta, threshold ?? Threshold, mode, flipProbability, ItemTopics, TopicNames, ItemTitles, Users, Logged);

    /// <summary>s = sigmoid(theta^T phi(u, i)) for every item, into <paramref name="scores"/>.</summary>
    public void Scores(int user, Span<double> scores)
    {
        var phi = new double[Features.Dimension];
        for (var item = 0; item < Features.ItemCount; item++)
        {
            Features.Write(user, item, phi);
            scores[item] = OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(_theta, phi));
        }
    }

    /// <summary>s = sigmoid(theta^T phi(u, i)).</summary>
    public double Score(int user, int item)
    {
        Span<double> phi = Features.Dimension <= 512 ? stackalloc double[Features.Dimension] : new double[Features.Dimension];
        Features.Write(user, item, phi);
        return OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(_theta, phi));
    }

    /// <summary>E[y | s]: 1{s >= T}; (1 - p) 1{s >= T} + p 1{s &lt; T} with flips; s for Bernoulli.</summary>
    public double ExpectedReward(double score) => Mode switch
    {
        RewardMode.Threshold => score >= Threshold ? 1 : 0,
        RewardMode.ThresholdWithFlips => score >= Threshold ? 1 - FlipProbability : FlipProbability,
        _ => score,
    };

    /// <summary>A reward drawn with the uniform number <paramref name="uniform"/> in [0, 1).</summary>
    public double DrawReward(double score, double uniform) => Mode switch
    {
        RewardMode.Threshold => score >= Threshold ? 1 : 0,
        RewardMode.ThresholdWithFlips => (score >= Threshold) ^ (uniform < FlipProbability) ? 1 : 0,
        _ => uniform < score ? 1 : 0,
    };

    /// <summary>Saves the simulator (checksummed state file, written atomically).</summary>
    public void Save(string path) => AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(Kind, Source), WriteState));

    /// <summary>Loads a simulator saved by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a simulator file, or damaged.</exception>
    public static UserChoiceSimulator Load(string path)
    {
        using var stream = File.OpenRead(path);
        var (header, state) = StateFile.Read(stream);
        using (state)
        {
            if (header.Kind != Kind)
            {
                throw new InvalidDataException($"{path} holds a '{header.Kind}', not a user-choice simulator.");
            }
            state.Tag(Kind);
            var features = ChoiceFeatures.ReadState(state);
            var theta = state.ReadDoubles("theta");
            var threshold = state.ReadDouble();
            var mode = (RewardMode)state.ReadInt32();
            var flip = state.ReadDouble();
            var topics = new int[features.ItemCount];
            state.ReadInto(topics, "item topics");
            var topicNames = Strings(state);
            var titles = Strings(state);
            var users = new int[state.ReadInt32()];
            state.ReadInto(users, "simulator users");
            var logged = new KnownInteraction[state.ReadInt32()];
            var columns = new int[logged.Length * 3];
            state.ReadInto(columns, "logged interactions");
            for (var i = 0; i < logged.Length; i++)
            {
                logged[i] = new KnownInteraction(columns[3 * i], columns[(3 * i) + 1], columns[(3 * i) + 2] != 0);
            }
            try
            {
                return new UserChoiceSimulator(header.Specification, features, theta, threshold, mode, flip, topics, topicNames, titles, users, logged);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}: the saved simulator is inconsistent: {e.Message}", e);
            }
        }
    }

    private void WriteState(StateWriter writer)
    {
        writer.Tag(Kind);
        Features.WriteState(writer);
        writer.Write(_theta);
        writer.Write(Threshold);
        writer.Write((int)Mode);
        writer.Write(FlipProbability);
        writer.Write(ItemTopics);
        Strings(writer, TopicNames);
        Strings(writer, ItemTitles);
        writer.Write(Users.Length);
        writer.Write(Users);
        writer.Write(Logged.Length);
        writer.Write(Logged.SelectMany(l => new[] { l.User, l.Item, l.Clicked ? 1 : 0 }).ToArray());
    }

    private static void Strings(StateWriter writer, string[] values)
    {
        writer.Write(values.Length);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    private static string[] Strings(StateReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0 || count > 1 << 26)
        {
            throw new InvalidDataException($"The simulator claims {count} strings.");
        }
        var values = new string[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = reader.ReadString();
        }
        return values;
    }
}
