using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Data;
using Cobalt.Data.Splits;

namespace Cobalt.Simulation.UserChoice;

/// <summary>Where a user-choice world cuts the logged data into history, training and validation.</summary>
public enum SplitRule
{
    /// <summary>The paper's dates (history before 2010-01-01, training to 2014-06-01) when they leave at least 100 validation-period users (a 100-user trial); else per-user time quantiles.</summary>
    Auto,

    /// <summary>The two-stage paper's MovieLens-20M dates (history before 2010-01-01, training to 2014-06-01).</summary>
    PaperDates,

    /// <summary>Each user's own interactions in time order: first 60 % history, next 20 % training, last 20 % validation (<see cref="TimeSplit.ByUserFraction"/>).</summary>
    UserQuantiles,
}

/// <summary>Options of the two-stage paper's trial protocol (what the recommender had logged, and which users play).</summary>
public sealed record TrialProtocolOptions : IValidatable
{
    /// <summary>How the data are split in time.</summary>
    [Description("auto (the paper's dates where they leave enough users, else user-quantiles), paper-dates (history before 2010, training to 2014-06) or user-quantiles (each user's own first 60 % of ratings history, next 20 % training, last 20 % validation).")]
    public SplitRule Split { get; init; } = SplitRule.Auto;

    /// <summary>Share of the training-period impressions (the log's first ones, trial users removed) offered for pre-training.</summary>
    [Description("Share of the training-period impressions, the first in the log's order (user by user, as the authors' behaviors file) without the trial's users, that policies may pre-train on (the authors' 20 %).")]
    public double PretrainShare { get; init; } = 0.2;

    /// <summary>Most validation impressions offered for choosing a pre-training checkpoint.</summary>
    [Description("Most validation-period impressions (of users outside the trial) offered to choose a pre-training checkpoint on.")]
    public int ValidationImpressions { get; init; } = 2000;

    /// <summary>How the logged ratings become MIND-style impressions.</summary>
    [Description("How the logged ratings become MIND-style impressions (1 positive and the user's own ratings below 4 as negatives).")]
    public MovieLensImpressionOptions Impressions { get; init; } = new();

    /// <summary>Seed of the round-to-user index sequence shared by every trial; 0 draws a new sequence per trial.</summary>
    [Description("Seed of the sequence of user positions shared by all trials, as the authors' np.random.seed(2022) before drawing each trial's users; 0: a fresh sequence per trial.")]
    public ulong SequenceSeed { get; init; } = 2022;

    /// <summary>Seed of the impression negatives.</summary>
    [Description("Seed of the negatives drawn for the logged impressions.")]
    public ulong Seed { get; init; } = 2021;

    /// <inheritdoc />
    public void Validate()
    {
        Require.Defined(Split, nameof(Split));
        Require.InRange(PretrainShare, 0, 1, nameof(PretrainShare));
        Require.AtLeast(ValidationImpressions, 0, nameof(ValidationImpressions));
        Require.Nested(Impressions, nameof(Impressions));
    }
}

/// <summary>
/// What a recommender had logged about a dataset's users, and how each trial uses it (the two-stage paper, section 4, as its
/// authors ran it: CB4Rec core/contextual_bandit.py and movielen2mind.ipynb @67f4029).
/// </summary>
/// <remarks>
/// Each trial draws its users from the validation-period users; they start with their pre-split positives as history. Policies
/// may pre-train on the first <see cref="TrialProtocolOptions.PretrainShare"/> of the training-period impressions (in the log's
/// order) of the other users and choose a checkpoint on their validation impressions.
/// </remarks>
public sealed class TrialProtocol
{
    private TrialProtocol(TrialProtocolOptions options, InteractionDataset data, TimeSplit split, MovieLensImpressions impressions, ObservedCatalogue catalogue)
    {
        Options = options;
        Data = data;
        Split = split;
        Impressions = impressions;
        Catalogue = catalogue;
    }

    /// <summary>The options.</summary>
    public TrialProtocolOptions Options { get; }

    /// <summary>The logged data.</summary>
    public InteractionDataset Data { get; }

    /// <summary>The time split used.</summary>
    public TimeSplit Split { get; }

    /// <summary>The logged impressions and histories.</summary>
    public MovieLensImpressions Impressions { get; }

    /// <summary>The items as policies see them.</summary>
    public ObservedCatalogue Catalogue { get; }

    /// <summary>Validation-period users the paper's dates must leave for <see cref="SplitRule.Auto"/> to keep them (a 100-user trial).</summary>
    public const int AutoMinimumUsers = 100;

    /// <summary>Users a trial may draw.</summary>
    public IReadOnlyList<int> Candidates => Impressions.ValidationUsers;

    /// <summary>Builds the protocol for <paramref name="data"/>.</summary>
    public static TrialProtocol Build(InteractionDataset data, TrialProtocolOptions options, ObservedCatalogue catalogue)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var split = ChooseSplit(data, options);
        var impressions = MovieLensImpressions.Build(data, split, Seeds.Stream(options.Seed, "user-choice/impressions"), options.Impressions);
        return new TrialProtocol(options, data, split, impressions, catalogue);
    }

    /// <summary>
    /// Draws trial <paramref name="trialSeed"/>'s users from <paramref name="candidates"/> (default <see cref="Candidates"/>) and
    /// what the recommender had logged for it.
    /// </summary>
    public (int[] Users, ObservedLog Log) Trial(ulong trialSeed, int usersPerTrial, IReadOnlyList<int>? candidates = null)
    {
        candidates ??= Candidates;
        if (candidates.Count == 0)
        {
            throw new OptionsException("users-per-trial", $"the split ({Split.Rule}) leaves no validation-period user to draw.");
        }
        var users = TrialSamples.Users(candidates, Math.Min(usersPerTrial, candidates.Count), Seeds.Stream(trialSeed, "user-choice/users"));
        var trialUsers = users.ToHashSet();
        var histories = users.Where(Impressions.InitialHistories.ContainsKey).ToDictionary(u => u, u => Impressions.InitialHistories[u]);
        var training = Impressions.Training;
        var pretraining = training.Take((int)Math.Floor(Options.PretrainShare * training.Count)).Where(i => !trialUsers.Contains(i.User)).ToArray();
        var validation = Impressions.Validation.Where(i => !trialUsers.Contains(i.User)).Take(Options.ValidationImpressions).ToArray();
        return (users, new ObservedLog(histories, pretraining, validation));
    }

    /// <summary>The split <paramref name="options"/> choose for <paramref name="data"/> (see <see cref="SplitRule"/>); simulators trained for a world must use it too.</summary>
    public static TimeSplit ChooseSplit(InteractionDataset data, TrialProtocolOptions options)
    {
        var (historyEnd, trainingEnd) = TimeSplit.PaperMovieLensDates;
        switch (options.Split)
        {
            case SplitRule.PaperDates:
                return TimeSplit.ByDate(data, historyEnd, trainingEnd);
            case SplitRule.UserQuantiles:
                return TimeSplit.ByUserFraction(data, 0.6, 0.2);
            default:
                var byDate = TimeSplit.ByDate(data, historyEnd, trainingEnd);
                var users = MovieLensImpressions.Build(data, byDate, Seeds.Stream(options.Seed, "user-choice/impressions"), options.Impressions).ValidationUsers.Length;
                return users >= AutoMinimumUsers ? byDate : TimeSplit.ByUserFraction(data, 0.6, 0.2);
        }
    }
}
