namespace Cobalt.Recommenders.TwoStage;

/// <summary>The items a topic group takes from one topic: <see cref="Items"/> of the topic's members (all of them, or a uniform random subset of that many).</summary>
/// <param name="Topic">The topic (a row of the topic catalogue).</param>
/// <param name="Items">How many of its items the group holds; fewer than the topic's size for a partially taken topic.</param>
public readonly record struct TopicShare(int Topic, int Items);

/// <summary>
/// DynaTopicRec: groups topics so that each of the m slate positions draws from a topic group that holds enough items,
/// in the paper's reading (<see cref="Groups"/>) and in its authors' code (<see cref="GroupsAsCoded"/>), with the
/// authors' no-dynamic padding (<see cref="PaddingAsCoded"/>) and item-budget split (<see cref="BudgetsAsCoded"/>).
/// </summary>
/// <remarks>
/// <para>
/// Paper text (two-stage paper, Algorithm 2): input m, topics sorted by score (descending), their item counts, the
/// minimum size p. Group i starts as {v_(i)} with c_i its item count; the other topics queue in score order. While some
/// c_i &lt;= p and the queue is not empty: for i = 1..m, if c_i &lt;= p, pop the queue's head into group i and add its
/// count to c_i. (A group stops growing once it holds more than p items: the paper's c_i &lt;= p test; topics are taken whole.)
/// </para>
/// <para>
/// As coded (CB4Rec algorithms/neural_greedy.py, <c>Two_NeuralGreedy.topic_cand_news_prep</c> and <c>sample_actions</c>
/// @67f4029): group i starts as the whole top-i topic (never truncated, even when larger than p). Then, over a list of
/// unfinished groups, repeatedly: for each unfinished group, if its size s &lt; p and the queue is not empty, it pops the
/// queue's head; a topic of at most p - s items is taken whole, a larger one contributes a uniform random subset of
/// exactly p - s items (the rest of that topic is dropped for this round); otherwise the group leaves the list. The
/// list is edited while it is walked (Python <c>list.remove</c> inside <c>for i in list</c>), so the group after a
/// leaving one is skipped until the next pass; <see cref="GroupsAsCoded"/> reproduces that order. Groups are then
/// served in ascending order of size (numpy's argsort, stable for m &lt;= 16).
/// </para>
/// </remarks>
public static class DynaTopicRec
{
    /// <summary>The m topic groups of Algorithm 2 as the paper's text has it (each a list of topic ids); fewer when there are fewer topics than m.</summary>
    public static List<int>[] Groups(int slateSize, ReadOnlySpan<int> topicsByScore, ReadOnlySpan<int> itemCounts, int minimumSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        var m = Math.Min(slateSize, topicsByScore.Length);
        var groups = new List<int>[m];
        var counts = new long[m];
        for (var i = 0; i < m; i++)
        {
            groups[i] = [topicsByScore[i]];
            counts[i] = itemCounts[topicsByScore[i]];
        }
        var next = m;
        while (next < topicsByScore.Length && counts.Any(c => c <= minimumSize))
        {
            for (var i = 0; i < m && next < topicsByScore.Length; i++)
            {
                if (counts[i] <= minimumSize)
                {
                    var topic = topicsByScore[next++];
                    groups[i].Add(topic);
                    counts[i] += itemCounts[topic];
                }
            }
        }
        return groups;
    }

