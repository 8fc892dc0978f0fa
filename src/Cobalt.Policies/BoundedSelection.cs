using System.Buffers;
using System.Numerics;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies;

/// <summary>Computes the exact scores of the candidates at the given positions (one score per position).</summary>
public delegate void ScoreEvaluator(ReadOnlySpan<int> positions, Span<double> scores);

/// <summary>
/// Writes tighter upper bounds (still never below the exact scores) for the candidates at the given positions, from
/// work cheaper than their exact scores; <c>bounds</c> holds the current ones on entry.
/// </summary>
public delegate void BoundRefiner(ReadOnlySpan<int> positions, Span<double> bounds);

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
/// To reach a high running best early, the top-L candidates by bound (L = max(4 m, 32)) are scored first, and then the
/// others in descending order of bound, 256 at a time, until the next bound is below the m-th best score found so far (a
/// lower bound on the slate's m-th score); the scans score the few others they meet on demand, 16 at a time.
/// </para>
/// </remarks>
public static class BoundedSelection
{
    /// <summary>Candidates scored together when the scans meet unscored ones.</summary>
    private const int OnDemandBatch = 16;

    /// <summary>Largest batch handed to the evaluator.</summary>
    private const int MaxBatch = 4096;

    /// <summary>Candidates refined and scored together in the threshold phase.</summary>
    private const int ThresholdBatch = 256;

    private const byte Scored = 1, Refined = 2, Taken = 4;

