using Cobalt.Core.Randomness;

namespace Cobalt.Data.Splits;

/// <summary>
/// Interactions split by date, not by user (as MIND and the two-stage paper do): history before
/// <see cref="HistoryEnd"/>, training until <see cref="TrainingEnd"/>, validation after.
/// </summary>
/// <param name="History">Interaction indices before the history end.</param>
/// <param name="Training">Interaction indices in [history end, training end).</param>
/// <param name="Validation">Interaction indices at or after the training end.</param>
/// <param name="HistoryEnd">First instant of the training period.</param>
/// <param name="TrainingEnd">First instant of the validation period.</param>
public sealed record TimeSplit(int[] History, int[] Training, int[] Validation, DateTimeOffset HistoryEnd, DateTimeOffset TrainingEnd)
{
    /// <summary>The two-stage paper's MovieLens-20M dates: history to 2010-01-01, training to 2014-06-01, validation after.</summary>
    public static readonly (DateTimeOffset HistoryEnd, DateTimeOffset TrainingEnd) PaperMovieLensDates =
        (new DateTimeOffset(2010, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2014, 6, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Splits <paramref name="dataset"/> at the two dates (each interaction in time order within its part).</summary>
    public static TimeSplit ByDate(InteractionDataset dataset, DateTimeOffset historyEnd, DateTimeOffset trainingEnd)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (trainingEnd < historyEnd)
        {
            throw new ArgumentException($"The training end {trainingEnd:yyyy-MM-dd} is before the history end {historyEnd:yyyy-MM-dd}.", nameof(trainingEnd));
        }
        long h = historyEnd.ToUnixTimeSeconds(), t = trainingEnd.ToUnixTimeSeconds();
        var order = Enumerable.Range(0, dataset.Count).OrderBy(i => dataset.Timestamps[i]).ThenBy(i => i).ToArray();
        return new TimeSplit(
            order.Where(i => dataset.Timestamps[i] < h).ToArray(),
            order.Where(i => dataset.Timestamps[i] >= h && dataset.Timestamps[i] < t).ToArray(),
            order.Where(i => dataset.Timestamps[i] >= t).ToArray(),
            historyEnd,
            trainingEnd);
    }

    /// <summary>Splits at the dates below which the given fractions of interactions fall (for data whose span the paper's dates do not fit).</summary>
    public static TimeSplit ByFraction(InteractionDataset dataset, double historyFraction, double trainingFraction)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(historyFraction >= 0 && trainingFraction >= 0 && historyFraction + trainingFraction <= 1))
        {
            throw new ArgumentException("The history and training fractions must be non-negative and sum to at most 1.", nameof(historyFraction));
        }
        if (dataset.Count == 0)
        {
            throw new ArgumentException("The dataset has no interactions to split.", nameof(dataset));
        }
        var times = dataset.Timestamps.Order().ToArray();
        long At(double q) => times[Math.Clamp((int)Math.Floor(q * times.Length), 0, times.Length - 1)];
        var historyEnd = historyFraction >= 1 ? times[^1] + 1 : At(historyFraction);
        var trainingEnd = historyFraction + trainingFraction >= 1 ? times[^1] + 1 : At(historyFraction + trainingFraction);
        return ByDate(dataset, DateTimeOffset.FromUnixTimeSeconds(historyEnd), DateTimeOffset.FromUnixTimeSeconds(trainingEnd));
    }
    /// <summary>How the split was made, for reports (dates, or each user's own quantiles).</summary>
    public string Rule { get; init; } = $"by date: history before {HistoryEnd:yyyy-MM-dd}, training before {TrainingEnd:yyyy-MM-dd}, validation after";

    /// <summary>Whether the split is per user (<see cref="ByUserFraction"/>): then <see cref="HistoryEnd"/> and <see cref="TrainingEnd"/> are not cut dates.</summary>
    public bool PerUser { get; init; }

    /// <summary>
    /// Splits each user's own interactions in time order: the first <paramref name="historyFraction"/> of a user's interactions
    /// (rounded down) are history, the next <paramref name="trainingFraction"/> training (the cut rounded down), the rest validation.
    /// </summary>
    /// <remarks>
    /// For data whose users rate in short bursts, such as ml-latest-small: there global cut dates leave almost no user with
    /// interactions on both sides of a cut (at the 60 % / 80 % time quantiles only 6 of 610 users have a history, training and
    /// validation positives), while per-user cuts keep the protocol's shape, history then training then validation in time,
    /// for every user. <see cref="HistoryEnd"/> and <see cref="TrainingEnd"/> are then the global time quantiles at the same
    /// fractions, for orientation only; <see cref="Rule"/> says what was done.
    /// </remarks>
    public static TimeSplit ByUserFraction(InteractionDataset dataset, double historyFraction, double trainingFraction)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(historyFraction >= 0 && trainingFraction >= 0 && historyFraction + trainingFraction <= 1))
        {
            throw new ArgumentException("The history and training fractions must be non-negative and sum to at most 1.", nameof(historyFraction));
        }
        if (dataset.Count == 0)
        {
            throw new ArgumentException("The dataset has no interactions to split.", nameof(dataset));
        }
        var byUser = Enumerable.Range(0, dataset.Count)
            .OrderBy(i => dataset.InteractionUsers[i]).ThenBy(i => dataset.Timestamps[i]).ThenBy(i => i)
            .GroupBy(i => dataset.InteractionUsers[i]);
        List<int> history = [], training = [], validation = [];
        foreach (var user in byUser)
        {
            var items = user.ToArray();
            var h = (int)Math.Floor(historyFraction * items.Length);
            var t = (int)Math.Floor((historyFraction + trainingFraction) * items.Length);
            history.AddRange(items[..h]);
            training.AddRange(items[h..t]);
            validation.AddRange(items[t..]);
        }
        int[] InTimeOrder(List<int> part) => [.. part.OrderBy(i => dataset.Timestamps[i]).ThenBy(i => i)];
        var times = dataset.Timestamps.Order().ToArray();
        DateTimeOffset At(double q) => DateTimeOffset.FromUnixTimeSeconds(times[Math.Clamp((int)Math.Floor(q * times.Length), 0, times.Length - 1)]);
        return new TimeSplit(InTimeOrder(history), InTimeOrder(training), InTimeOrder(validation), At(historyFraction), At(historyFraction + trainingFraction))
        {
            PerUser = true,
            Rule = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"per user in time order: each user's first {historyFraction:P0} of interactions history, the next {trainingFraction:P0} training, the rest validation"),
        };
    }
}

/// <summary>
/// The two-stage paper's per-trial setup: a random set of users for the trial, and the "known samples",
/// a random epsilon share of the training interactions with the trial's users removed (so nothing about
/// the evaluated users leaks into pre-training).
/// </summary>
public static class TrialSamples
{
    /// <summary>Draws <paramref name="count"/> distinct users from <paramref name="candidates"/>.</summary>
    public static int[] Users(IReadOnlyList<int> candidates, int count, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(rng);
        if (count < 1 || count > candidates.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Choose between 1 and {candidates.Count} users.");
        }
        var pool = candidates.ToArray();
        rng.Shuffle(pool.AsSpan());
        return pool[..count];
    }

    /// <summary>A random <paramref name="epsilon"/> share (0 to 1) of <paramref name="training"/>, without interactions of <paramref name="trialUsers"/>.</summary>
    public static int[] Known(InteractionDataset dataset, IReadOnlyList<int> training, double epsilon, IReadOnlyCollection<int> trialUsers, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(epsilon >= 0 && epsilon <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon is a share between 0 and 1.");
        }
        var excluded = trialUsers.ToHashSet();
        return training.Where(i => !excluded.Contains(dataset.InteractionUsers[i]) && rng.NextDouble() < epsilon).ToArray();
    }
}
