using System.Buffers;
using System.Numerics;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies;

/// <summary>Computes the exact scores of the candidates at the given positions (one score per position).</summary>
public delegate void ScoreEvaluator(ReadOnlySpan<int> positions, Span<double> scores);

/// <summary>
/// <see cref="SlateSelection.TopScores"/> from upper bounds on the scores: the same slate, the same propensities, the same
/// draws from the random stream, and the same candidates tied for the first slot, while computing the exact score only
/// of candidates whose bound reaches the best score seen so far.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="SlateSelection.TopScores"/> scans the candidates in order for each slot, keeps the running best and draws
/// from the random stream at every candidate equal to the running best (reservoir sampling over ties). A candidate whose
/// bound is strictly below the running best, itself an exact score, can neither become the best nor tie with it, so the
/// scan skips it without its score: by induction the running best of the skipping scan equals the full scan's at every
/// position, and so do the choices and the draws. Every candidate with a score equal to the first slot's best has a
/// bound at least that best, so it is scored, and the ties of the first slot are exact too.
/// </para>
/// <para>
/// To reach a high running best early, the top-L candidates by bound (L = max(4 m, 32)) are scored first, and then,
/// in one batch, every candidate whose bound reaches the m-th best of those scores (a lower bound on the slate's m-th
/// score); the scans score the few others they meet on demand, 16 at a time.
/// </para>
/// </remarks>
public static class BoundedSelection
{
    /// <summary>Candidates scored together when the scans meet unscored ones.</summary>
    private const int OnDemandBatch = 16;

    /// <summary>Largest batch handed to the evaluator.</summary>
    private const int MaxBatch = 4096;

    /// <summary>
    /// Fills <paramref name="slate"/> as <see cref="SlateSelection.TopScores"/> would from the exact scores, given
    /// <paramref name="upper"/>[i] ≥ score i (NaN counts as unknown: that candidate is scored). Writes the positions tied
    /// at the first slot's best score into <paramref name="firstSlotTies"/> when given. Returns the number of candidates
    /// whose exact score was computed.
    /// </summary>
    public static int TopScores(ReadOnlySpan<double> upper, int slateSize, Rng rng, bool withPropensities,
        List<(int Index, double? Propensity)> slate, ScoreEvaluator evaluate, List<int>? firstSlotTies = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(slate);
        ArgumentNullException.ThrowIfNull(evaluate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        slate.Clear();
        firstSlotTies?.Clear();
        var n = upper.Length;
        if (n == 0)
        {
            return 0;
        }
        var scores = ArrayPool<double>.Shared.Rent(n);
        var state = ArrayPool<byte>.Shared.Rent(n); // bit 1: scored, bit 2: taken
        var batch = ArrayPool<int>.Shared.Rent(Math.Min(n, MaxBatch));
        var batchScores = ArrayPool<double>.Shared.Rent(Math.Min(n, MaxBatch));
        var scored = new List<int>();
        Array.Clear(state, 0, n);
        try
        {
            var m = Math.Min(slateSize, n);

            // 1. The top L by bound, then every candidate whose bound reaches the m-th best of their scores.
            var seeds = TopByBound(upper, Math.Min(n, Math.Max(4 * m, 32)));
            Evaluate(seeds, seeds.Length);
            var seedScores = seeds.Select(i => scores[i]).OrderDescending().ToArray();
            var floor = seedScores[m - 1];
            var count = 0;
            for (var i = 0; i < n; i++)
            {
                if (state[i] == 0 && !(upper[i] < floor))
                {
                    batch[count++] = i;
                    if (count == MaxBatch)
                    {
                        Evaluate(batch, count);
                        count = 0;
                    }
                }
            }
            Evaluate(batch, count);

            // 2. The scans of SlateSelection.TopScores, skipping candidates whose bound is below the running best.
            for (var slot = 0; slot < m; slot++)
            {
                var best = double.NegativeInfinity;
                var chosen = -1;
                var ties = 0;
                for (var i = 0; i < n; i++)
                {
                    if (chosen >= 0)
                    {
                        i = Next(upper, i, best);
                        if (i >= n)
                        {
                            break;
                        }
                    }
                    if ((state[i] & 2) != 0)
                    {
                        continue;
                    }
                    if ((state[i] & 1) == 0)
                    {
                        // Score this one and the next few the scan would have to score at the current best.
                        var k = 0;
                        for (var j = i; j < n && k < OnDemandBatch; j = chosen >= 0 ? Next(upper, j + 1, best) : j + 1)
                        {
                            if (state[j] == 0)
                            {
                                batch[k++] = j;
                            }
                        }
                        Evaluate(batch, k);
                    }
                    var s = scores[i];
                    if (chosen < 0 || s > best)
                    {
                        best = s;
                        chosen = i;
                        ties = 1;
                    }
                    else if (s == best && rng.NextInt(++ties) == 0)
                    {
                        chosen = i; // reservoir sampling over the tied maxima
                    }
                }
                state[chosen] |= 2;
                slate.Add((chosen, withPropensities ? 1.0 / ties : null));
                if (slot == 0 && firstSlotTies is not null)
                {
                    foreach (var i in scored)
                    {
                        if (scores[i] == best)
                        {
                            firstSlotTies.Add(i);
                        }
                    }
                }
            }
            return scored.Count;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scores);
            ArrayPool<byte>.Shared.Return(state);
            ArrayPool<int>.Shared.Return(batch);
            ArrayPool<double>.Shared.Return(batchScores);
        }

        void Evaluate(int[] positions, int length)
        {
            if (length == 0)
            {
                return;
            }
            var span = positions.AsSpan(0, length);
            var values = batchScores.AsSpan(0, length);
            evaluate(span, values);
            for (var r = 0; r < length; r++)
            {
                var i = span[r];
                scores[i] = values[r];
                if ((state[i] & 1) == 0)
                {
                    state[i] |= 1;
                    scored.Add(i);
                }
            }
        }
    }

