using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;

namespace Cobalt.Data.Splits;

/// <summary>Options of <see cref="MovieLensImpressions.Build"/>.</summary>
public sealed record MovieLensImpressionOptions : IValidatable
{
    /// <summary>
    /// Negatives per impression (CB4Rec movielen2mind.ipynb neg_num = 20 @67f4029; the simulator's trainer then draws
    /// sim_npratio = 4 of them per step, see the trainer).
    /// </summary>
    [Description("Negatives per impression (20 as coded in movielen2mind.ipynb; the simulator trainer draws 4 of them per step).")]
    public int Negatives { get; init; } = 20;

    /// <summary>
    /// Share of the validation-period impressions kept as validation impressions (CB4Rec: train_test_split(test_lines,
    /// test_size=0.2) and the 20 % "valid" part trains nothing but selects the simulator's checkpoint); 1 keeps them all.
    /// </summary>
    [Description("Share of validation-period impressions kept (0.2 as coded: the notebook's 20 % valid split of the test lines).")]
    public double ValidationShare { get; init; } = 0.2;

    /// <inheritdoc />
    public void Validate()
    {
        Require.AtLeast(Negatives, 1, nameof(Negatives));
        if (!(ValidationShare > 0 && ValidationShare <= 1))
        {
            throw new OptionsException(Names.Kebab(nameof(ValidationShare)), $"must be above 0 and at most 1 (got {ValidationShare}).");
        }
    }
}

/// <summary>
/// MovieLens ratings turned into MIND-style impressions as the two-stage paper's authors did (CB4Rec movielen2mind.ipynb
/// @67f4029), over a <see cref="TimeSplit"/> chosen by the caller.
/// </summary>
/// <remarks>
/// <para>Per user: the history is the positives (rating at or above the dataset's threshold, 4) of the history period, oldest
/// first. A user is eligible when they rated something in the history period and in the validation period and have at least one
/// positive in the training period and one in the validation period (the notebook's filter on min/max date and non-empty
/// train/test positives).</para>
/// <para>Training impressions: one per training-period positive (in time order), with <see cref="MovieLensImpressionOptions.Negatives"/>
/// negatives drawn with replacement from the user's own training-period ratings below the threshold (np.random.choice), or, when
/// the user has none, drawn without replacement uniformly from the catalogue items that are none of the user's positives of any
/// period. History = the history-period positives.</para>
/// <para>Validation impressions: likewise from the validation period, with history = history-period positives followed by the
/// training-period positives; then a random <see cref="MovieLensImpressionOptions.ValidationShare"/> of them is kept (the
/// notebook's 20 % "valid" split, in their original order).</para>
/// <para>Differences from the notebook: item ids are the dataset's (0-based, no padding item 0); the notebook's date filter keeps a
/// user whose first rating falls exactly on the history end, here such a user has no history-period rating and is dropped.</para>
/// </remarks>
public sealed class MovieLensImpressions
{
    private MovieLensImpressions(int[] eligibleUsers, IReadOnlyDictionary<int, int[]> initialHistories, IReadOnlyList<LoggedImpression> training,
        IReadOnlyList<LoggedImpression> validation, int[] validationUsers)
    {
        EligibleUsers = eligibleUsers;
        InitialHistories = initialHistories;
        Training = training;
        Validation = validation;
        ValidationUsers = validationUsers;
    }

    /// <summary>Eligible users, ascending.</summary>
    public int[] EligibleUsers { get; }

    /// <summary>Each eligible user's history-period positives, oldest first (possibly empty).</summary>
    public IReadOnlyDictionary<int, int[]> InitialHistories { get; }

    /// <summary>Training-period impressions, user by user (ascending), each user's in time order.</summary>
    public IReadOnlyList<LoggedImpression> Training { get; }

    /// <summary>The kept validation-period impressions.</summary>
    public IReadOnlyList<LoggedImpression> Validation { get; }

    /// <summary>
    /// Users with a validation-period impression (before the <see cref="MovieLensImpressionOptions.ValidationShare"/> subsample), ascending:
    /// the users trials are drawn from (the authors' cb_val_users).
    /// </summary>
    public int[] ValidationUsers { get; }

