using System.Collections;

namespace Cobalt.Core.Data;

/// <summary>
/// The first-slot distribution of a score policy: uniform over the candidates tied at the best score, zero elsewhere,
/// p_i = 1{i in ties} / |ties|. It holds only the tied positions, so a decision over a catalogue of N items does not
/// allocate N probabilities.
/// </summary>
public sealed class TiedArgmax : IReadOnlyList<double>
{
    private readonly int[] _ties;

    /// <summary>Creates the distribution over <paramref name="count"/> candidates, uniform over <paramref name="ties"/>.</summary>
    /// <exception cref="ArgumentException">No ties, a position out of range, or a position given twice.</exception>
    public TiedArgmax(int count, IEnumerable<int> ties)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentNullException.ThrowIfNull(ties);
        _ties = [.. ties];
        Array.Sort(_ties);
        if (_ties.Length == 0 || _ties[0] < 0 || _ties[^1] >= count)
        {
            throw new ArgumentException($"Ties must be at least one position in [0, {count}).", nameof(ties));
        }
        for (var i = 1; i < _ties.Length; i++)
        {
            if (_ties[i] == _ties[i - 1])
            {
                throw new ArgumentException($"Position {_ties[i]} is given twice.", nameof(ties));
            }
        }
        Count = count;
    }

    /// <summary>The tied positions, ascending.</summary>
    public IReadOnlyList<int> Ties => _ties;

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public double this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return Array.BinarySearch(_ties, index) >= 0 ? 1.0 / _ties.Length : 0;
        }
    }

    /// <inheritdoc />
    public IEnumerator<double> GetEnumerator()
    {
        var p = 1.0 / _ties.Length;
        var next = 0;
        for (var i = 0; i < Count; i++)
        {
            if (next < _ties.Length && _ties[next] == i)
            {
                next++;
                yield return p;
            }
            else
            {
                yield return 0;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
