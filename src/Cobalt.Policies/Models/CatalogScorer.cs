using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;

namespace Cobalt.Policies.Models;

/// <summary>
/// A model's scoring copy of the catalogue its candidates come from: x . theta and x^T A^-1 x for the candidates, in one
/// pass over each candidate's row, with lazy per-row widths (<see cref="CatalogForms{T}"/>), in float32 or float64.
/// </summary>
internal sealed class CatalogScorer(DesignMatrix design, CatalogPrecision precision)
{
    private ItemCatalog? _catalog;
    private CatalogForms<float>? _single;
    private CatalogForms<double>? _double;

    /// <summary>The element type of the copy.</summary>
    public CatalogPrecision Precision { get; } = precision;

    /// <summary>
    /// When the candidates are catalogue items: dots[i] = x_i . <paramref name="theta"/> and forms[i] = x_i^T A^-1 x_i for
    /// every candidate i, computed in one pass; otherwise false.
    /// </summary>
    public bool TryScore(CandidateSet candidates, ReadOnlySpan<double> theta, Span<double> dots, Span<double> forms)
    {
        if (candidates.Catalog is not { } catalog || catalog.Dimension != design.Dimension)
        {
            return false;
        }
        if (!ReferenceEquals(catalog, _catalog))
        {
            _catalog = catalog;
            _single = Precision == CatalogPrecision.Bits32 ? new CatalogForms<float>(design, catalog.Features) : null;
            _double = Precision == CatalogPrecision.Bits64 ? new CatalogForms<double>(design, catalog.Features) : null;
        }
        // The whole catalogue in order reads the rows sequentially (no id indirection).
        var ids = ReferenceEquals(candidates, catalog.All()) ? ReadOnlySpan<int>.Empty : candidates.Ids;
        var n = candidates.Count;
        if (_single is not null)
        {
            _single.Score(ids, theta, dots[..n], forms[..n]);
        }
        else
        {
            _double!.Score(ids, theta, dots[..n], forms[..n]);
        }
        return true;
    }

    /// <summary>Records the update the design matrix just made.</summary>
    public void Apply(RankOneUpdate update)
    {
        _single?.Apply(update);
        _double?.Apply(update);
    }

    /// <summary>Forgets every cached width (the row copy is kept): after updates went unrecorded or the design matrix was replaced.</summary>
    public void Forget()
    {
        _single?.Reset();
        _double?.Reset();
    }
}