    /// <summary>Builds the impressions of <paramref name="dataset"/> over <paramref name="split"/>, drawing negatives from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentException">The split names an interaction outside the dataset.</exception>
    public static MovieLensImpressions Build(InteractionDataset dataset, TimeSplit split, Rng rng, MovieLensImpressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(rng);
        options ??= new MovieLensImpressionOptions();
        options.Validate();
        var users = dataset.Users.Count;
        var history = Bucket(dataset, split.History, users, nameof(split.History));
        var training = Bucket(dataset, split.Training, users, nameof(split.Training));
        var validation = Bucket(dataset, split.Validation, users, nameof(split.Validation));
        var eligible = new List<int>();
        var histories = new Dictionary<int, int[]>();
        var trainingImpressions = new List<LoggedImpression>();
        var validationImpressions = new List<LoggedImpression>();
        var catalogue = dataset.Items.Count;
        var excluded = new bool[catalogue];
        var allowed = new int[catalogue];
        for (var u = 0; u < users; u++)
        {
            if (history[u].Count == 0 || validation[u].Count == 0)
            {
                continue;
            }
            var (historyPositives, _) = Partition(dataset, history[u]);
            var (trainingPositives, trainingNegatives) = Partition(dataset, training[u]);
            var (validationPositives, validationNegatives) = Partition(dataset, validation[u]);
            if (trainingPositives.Length == 0 || validationPositives.Length == 0)
            {
                continue;
            }
            eligible.Add(u);
            histories[u] = historyPositives;
            // Catalogue fallback: every item but the user's positives of all three periods.
            Array.Clear(excluded);
            foreach (var i in historyPositives.Concat(trainingPositives).Concat(validationPositives))
            {
                excluded[i] = true;
            }
            var allowedCount = 0;
            for (var i = 0; i < catalogue; i++)
            {
                if (!excluded[i])
                {
                    allowed[allowedCount++] = i;
                }
            }
            foreach (var positive in trainingPositives)
            {
                trainingImpressions.Add(new LoggedImpression(u, historyPositives, positive, Negatives(trainingNegatives, allowed.AsSpan(0, allowedCount), options.Negatives, rng)));
            }
            int[] validationHistory = [.. historyPositives, .. trainingPositives];
            foreach (var positive in validationPositives)
            {
                validationImpressions.Add(new LoggedImpression(u, validationHistory, positive, Negatives(validationNegatives, allowed.AsSpan(0, allowedCount), options.Negatives, rng)));
            }
        }
        var validationUsers = validationImpressions.Select(i => i.User).Distinct().Order().ToArray();
        return new MovieLensImpressions([.. eligible], histories, trainingImpressions, Subsample(validationImpressions, options.ValidationShare, rng), validationUsers);
    }

    /// <summary>Interaction indices per user, in the split's (time) order.</summary>
    private static List<int>[] Bucket(InteractionDataset dataset, int[] indices, int users, string part)
    {
        ArgumentNullException.ThrowIfNull(indices, part);
        var buckets = new List<int>[users];
        for (var u = 0; u < users; u++)
        {
            buckets[u] = [];
        }
        foreach (var i in indices)
        {
            if ((uint)i >= (uint)dataset.Count)
            {
                throw new ArgumentException($"The split's {part} part names interaction {i}; the dataset has {dataset.Count}.", nameof(indices));
            }
            buckets[dataset.InteractionUsers[i]].Add(i);
        }
        return buckets;
    }

    private static (int[] Positives, int[] Negatives) Partition(InteractionDataset dataset, List<int> interactions) =>
        ([.. interactions.Where(dataset.IsPositive).Select(i => dataset.InteractionItems[i])],
         [.. interactions.Where(i => !dataset.IsPositive(i)).Select(i => dataset.InteractionItems[i])]);

    /// <summary>
    /// <paramref name="count"/> draws with replacement from the user's own negatives; without any, draws without replacement from
    /// <paramref name="allowed"/> (reordered in place; as many as it holds when fewer).
    /// </summary>
    private static int[] Negatives(int[] own, Span<int> allowed, int count, Rng rng)
    {
        if (own.Length > 0)
        {
            var drawn = new int[count];
            for (var k = 0; k < count; k++)
            {
                drawn[k] = own[rng.NextInt(own.Length)];
            }
            return drawn;
        }
        var take = Math.Min(count, allowed.Length);
        var result = new int[take];
        for (var k = 0; k < take; k++)
        {
            var j = k + rng.NextInt(allowed.Length - k);
            (allowed[k], allowed[j]) = (allowed[j], allowed[k]);
            result[k] = allowed[k];
        }
        return result;
    }

    /// <summary>A random <paramref name="share"/> of <paramref name="impressions"/> (rounded up, at least one when any), in their order.</summary>
    private static List<LoggedImpression> Subsample(List<LoggedImpression> impressions, double share, Rng rng)
    {
        if (share >= 1 || impressions.Count == 0)
        {
            return impressions;
        }
        var keep = Math.Max(1, (int)Math.Ceiling(share * impressions.Count));
        var order = Enumerable.Range(0, impressions.Count).ToArray();
        rng.Shuffle(order.AsSpan());
        return [.. order.Take(keep).Order().Select(i => impressions[i])];
    }
}