    /// <summary>
    /// Fills <paramref name="slate"/> as <see cref="SlateSelection.TopScores"/> would from the exact scores, given
    /// <paramref name="upper"/>[i] ≥ score i for the first <paramref name="candidates"/> candidates (NaN counts as unknown: that candidate is scored). Writes the positions tied
    /// at the first slot's best score into <paramref name="firstSlotTies"/> when given. <paramref name="refine"/>, when
    /// given, tightens the bounds of a batch of candidates more cheaply than scoring them, and is tried before scoring.
    /// <paramref name="upper"/> is overwritten with the refined bounds. Returns the number of candidates whose exact score
    /// was computed.
    /// </summary>
    public static int TopScores(double[] upper, int candidates, int slateSize, Rng rng, bool withPropensities,
        List<(int Index, double? Propensity)> slate, ScoreEvaluator evaluate, List<int>? firstSlotTies = null, BoundRefiner? refine = null)
    {
        ArgumentNullException.ThrowIfNull(upper);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(slate);
        ArgumentNullException.ThrowIfNull(evaluate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slateSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(candidates, upper.Length);
        slate.Clear();
        firstSlotTies?.Clear();
        var n = candidates;
        if (n == 0)
        {
            return 0;
        }
        var scores = ArrayPool<double>.Shared.Rent(n);
        var state = ArrayPool<byte>.Shared.Rent(n); // Scored, Refined, Taken
        var batch = ArrayPool<int>.Shared.Rent(Math.Min(n, MaxBatch));
        var batchValues = ArrayPool<double>.Shared.Rent(Math.Min(n, MaxBatch));
        var refining = ArrayPool<int>.Shared.Rent(Math.Min(n, MaxBatch)); // Refine's list, no allocation per batch
        var group = ArrayPool<int>.Shared.Rent(OnDemandBatch);
        var take = ArrayPool<int>.Shared.Rent(ThresholdBatch);
        var heapKeys = ArrayPool<double>.Shared.Rent(n); // a min-heap of -bound (NaN bounds as +infinity)
        var heapPositions = ArrayPool<int>.Shared.Rent(n);
        var scored = new List<int>();
        Array.Clear(state, 0, n);
        var m = Math.Min(slateSize, n);
        var best = new double[m]; // the m best exact scores so far, descending (the floor is the last)
        var known = 0;
        var upperArray = upper;
        var bounds = upper.AsSpan(0, n);
        try
        {
            // 1. Threshold phase: score the L candidates of largest bound, then the others whose bound reaches the m-th
            //    best score found so far (a lower bound on the slate's m-th score), in descending order of bound, refining
            //    each before scoring it, until the next bound is below that floor.
            var floor = RefineAndEvaluate(TopByBound(bounds, state, Math.Min(Math.Max(4 * m, 32), n)), double.NegativeInfinity);
            // The others at or above the floor go into one heap by bound (built in O(n)); the largest bounds are taken a
            // batch at a time until the largest left is below the risen floor. Only the taken candidates' bounds change
            // (refined), so the heap's keys stay those of the candidates it holds. O(n + taken log n), however loose
            // the bounds: when most bounds reach the floor, re-selecting the top batch from all of them every time cost
            // O(n^2 / batch) (S-N-GBLM-UCB late in a run, with 20 % of 161,013 items above the floor).
            var live = 0;
            for (var i = 0; i < n; i++)
            {
                if ((state[i] & Scored) == 0 && !(bounds[i] < floor))
                {
                    heapKeys[live] = double.IsNaN(bounds[i]) ? double.NegativeInfinity : -bounds[i];
                    heapPositions[live++] = i;
                }
            }
            for (var i = live / 2 - 1; i >= 0; i--)
            {
                SiftDown(heapKeys, heapPositions, i, live);
            }
            while (live > 0 && !(-heapKeys[0] < floor))
            {
                var k = 0;
                while (k < ThresholdBatch && live > 0 && !(-heapKeys[0] < floor))
                {
                    take[k++] = heapPositions[0];
                    live--;
                    heapKeys[0] = heapKeys[live];
                    heapPositions[0] = heapPositions[live];
                    SiftDown(heapKeys, heapPositions, 0, live);
                }
                floor = RefineAndEvaluate(take.AsSpan(0, k), floor);
            }

            // 2. The scans of SlateSelection.TopScores, skipping candidates whose bound is below the running best.
            for (var slot = 0; slot < m; slot++)
            {
                var running = double.NegativeInfinity;
                var chosen = -1;
                var ties = 0;
                for (var i = 0; i < n; i++)
                {
                    if (chosen >= 0)
                    {
                        i = Next(bounds, i, running);
                        if (i >= n)
                        {
                            break;
                        }
                    }
                    if ((state[i] & Taken) != 0)
                    {
                        continue;
                    }
                    if ((state[i] & Scored) == 0)
                    {
                        // This one and the next few the scan would meet at the current best: refine, then score what is left.
                        var k = 0;
                        for (var j = i; j < n && k < OnDemandBatch; j = chosen >= 0 ? Next(bounds, j + 1, running) : j + 1)
                        {
                            if ((state[j] & (Scored | Taken)) == 0)
                            {
                                batch[k++] = j;
                            }
                        }
                        batch.AsSpan(0, k).CopyTo(group);
                        Refine(group.AsSpan(0, k), chosen >= 0 ? running : double.NegativeInfinity);
                        if (chosen >= 0 && upper[i] < running)
                        {
                            continue;
                        }
                        var e = 0;
                        foreach (var j in group.AsSpan(0, k))
                        {
                            if (j == i || !(upper[j] < running))
                            {
                                batch[e++] = j;
                            }
                        }
                        Evaluate(batch, e);
                    }
                    var s = scores[i];
                    if (chosen < 0 || s > running)
                    {
                        running = s;
                        chosen = i;
                        ties = 1;
                    }
                    else if (s == running && rng.NextInt(++ties) == 0)
                    {
                        chosen = i; // reservoir sampling over the tied maxima
                    }
                }
                state[chosen] |= Taken;
                slate.Add((chosen, withPropensities ? 1.0 / ties : null));
                if (slot == 0 && firstSlotTies is not null)
                {
                    foreach (var i in scored)
                    {
                        if (scores[i] == running)
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
            ArrayPool<double>.Shared.Return(batchValues);
            ArrayPool<int>.Shared.Return(refining);
            ArrayPool<int>.Shared.Return(group);
            ArrayPool<int>.Shared.Return(take);
            ArrayPool<double>.Shared.Return(heapKeys);
            ArrayPool<int>.Shared.Return(heapPositions);
        }

        // Refines, then scores those still at or above the floor, a batch at a time; returns the new floor.
        double RefineAndEvaluate(ReadOnlySpan<int> positions, double floor)
        {
            for (var from = 0; from < positions.Length; from += MaxBatch)
            {
                var chunk = positions.Slice(from, Math.Min(positions.Length, from + MaxBatch) - from);
                Refine(chunk, floor);
                var count = 0;
                foreach (var i in chunk)
                {
                    if ((state[i] & Scored) == 0 && !(upperArray[i] < floor))
                    {
                        batch[count++] = i;
                    }
                }
                Evaluate(batch, count);
                floor = known == m ? best[m - 1] : double.NegativeInfinity;
            }
            return floor;
        }

        void Refine(ReadOnlySpan<int> positions, double threshold)
        {
            if (refine is null)
            {
                return;
            }
            var count = 0;
            foreach (var i in positions)
            {
                if ((state[i] & (Scored | Refined)) == 0 && !(upperArray[i] < threshold))
                {
                    refining[count++] = i;
                }
            }
            if (count == 0)
            {
                return;
            }
            var list = refining.AsSpan(0, count);
            var values = batchValues.AsSpan(0, count);
            for (var r = 0; r < count; r++)
            {
                values[r] = upperArray[list[r]];
            }
            refine(list, values);
            for (var r = 0; r < count; r++)
            {
                var i = list[r];
                state[i] |= Refined;
                // Both are bounds; keep the tighter (NaN from the refiner leaves the old one).
                if (values[r] < upperArray[i] || double.IsNaN(upperArray[i]))
                {
                    upperArray[i] = values[r];
                }
            }
        }

        void Evaluate(int[] positions, int length)
        {
            if (length == 0)
            {
                return;
            }
            var span = positions.AsSpan(0, length);
            var values = batchValues.AsSpan(0, length);
            evaluate(span, values);
            for (var r = 0; r < length; r++)
            {
                var i = span[r];
                var v = values[r];
                scores[i] = v;
                if ((state[i] & Scored) == 0)
                {
                    state[i] |= Scored;
                    scored.Add(i);
                    // Keep the m best exact scores (descending).
                    if (known < m || v > best[m - 1])
                    {
                        var at = known < m ? known++ : m - 1;
                        while (at > 0 && best[at - 1] < v)
                        {
                            best[at] = best[at - 1];
                            at--;
                        }
                        best[at] = v;
                    }
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

    /// <summary>Positions of (at most) the <paramref name="count"/> largest bounds among unscored candidates (NaN as +infinity), in no particular order.</summary>
    private static int[] TopByBound(ReadOnlySpan<double> upper, byte[] state, int count)
    {
        // A min-heap of (bound, position) over the best so far; most candidates fail the first comparison.
        var keys = new double[count];
        var heap = new int[count];
        var size = 0;
        for (var i = 0; i < upper.Length; i++)
        {
            if ((state[i] & Scored) != 0)
            {
                continue;
            }
            var key = double.IsNaN(upper[i]) ? double.PositiveInfinity : upper[i];
            if (size < count)
            {
                keys[size] = key;
                heap[size] = i;
                SiftUp(keys, heap, size++);
            }
            else if (key > keys[0])
            {
                keys[0] = key;
                heap[0] = i;
                SiftDown(keys, heap, 0, count);
            }
        }
        return heap[..size];
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

    private static void SiftDown(double[] keys, int[] heap, int i, int count)
    {
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
