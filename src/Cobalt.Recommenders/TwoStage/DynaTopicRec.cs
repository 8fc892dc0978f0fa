namespace Cobalt.Recommenders.TwoStage;

/// <summary>
/// DynaTopicRec (two-stage paper, Algorithm 2): groups topics so that each of the m slate positions draws from a topic
/// group that holds enough items.
/// </summary>
/// <remarks>
/// Input: m, topics sorted by score (descending), their item counts, the minimum size p. Group i starts as {v_(i)} with
/// c_i its item count; the other topics queue in score order. While some c_i &lt;= p and the queue is not empty: for
/// i = 1..m, if c_i &lt;= p, pop the queue's head into group i and add its count to c_i. (A group stops growing once it
/// holds more than p items: the paper's c_i &lt;= p test.)
/// </remarks>
public static class DynaTopicRec
{
    /// <summary>The m topic groups (each a list of topic ids); fewer when there are fewer topics than m.</summary>
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
}
