using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;

namespace Cobalt.Policies.Models;

/// <summary>
/// The squared widths x_i^T A^-1 x_i of every item of the catalogue the candidates come from,
/// kept current under rank-one updates of A in O(N d) (see <see cref="CachedQuadraticForms"/>).
/// Used only when the model's features are the catalogue rows themselves.
/// </summary>
internal sealed class CatalogWidthCache(DesignMatrix design)
{
    private CachedQuadraticForms? _forms;
    private ItemCatalog? _catalog;

    /// <summary>The cached x^T A^-1 x of every catalogue item, or false when the candidates are not catalogue items.</summary>
    public bool TryGetForms(CandidateSet candidates, out ReadOnlySpan<double> forms)
    {
        if (For(candidates) is not { } cache)
        {
            forms = default;
            return false;
        }
        forms = cache.Values;
        return true;
    }

    /// <summary>
    /// When the candidates are the whole catalogue in order (<see cref="ItemCatalog.All"/>): the cached forms, and
    /// <paramref name="dots"/>[i] = x_i . <paramref name="vector"/> from the same sweep over the features; otherwise false.
    /// </summary>
    public bool TryGetFormsAndDots(CandidateSet candidates, ReadOnlySpan<double> vector, Span<double> dots, out ReadOnlySpan<double> forms)
    {
        if (For(candidates) is not { } cache || !ReferenceEquals(candidates, _catalog!.All()))
        {
            forms = default;
            return false;
        }
        forms = cache.ValuesWithDots(vector, dots[..candidates.Count]);
        return true;
    }

    /// <summary>Folds in the update the design matrix just made.</summary>
    public void Apply(RankOneUpdate update) => _forms?.Apply(update);

    /// <summary>Drops the cache (after the design matrix was replaced wholesale, as by loading state).</summary>
    public void Reset()
    {
        _forms = null;
        _catalog = null;
    }

    /// <summary>The cache of the candidates' catalogue (built on first sight of it), or null when they are not catalogue items.</summary>
    private CachedQuadraticForms? For(CandidateSet candidates)
    {
        if (candidates.Catalog is not { } catalog || catalog.Dimension != design.Dimension)
        {
            return null;
        }
        if (!ReferenceEquals(catalog, _catalog))
        {
            _catalog = catalog;
            _forms = new CachedQuadraticForms(design, catalog.Features.Memory);
        }
        return _forms;
    }
}
