using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;

namespace Cobalt.Neural.Tests;

/// <summary>
/// A small synthetic news world: items in topics whose titles mix topic words with filler words, and users who click
/// the items of one favourite topic. A model that learns that a user's history and a clicked item share words
/// ranks the favourite topic's items first.
/// </summary>
internal sealed class SyntheticNews
{
    public const int Topics = 6;
    public const int ItemsPerTopic = 15;
    private const int WordsPerTopic = 8;
    private const int FillerWords = 12;

    public SyntheticNews(ulong seed)
    {
        var rng = new Rng(seed);
        var titles = new List<string>();
        for (var topic = 0; topic < Topics; topic++)
        {
            for (var i = 0; i < ItemsPerTopic; i++)
            {
                var words = new List<string>();
                var topical = 2 + rng.NextInt(3);
                for (var w = 0; w < topical; w++)
                {
                    words.Add($"t{topic}w{rng.NextInt(WordsPerTopic)}");
                }
                var filler = 1 + rng.NextInt(3);
                for (var w = 0; w < filler; w++)
                {
                    words.Add($"filler{rng.NextInt(FillerWords)}");
                }
                var shuffled = words.ToArray();
                rng.Shuffle(shuffled.AsSpan());
                titles.Add(string.Join(' ', shuffled) + (rng.NextDouble() < 0.5 ? " !" : string.Empty));
            }
        }
        Titles = titles;
    }

    public IReadOnlyList<string> Titles { get; }

    public static int TopicOf(int item) => item / ItemsPerTopic;

    public static int RandomItem(Rng rng, int topic) => topic * ItemsPerTopic + rng.NextInt(ItemsPerTopic);

    public static int RandomItemNotIn(Rng rng, int topic)
    {
        var other = rng.NextInt(Topics - 1);
        return RandomItem(rng, other >= topic ? other + 1 : other);
    }

    /// <summary>A history of <paramref name="length"/> items of <paramref name="topic"/>.</summary>
    public static int[] History(Rng rng, int topic, int length) => Enumerable.Range(0, length).Select(_ => RandomItem(rng, topic)).ToArray();

    /// <summary>Training samples of <paramref name="users"/> users with random favourite topics.</summary>
    public static List<NrmsSample> Samples(ulong seed, int users, int perUser, int negatives)
    {
        var rng = new Rng(seed);
        var samples = new List<NrmsSample>();
        for (var u = 0; u < users; u++)
        {
            var topic = rng.NextInt(Topics);
            var history = History(rng, topic, 3 + rng.NextInt(6));
            for (var s = 0; s < perUser; s++)
            {
                var negativeIds = Enumerable.Range(0, negatives).Select(_ => RandomItemNotIn(rng, topic)).ToArray();
                samples.Add(new NrmsSample(history, RandomItem(rng, topic), negativeIds));
            }
        }
        return samples;
    }

    /// <summary>Mean per-user AUC of <paramref name="model"/> on fresh users: every item of the favourite topic against every other item.</summary>
    public static double Auc(NrmsModel model, ulong seed, int users)
    {
        var rng = new Rng(seed);
        var items = model.EncodeItems();
        var all = Enumerable.Range(0, items.Count).ToArray();
        var scores = new float[all.Length];
        var total = 0.0;
        for (var u = 0; u < users; u++)
        {
            var topic = rng.NextInt(Topics);
            var user = model.EncodeUser(History(rng, topic, 5), items);
            NrmsModel.Score(user, items, all, scores);
            double wins = 0, pairs = 0;
            for (var i = 0; i < all.Length; i++)
            {
                if (TopicOf(i) != topic)
                {
                    continue;
                }
                for (var j = 0; j < all.Length; j++)
                {
                    if (TopicOf(j) == topic)
                    {
                        continue;
                    }
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
            total += wins / pairs;
        }
        return total / users;
    }

    public static NrmsOptions SmallOptions => new()
    {
        WordDimension = 16,
        Heads = 4,
        HeadDimension = 4,
        QueryDimension = 16,
        HiddenDimension = 16,
        Dropout = 0.1,
        MaxTitleLength = 10,
        MaxHistory = 10,
        Negatives = 4,
        BatchSize = 16,
        Optimiser = new Optimisers.AdamOptions { LearningRate = 5e-3 },
        EncodeBatchSize = 64,
        Threads = 1,
    };
}
