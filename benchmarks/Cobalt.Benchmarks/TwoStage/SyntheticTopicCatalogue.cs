using Cobalt.Benchmarks.Infrastructure;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;

namespace Cobalt.Benchmarks.TwoStage;

/// <summary>
/// A seeded synthetic news catalogue of MIND's shape: <see cref="MindItems"/> items in <see cref="MindTopics"/> topics
/// whose sizes fall along a power law from <see cref="MindLargestTopic"/> down to 1, with Gaussian item features.
/// </summary>
/// <remarks>
/// <para>
/// Topic sizes (<see cref="TopicSizes"/>): a shifted power law in the rank k = 1..q (Zipf-Mandelbrot),
/// s_k = s_max ((1 + c) / (k + c))^alpha. alpha is fixed by s_q = s_min = 1 (alpha = ln(s_max / s_min) / ln((q + c) / (1 + c))),
/// and the shift c by the total: the real-valued sizes sum to exactly N (bisection on c; the sum grows with c). A pure
/// Zipf law (c = 0) from 15,000 down to 1 over 285 topics holds only about 30,400 items, hence the shift. The sizes are
/// then rounded to integers that still sum to N (floors, the largest remainders rounded up, at least 1 each), the
/// largest topic kept at s_max and the smallest at 1. For MIND's N = 161,013, q = 285 and s_max = 15,000 this gives
/// c = 32.5 and alpha = 4.28: sizes 15,000, 13,228, 11,707, ... with a median of 13 (the head holds most items).
/// </para>
/// <para>
/// Scaling to other catalogue sizes (<see cref="ForItems"/>): the same 285 topics, the largest grown in proportion to N
/// (15,000 N / 161,013: 932 at 10k items, 9,316 at 100k, 93,160 at 1M), the smallest still 1, and the same fit for the
/// sizes in between (c = 10.8, 28.2, 52.1 and alpha = 2.12, 3.85, 6.19 at 10k, 100k, 1M). The mean topic size, N / 285,
/// and with it DynaTopicRec's p grow in proportion to N.
/// </para>
/// <para>
/// Features (d = 64): each topic t has a centre mu_t ~ N(0, I / d); item i of topic t has x_i = (mu_t + e_i) / sqrt(2)
/// with e_i ~ N(0, I / d), so ||x_i|| is about 1 and items of one topic are correlated (a topic's mean feature, which
/// the topic stage scores, is not just noise). Items are assigned to topics in a seeded random order, so a topic's
/// items are spread over the whole feature matrix as in a real catalogue.
/// </para>
/// </remarks>
public static class SyntheticTopicCatalogue
{
    /// <summary>Items in MIND (large), the catalogue the two-stage paper times.</summary>
    public const int MindItems = 161_013;

    /// <summary>Topics (sub-categories) of the synthetic MIND catalogue.</summary>
    public const int MindTopics = 285;

    /// <summary>Size of the largest topic of the synthetic MIND catalogue.</summary>
    public const int MindLargestTopic = 15_000;

    /// <summary>The catalogue of <paramref name="items"/> items scaled from MIND's shape (see the remarks), features of <paramref name="dimension"/>.</summary>
    public static ItemCatalog ForItems(int items, int dimension, ulong seed)
    {
        var largest = (int)Math.Round((double)MindLargestTopic * items / MindItems);
        return Build(TopicSizes(items, MindTopics, largest), dimension, seed);
    }

    /// <summary>
    /// q integer topic sizes, non-increasing, from <paramref name="largest"/> down to 1, summing to <paramref name="items"/>,
    /// along the shifted power law of the remarks.
    /// </summary>
    public static int[] TopicSizes(int items, int topics, int largest)
    {
        if (topics < 2 || largest < 1 || largest * (long)topics < items || items < largest + topics - 1)
        {
            throw new ArgumentException($"No {topics} topic sizes from {largest} down to 1 sum to {items}.");
        }
        var real = new double[topics];
        double Fill(double c)
        {
            var alpha = Math.Log(largest) / Math.Log((topics + c) / (1 + c));
            var sum = 0.0;
            for (var k = 1; k <= topics; k++)
            {
                real[k - 1] = largest * Math.Pow((1 + c) / (k + c), alpha);
                sum += real[k - 1];
            }
            return sum;
        }
        double lo = -0.999_999, hi = 1e9;
        if (Fill(hi) < items || Fill(lo) > items)
        {
            throw new ArgumentException($"The shifted power law cannot put {items} items in {topics} topics of at most {largest}.");
        }
        for (var i = 0; i < 200; i++)
        {
            var mid = lo + (hi - lo) / 2;
            if (Fill(mid) < items)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        Fill(hi);
        var sizes = new int[topics];
        for (var k = 0; k < topics; k++)
        {
            sizes[k] = Math.Max((int)Math.Floor(real[k]), 1);
        }
        sizes[0] = largest;
        sizes[^1] = 1;
        // Largest remainders first (interior topics only) until the sizes sum to N.
        var interior = Enumerable.Range(1, topics - 2).OrderByDescending(k => real[k] - Math.Floor(real[k])).ToArray();
        var missing = items - sizes.Sum(s => (long)s);
        for (var i = 0; missing != 0; i = (i + 1) % interior.Length)
        {
            var k = interior[missing > 0 ? i : interior.Length - 1 - i];
            if (missing > 0 && sizes[k] < largest)
            {
                sizes[k]++;
                missing--;
            }
            else if (missing < 0 && sizes[k] > 1)
            {
                sizes[k]--;
                missing++;
            }
        }
        Array.Sort(sizes, (a, b) => b.CompareTo(a));
        return sizes;
    }

    /// <summary>The catalogue: topic t holds <c>sizes[t]</c> items in a random order, with the features of the remarks.</summary>
    public static ItemCatalog Build(int[] sizes, int dimension, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var rng = new Rng(seed);
        var n = sizes.Sum();
        var topicOf = new int[n];
        for (int t = 0, i = 0; t < sizes.Length; t++)
        {
            topicOf.AsSpan(i, sizes[t]).Fill(t);
            i += sizes[t];
        }
        rng.Shuffle(topicOf.AsSpan());
        var centres = RandomData.FeatureRows(rng, sizes.Length, dimension);
        var values = RandomData.FeatureRows(rng, n, dimension);
        var half = Math.Sqrt(0.5);
        for (var i = 0; i < n; i++)
        {
            var row = values.AsSpan(i * dimension, dimension);
            var centre = centres.AsSpan(topicOf[i] * dimension, dimension);
            for (var j = 0; j < dimension; j++)
            {
                row[j] = (row[j] + centre[j]) * half;
            }
        }
        return new ItemCatalog(new FeatureMatrix(n, dimension, values), topicOf);
    }
}
