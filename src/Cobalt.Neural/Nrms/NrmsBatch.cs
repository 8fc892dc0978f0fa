using System.Numerics;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Text;

namespace Cobalt.Neural.Nrms;

/// <summary>
/// The flat buffers of one training batch, reused from batch to batch: every distinct item of the batch once (tokens and
/// mask), each user's history and candidates as slots into that list, and the targets.
/// </summary>
/// <remarks>
/// Encoding each distinct item once per batch (instead of once per occurrence) saves most of the item-tower work on
/// histories that share items; all occurrences of an item within one batch then share that item's dropout mask.
/// Candidates are [positive, K negatives]; histories are the last <see cref="NrmsOptions.MaxHistory"/> items, left-aligned and
/// padded to the longest in the batch (at least 1); under attended padding every history is padded with the padding item (item 0, or
/// the model's own under <see cref="NrmsPadding.AttendedAppended"/>) to <see cref="NrmsOptions.MaxHistory"/> and every title mask is
/// all true (CB4Rec as coded).
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
internal sealed class NrmsBatch<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<int, int> _slotOf = [];
    private readonly List<int> _items = [];
    private int[] _tokens = [];
    private bool[] _tokenMask = [];
    private int[] _historySlots = [];
    private bool[] _historyMask = [];
    private int[] _candidateSlots = [];
    private int[] _targets = [];
    private T[] _labels = [];
    private int[] _negatives = [];
    private int[] _negativeSource = [];
    private int[] _pool = [];
    private T[] _weights = [];

    public int Size { get; private set; }

    public int ItemCount => _items.Count;

    public int TitleLength { get; private set; }

    public int HistoryLength { get; private set; }

    public int Candidates { get; private set; }

    public ReadOnlyMemory<int> Tokens => _tokens.AsMemory(0, ItemCount * TitleLength);

    public ReadOnlyMemory<bool> TokenMask => _tokenMask.AsMemory(0, ItemCount * TitleLength);

    public ReadOnlyMemory<int> HistorySlots => _historySlots.AsMemory(0, Size * HistoryLength);

    public ReadOnlyMemory<bool> HistoryMask => _historyMask.AsMemory(0, Size * HistoryLength);

    public ReadOnlyMemory<int> CandidateSlots => _candidateSlots.AsMemory(0, Size * Candidates);

    public ReadOnlyMemory<int> Targets => _targets.AsMemory(0, Size);

    public ReadOnlyMemory<T> Labels => _labels.AsMemory(0, Size * Candidates);

    /// <summary>Whether some sample of the batch carries weights (then <see cref="Weights"/> holds every candidate's, normalised per <see cref="NrmsOptions.Weighting"/>).</summary>
    public bool Weighted { get; private set; }

    public ReadOnlyMemory<T> Weights => _weights.AsMemory(0, Size * Candidates);

    /// <summary>Fills the buffers from <paramref name="samples"/>[<paramref name="order"/>[start..end)], drawing negatives from <paramref name="rng"/>.</summary>
    public void Fill(IReadOnlyList<NrmsSample> samples, ReadOnlySpan<int> order, TokenSequences items, NrmsOptions options, Rng rng)
    {
        Size = order.Length;
        Candidates = 1 + options.Negatives;
        TitleLength = items.MaxLength;
        _slotOf.Clear();
        _items.Clear();
        var attended = options.Padding.IsAttended();
        // The padding item: CB4Rec's item 0, or the model's own after the catalogue (id items.Count, no tokens).
        var paddingItem = options.Padding == NrmsPadding.AttendedAppended ? items.Count : 0;
        var longest = 1;
        Weighted = false;
        foreach (var index in order)
        {
            longest = Math.Max(longest, Math.Min(samples[index].History.Length, options.MaxHistory));
            Weighted |= samples[index].Weights is not null;
        }
        HistoryLength = attended ? options.MaxHistory : longest;
        Grow(ref _historySlots, Size * HistoryLength);
        Grow(ref _historyMask, Size * HistoryLength);
        Grow(ref _candidateSlots, Size * Candidates);
        Grow(ref _targets, Size);
        Grow(ref _labels, Size * Candidates);
        Grow(ref _negatives, options.Negatives);
        Grow(ref _negativeSource, options.Negatives);
        Grow(ref _weights, Size * Candidates);
        for (var b = 0; b < Size; b++)
        {
            var sample = samples[order[b]];
            var history = sample.History.AsSpan(Math.Max(0, sample.History.Length - options.MaxHistory));
            for (var h = 0; h < HistoryLength; h++)
            {
                var valid = h < history.Length;
                // Masked: padding slots point at slot 0 and are masked out. Attended (CB4Rec): they hold the padding item and are read.
                _historySlots[b * HistoryLength + h] = valid ? Slot(history[h]) : attended ? Slot(paddingItem) : 0;
                _historyMask[b * HistoryLength + h] = valid || attended;
            }
            DrawNegatives(sample, items.Count, options.Negatives, rng);
            _candidateSlots[b * Candidates] = Slot(sample.Positive);
            _labels[b * Candidates] = T.One;
            for (var k = 0; k < options.Negatives; k++)
            {
                _candidateSlots[b * Candidates + 1 + k] = Slot(_negatives[k]);
                _labels[b * Candidates + 1 + k] = T.Zero;
            }
            _targets[b] = 0;
            FillWeights(sample, b, options.Negatives, options.Weighting);
        }
        if (_items.Count == 0)
        {
            Slot(0);
        }
        Grow(ref _tokens, ItemCount * TitleLength);
        Grow(ref _tokenMask, ItemCount * TitleLength);
        for (var s = 0; s < _items.Count; s++)
        {
            if (_items[s] == items.Count)
            {
                // The model's own padding item: word 0 throughout, all of it read.
                _tokens.AsSpan(s * TitleLength, TitleLength).Clear();
                _tokenMask.AsSpan(s * TitleLength, TitleLength).Fill(true);
                continue;
            }
            items.Row(_items[s]).CopyTo(_tokens.AsSpan(s * TitleLength, TitleLength));
            var length = attended ? TitleLength : items.Length(_items[s]);
            var mask = _tokenMask.AsSpan(s * TitleLength, TitleLength);
            mask[..length].Fill(true);
            mask[length..].Clear();
        }
    }

    /// <summary>K negatives: without replacement from the given ones, with replacement when too few, from the catalogue when none.</summary>
    private void DrawNegatives(NrmsSample sample, int catalogue, int k, Rng rng)
    {
        var given = sample.Negatives;
        if (given.Length >= k)
        {
            Grow(ref _pool, given.Length);
            for (var i = 0; i < given.Length; i++)
            {
                _pool[i] = i;
            }
            for (var i = 0; i < k; i++)
            {
                var j = i + rng.NextInt(given.Length - i);
                (_pool[i], _pool[j]) = (_pool[j], _pool[i]);
                _negatives[i] = given[_pool[i]];
                _negativeSource[i] = _pool[i];
            }
            return;
        }
        for (var i = 0; i < k; i++)
        {
            if (given.Length > 0)
            {
                var pick = rng.NextInt(given.Length);
                _negatives[i] = given[pick];
                _negativeSource[i] = pick;
                continue;
            }
            _negativeSource[i] = -1;
            // Uniform over the catalogue without the positive: draw from catalogue - 1 ids and skip over the positive.
            var draw = rng.NextInt(catalogue - 1);
            _negatives[i] = draw >= sample.Positive ? draw + 1 : draw;
        }
    }

    /// <summary>
    /// Row <paramref name="b"/>'s candidate weights: the sample's (a drawn negative takes its source entry's; catalogue draws and
    /// unweighted samples weigh 1), divided by the row sum under <see cref="NrmsWeighting.PerRow"/>.
    /// </summary>
    private void FillWeights(NrmsSample sample, int b, int k, NrmsWeighting weighting)
    {
        var row = _weights.AsSpan(b * Candidates, Candidates);
        var given = sample.Weights;
        row[0] = given is null ? T.One : T.CreateChecked(given[0]);
        for (var i = 0; i < k; i++)
        {
            row[1 + i] = given is null || _negativeSource[i] < 0 ? T.One : T.CreateChecked(given[1 + _negativeSource[i]]);
        }
        if (weighting == NrmsWeighting.PerRow && Weighted)
        {
            var sum = T.Zero;
            foreach (var w in row)
            {
                sum += w;
            }
            for (var i = 0; i < row.Length; i++)
            {
                row[i] /= sum;
            }
        }
    }

    private int Slot(int item)
    {
        if (!_slotOf.TryGetValue(item, out var slot))
        {
            slot = _items.Count;
            _slotOf.Add(item, slot);
            _items.Add(item);
        }
        return slot;
    }

    private static void Grow<TElement>(ref TElement[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new TElement[Math.Max(length, buffer.Length * 2)];
        }
    }
}
