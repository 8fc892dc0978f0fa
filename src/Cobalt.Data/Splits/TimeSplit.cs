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