    /// <summary>The first position at or after <paramref name="from"/> whose bound is not below <paramref name="best"/> (NaN counts as not below), or n.</summary>
    private static int Next(ReadOnlySpan<double> upper, int from, double best)
    {
        var n = upper.Length;
        var i = from;
        if (Vector.IsHardwareAccelerated)
        {
            var w = Vector<double>.Count;
            var threshold = new Vector<double>(best);
            while (i + w <= n && Vector.LessThanAll(new Vector<double>(upper.Slice(i, w)), threshold))
            {
                i += w;
            }
        }
        while (i < n && upper[i] < best)
        {
            i++;
        }
        return i;
    }

    /// <summary>Positions of the <paramref name="count"/> largest bounds (NaN as +infinity), in no particular order.</summary>
    private static int[] TopByBound(ReadOnlySpan<double> upper, int count)
    {
        // A min-heap of (bound, position) over the best so far; most candidates fail the first comparison.
        var keys = new double[count];
        var heap = new int[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = Key(upper[i]);
            heap[i] = i;
            SiftUp(keys, heap, i);
        }
        for (var i = count; i < upper.Length; i++)
        {
            var key = Key(upper[i]);
            if (key > keys[0])
            {
                keys[0] = key;
                heap[0] = i;
                SiftDown(keys, heap, count);
            }
        }
        return heap;

        static double Key(double u) => double.IsNaN(u) ? double.PositiveInfinity : u;
    }

    private static void SiftUp(double[] keys, int[] heap, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (keys[parent] <= keys[i])
            {
                return;
            }
            (keys[parent], keys[i]) = (keys[i], keys[parent]);
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(double[] keys, int[] heap, int count)
    {
        var i = 0;
        while (true)
        {
            var left = 2 * i + 1;
            if (left >= count)
            {
                return;
            }
            var child = left + 1 < count && keys[left + 1] < keys[left] ? left + 1 : left;
            if (keys[i] <= keys[child])
            {
                return;
            }
            (keys[child], keys[i]) = (keys[i], keys[child]);
            (heap[child], heap[i]) = (heap[i], heap[child]);
            i = child;
        }
    }
}