    /// <summary>
    /// The m topic groups as CB4Rec builds them (neural_greedy.py @67f4029, see the remarks of <see cref="DynaTopicRec"/>):
    /// each group's topics in the order taken, with the number of items taken from each (only a group's last topic can
    /// be partial). Fewer groups when there are fewer topics than m.
    /// </summary>
    public static List<TopicShare>[] GroupsAsCoded(int slateSize, ReadOnlySpan<int> topicsByScore, ReadOnlySpan<int> itemCounts, int minimumSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        var m = Math.Min(slateSize, topicsByScore.Length);
        var groups = new List<TopicShare>[m];
        Span<long> sizes = m <= 64 ? stackalloc long[m] : new long[m];
        Span<int> unfinished = m <= 64 ? stackalloc int[m] : new int[m];
        for (var i = 0; i < m; i++)
        {
            var topic = topicsByScore[i];
            groups[i] = [new TopicShare(topic, itemCounts[topic])];
            sizes[i] = itemCounts[topic];
            unfinished[i] = i;
        }
        var open = m;
        var next = m;
        while (open > 0)
        {
            // One pass of `for i in unfinished_topics`: removing the current entry shifts the list left under the
            // iterator, which then skips the entry that moved into the current place.
            var k = 0;
            while (k < open)
            {
                var i = unfinished[k];
                var shortfall = minimumSize - sizes[i];
                if (shortfall > 0 && next < topicsByScore.Length)
                {
                    var topic = topicsByScore[next++];
                    var take = (int)Math.Min(itemCounts[topic], shortfall);
                    groups[i].Add(new TopicShare(topic, take));
                    sizes[i] += take;
                }
                else
                {
                    unfinished[(k + 1)..open].CopyTo(unfinished[k..]);
                    open--;
                }
                k++;
            }
        }
        return groups;
    }

    /// <summary>
    /// The no-dynamic ablation as coded (neural_greedy.py @67f4029, <c>topic_cand_news_prep</c> with
    /// <c>dynamic_aggregate_topic</c> off): the top m topics are the groups, and group i, in score order, is padded with
    /// <c>pads[i] = max(p - size_i, 0)</c> items drawn without replacement from the items outside all m top topics that
    /// earlier groups did not take; fewer when that pool runs out (where the code would fail). Returns the number of groups.
    /// </summary>
    /// <param name="slateSize">m.</param>
    /// <param name="topicsByScore">Topics, best first.</param>
    /// <param name="itemCounts">Items per topic.</param>
    /// <param name="minimumSize">p.</param>
    /// <param name="pads">Receives the padding of each group (at least min(m, topics) long).</param>
    public static int PaddingAsCoded(int slateSize, ReadOnlySpan<int> topicsByScore, ReadOnlySpan<int> itemCounts, int minimumSize, Span<int> pads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        var m = Math.Min(slateSize, topicsByScore.Length);
        long pool = 0;
        for (var r = m; r < topicsByScore.Length; r++)
        {
            pool += itemCounts[topicsByScore[r]];
        }
        for (var i = 0; i < m; i++)
        {
            var pad = (int)Math.Min(Math.Max(minimumSize - (long)itemCounts[topicsByScore[i]], 0), pool);
            pads[i] = pad;
            pool -= pad;
        }
        return m;
    }

    /// <summary>
    /// The serving order of the groups as coded: ascending size, ties in group (score) order (CB4Rec
    /// <c>np.argsort(recs_size)</c>, which is stable for up to 16 groups).
    /// </summary>
    public static void AscendingSizeOrder(ReadOnlySpan<int> sizes, Span<int> order)
    {
        for (var i = 0; i < sizes.Length; i++)
        {
            // Insertion sort: stable, and m is small.
            var j = i;
            while (j > 0 && sizes[order[j - 1]] > sizes[i])
            {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
    }

    /// <summary>
    /// The item scores each group may spend, as coded (neural_greedy.py <c>sample_actions</c> @67f4029): the
    /// <paramref name="itemBudget"/> = B - q scores left after the q topic scores are handed out in the given order
    /// (ascending group size); with L scores and g groups left, the next group gets min(size, trunc(L / g)) and L drops by
    /// that, so what a small group cannot use carries forward to the larger ones. The code would fail where this gives
    /// fewer than 1 score (B &lt;= q); here every group then gets 1.
    /// </summary>
    /// <param name="sizes">Group sizes in serving order.</param>
    /// <param name="itemBudget">B - q (may be zero or negative).</param>
    /// <param name="budgets">Receives the scores of each group, in the same order.</param>
    public static void BudgetsAsCoded(ReadOnlySpan<int> sizes, long itemBudget, Span<int> budgets)
    {
        var left = itemBudget;
        for (var g = 0; g < sizes.Length; g++)
        {
            var average = left / (sizes.Length - g); // Python int(a / b) truncates towards zero, as C# division does
            var allocate = (int)Math.Max(Math.Min(sizes[g], average), Math.Min(sizes[g], 1));
            budgets[g] = allocate;
            left -= allocate;
        }
    }
}
