using Cobalt.Core.Data;

namespace Cobalt.Policies.Models;

/// <summary>
/// Reads a candidate's features under a <see cref="FeatureMap"/>: the catalogue row itself for
/// <see cref="FeatureMap.Item"/> (no copy), otherwise the mapped vector in a reused buffer.
/// </summary>
internal sealed class FeatureReader(FeatureMap map, int userDimension, int itemDimension)
{
    private readonly double[] _buffer = new double[map.Dimension(userDimension, itemDimension)];

    public FeatureMap Map { get; } = map;

    public int Dimension => _buffer.Length;

    /// <summary>The mapped features; valid until the next call.</summary>
    public ReadOnlySpan<double> Read(DecisionContext context, int candidateIndex)
    {
        if (Map == FeatureMap.Item)
        {
            var row = context.Candidates.Features(candidateIndex);
            return row.Length == _buffer.Length
                ? row
                : throw new ArgumentException($"Candidates have {row.Length} features; the model was built for {_buffer.Length}.", nameof(context));
        }
        Map.Write(context, candidateIndex, _buffer);
        return _buffer;
    }
}
