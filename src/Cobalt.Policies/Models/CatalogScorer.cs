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
    private double _drift;

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
        For(catalog);
        // The whole catalogue in order reads the rows sequentially (no id indirection).
        var ids = ReferenceEquals(candidates, catalog.All()) ? ReadOnlySpan<int>.Empty : candidates.Ids;
        Score(ids, theta, dots[..candidates.Count], forms[..candidates.Count]);
        return true;
    }

    /// <summary>dots[r] = x . theta and forms[r] = x^T A^-1 x of the catalogue rows <paramref name="ids"/> (every row when empty; repeats allowed).</summary>
    public void Score(ReadOnlySpan<int> ids, ReadOnlySpan<double> theta, Span<double> dots, Span<double> forms)
    {
        if (_single is not null)
        {
            _single.Score(ids, theta, dots, forms);
        }
        else
        {
            _double!.Score(ids, theta, dots, forms);
        }
    }

    /// <summary>
    /// When the candidates are catalogue items: for candidates <paramref name="start"/> on (as many as
    /// <paramref name="dotUpper"/> holds), upper bounds on the dots x . theta (theta of norm <paramref name="thetaNorm"/>,
    /// within <see cref="Drift"/> of every theta scored before) and on the forms that <see cref="TryScore"/> would compute now,
    /// without reading the rows (<see cref="CatalogForms{T}.UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double})"/>); otherwise, or when they cannot be bounded, false.
    /// </summary>
    public bool TryBound(CandidateSet candidates, ReadOnlySpan<double> theta, double thetaNorm, Span<double> dotUpper, Span<double> formUpper, int start = 0)
    {
        if (candidates.Catalog is not { } catalog || catalog.Dimension != design.Dimension)
        {
            return false;
        }
        For(catalog);
        // Candidates start .. start + dotUpper.Length: catalogue rows in order, or the ids of a subset.
        var n = dotUpper.Length;
        var ids = ReferenceEquals(candidates, catalog.All()) ? ReadOnlySpan<int>.Empty : candidates.Ids.Slice(start, n);
        return _single is not null
            ? _single.UpperBounds(ids, theta, thetaNorm, dotUpper, formUpper[..n], start)
            : _double!.UpperBounds(ids, theta, thetaNorm, dotUpper, formUpper[..n], start);
    }

    /// <summary>
    /// Bounds for the catalogue rows <paramref name="ids"/> with their dots x . theta computed rather than bounded
    /// (<see cref="CatalogForms{T}.RefineBounds"/>); false when they cannot be bounded.
    /// </summary>
    public bool TryRefine(ItemCatalog catalog, ReadOnlySpan<int> ids, ReadOnlySpan<double> theta, Span<double> dotUpper, Span<double> formUpper)
    {
        if (catalog.Dimension != design.Dimension)
        {
            return false;
        }
        For(catalog);
        return _single is not null
            ? _single.RefineBounds(ids, theta, dotUpper, formUpper)
            : _double!.RefineBounds(ids, theta, dotUpper, formUpper);
    }

    /// <summary>Running bound on how far theta has moved (raised by the model by ||delta theta|| at every change of theta).</summary>
    public double Drift
    {
        get => _drift;
        set
        {
            _drift = value;
            if (_single is not null)
            {
                _single.VectorDrift = value;
            }
            if (_double is not null)
            {
                _double.VectorDrift = value;
            }
        }
    }

    /// <summary>Forgets the dots kept for bounds (theta replaced wholesale).</summary>
    public void ForgetDots()
    {
        _single?.ForgetDots();
        _double?.ForgetDots();
    }

    private void For(ItemCatalog catalog)
    {
        if (!ReferenceEquals(catalog, _catalog))
        {
            _catalog = catalog;
            _single = Precision == CatalogPrecision.Bits32 ? new CatalogForms<float>(design, catalog.Features) { VectorDrift = _drift } : null;
            _double = Precision == CatalogPrecision.Bits64 ? new CatalogForms<double>(design, catalog.Features) { VectorDrift = _drift } : null;
        }
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
