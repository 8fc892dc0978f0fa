using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Simulation.UserChoice;

/// <summary>How a user-choice simulator answers, kept inside the world: a score per item for a user, and clicks from scores.</summary>
internal interface IClickModel
{
    /// <summary>Writes the simulator's score of every item for <paramref name="user"/>.</summary>
    void Scores(int user, Span<double> scores);

    /// <summary>Expected reward of an item with this score.</summary>
    double ExpectedReward(double score);

    /// <summary>The reward drawn for this score with uniform number <paramref name="uniform"/>.</summary>
    double DrawReward(double score, double uniform);
}

/// <summary>
/// One trial of a user-choice world. Policies see only the <see cref="ObservedCatalogue"/> (titles, topics, title word vectors),
/// the user's id and profile, and the <see cref="IObservedLog"/>; the click model stays private to this class.
/// </summary>
/// <remarks>
/// Round t's user is <c>users[sequence[t]]</c>; with a sequence seed fixed across trials every trial replays the same index
/// sequence over its own user set, as the authors' loop draws <c>np.random.choice(user_set, T)</c> after
/// <c>np.random.seed(2022)</c> in every trial (CB4Rec core/contextual_bandit.py @67f4029).
/// </remarks>
internal sealed class ObservedEnvironment : IEnvironment, IObservedLog, IKnownSamples
{
    private readonly IClickModel _clicks;
    private readonly ObservedCatalogue _items;
    private readonly int[] _users;
    private readonly Rng _sequence;
    private readonly ulong _clickSeed;
    private readonly Dictionary<int, (double[] Scores, double[] Expected, double[] Profile)> _states = [];
    private long _round;

    public ObservedEnvironment(IClickModel clicks, ObservedCatalogue items, int[] users, EnvironmentInfo info, ulong trialSeed, ulong? sequenceSeed, ObservedLog log)
    {
        _clicks = clicks;
        _items = items;
        _users = users;
        Info = info;
        _sequence = sequenceSeed is { } fixedSeed ? new Rng(fixedSeed) : Seeds.Stream(trialSeed, "user-choice/rounds");
        _clickSeed = Seeds.Derive(trialSeed, "user-choice/clicks");
        InitialHistories = log.InitialHistories;
        PretrainingImpressions = log.PretrainingImpressions;
        ValidationImpressions = log.ValidationImpressions;
        KnownSamples = [.. log.PretrainingImpressions.SelectMany(i => i.Negatives.Select(n => new KnownInteraction(i.User, n, false)).Prepend(new KnownInteraction(i.User, i.Positive, true)))];
    }

    public EnvironmentInfo Info { get; }

    public IReadOnlyDictionary<int, int[]> InitialHistories { get; }

    public IReadOnlyList<LoggedImpression> PretrainingImpressions { get; }

    public IReadOnlyList<LoggedImpression> ValidationImpressions { get; }

    public IReadOnlyList<KnownInteraction> KnownSamples { get; }

    public Round Next()
    {
        var user = _users[_sequence.NextInt(_users.Length)];
        var (_, expected, profile) = State(user);
        return new Round(new DecisionContext(_round++, user, profile, _items.Catalog.All()), expected);
    }

    public void Respond(Round round, Decision decision, Span<double> rewards)
    {
        var scores = State(round.Context.UserId).Scores;
        for (var i = 0; i < decision.Slots.Count; i++)
        {
            var item = decision.Slots[i].ActionId;
            rewards[i] = _clicks.DrawReward(scores[item], Seeds.Uniform(_clickSeed, round.Context.Round, item));
        }
    }

    private (double[] Scores, double[] Expected, double[] Profile) State(int user)
    {
        if (!_states.TryGetValue(user, out var state))
        {
            var scores = new double[_items.Catalog.Count];
            _clicks.Scores(user, scores);
            var expected = new double[scores.Length];
            for (var i = 0; i < scores.Length; i++)
            {
                expected[i] = _clicks.ExpectedReward(scores[i]);
            }
            state = (scores, expected, _items.Profile(InitialHistories.TryGetValue(user, out var history) ? history : []));
            _states[user] = state;
        }
        return state;
    }
}
