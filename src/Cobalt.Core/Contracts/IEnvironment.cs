using Cobalt.Core.Data;

namespace Cobalt.Core.Contracts;

/// <summary>What a policy needs to know about an environment to be built for it.</summary>
/// <param name="Name">Display name.</param>
/// <param name="ActionCount">Number of distinct actions (arms or catalogue items).</param>
/// <param name="ItemFeatureDimension">Dimension of candidate feature rows.</param>
/// <param name="UserFeatureDimension">Dimension of user features (0 when there are none).</param>
/// <param name="BinaryRewards">True when rewards are clicks (0 or 1).</param>
public sealed record EnvironmentInfo(string Name, int ActionCount, int ItemFeatureDimension, int UserFeatureDimension, bool BinaryRewards);

/// <summary>
/// A simulated world: produces rounds (a context with its ground truth) and rewards for the
/// actions shown. Rewards depend only on the round and the action, never on which policy asks,
/// so policies played against copies of one environment see common random numbers.
/// </summary>
public interface IEnvironment
{
    /// <summary>Dimensions and kind of the world.</summary>
    EnvironmentInfo Info { get; }

    /// <summary>The next round.</summary>
    Round Next();

    /// <summary>Writes the realised reward of every slot of <paramref name="decision"/> (made in <paramref name="round"/>).</summary>
    void Respond(Round round, Decision decision, Span<double> rewards);
}

/// <summary>Builds the environment of one trial; every policy of the trial gets its own copy from the same seed.</summary>
public interface IWorld
{
    /// <summary>Dimensions and kind of the world.</summary>
    EnvironmentInfo Info { get; }

    /// <summary>An environment whose users, contexts and reward noise are fixed by <paramref name="trialSeed"/>.</summary>
    IEnvironment Create(ulong trialSeed);
}

/// <summary>A logged interaction a policy may learn from before it starts (the two-stage paper's "known samples").</summary>
/// <param name="User">User id.</param>
/// <param name="Item">Item id.</param>
/// <param name="Clicked">Whether it was positive.</param>
public readonly record struct KnownInteraction(int User, int Item, bool Clicked);

/// <summary>An environment that offers logged interactions of users other than the trial's, for pre-training representations.</summary>
public interface IKnownSamples
{
    /// <summary>The known samples, oldest first.</summary>
    IReadOnlyList<KnownInteraction> KnownSamples { get; }
}

/// <summary>
/// A logged impression in the MIND format: a user with the history a recommender had logged for them, one clicked item and the
/// items shown beside it that were not clicked (the two-stage paper's pre-training and validation data).
/// </summary>
/// <param name="User">User id.</param>
/// <param name="History">The user's logged positives before the impression, oldest first (shared, never copied).</param>
/// <param name="Positive">The clicked item.</param>
/// <param name="Negatives">Items of the same impression that were not clicked.</param>
public sealed record LoggedImpression(int User, int[] History, int Positive, int[] Negatives);

/// <summary>
/// What a deployed recommender has logged before a trial starts, offered by a world to its policies: the trial users' initial
/// histories and impressions of other users to pre-train and validate representations on. Never the simulator's parameters.
/// </summary>
public interface IObservedLog
{
    /// <summary>Each trial user's logged positives before the trial (oldest first); users without a history are absent.</summary>
    IReadOnlyDictionary<int, int[]> InitialHistories { get; }

    /// <summary>Impressions of users outside the trial to pre-train on, oldest first.</summary>
    IReadOnlyList<LoggedImpression> PretrainingImpressions { get; }

    /// <summary>Impressions of users outside the trial to choose a pre-training checkpoint on.</summary>
    IReadOnlyList<LoggedImpression> ValidationImpressions { get; }
}

/// <summary>
/// The data of an <see cref="IObservedLog"/> and nothing else: what a policy is handed, so that it cannot reach the environment
/// (and through it the simulator) that offered the log.
/// </summary>
public sealed record ObservedLog(
    IReadOnlyDictionary<int, int[]> InitialHistories,
    IReadOnlyList<LoggedImpression> PretrainingImpressions,
    IReadOnlyList<LoggedImpression> ValidationImpressions) : IObservedLog
{
    /// <summary>A data-only copy of <paramref name="log"/> (the collections are shared, not copied).</summary>
    public static ObservedLog From(IObservedLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log as ObservedLog ?? new ObservedLog(log.InitialHistories, log.PretrainingImpressions, log.ValidationImpressions);
    }
}
