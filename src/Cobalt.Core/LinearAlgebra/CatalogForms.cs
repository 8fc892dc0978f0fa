using System.Numerics;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra.Kernels;

namespace Cobalt.Core.LinearAlgebra;

/// <summary>Element type of a model's scoring copy of a catalogue.</summary>
public enum CatalogPrecision
{
    /// <summary>float64: the catalogue's own values (8 bytes per feature).</summary>
    Bits64,

    /// <summary>float32: half the bytes per round streamed from memory; scores and widths to about 1e-6 relative.</summary>
    Bits32,
}

/// <summary>
/// A catalogue's scores x_i . theta and squared widths q_i = x_i^T A^-1 x_i, produced together in one pass over each
/// row touched, with the widths kept lazily per row: a round computes exactly the rows it scores.
/// </summary>
/// <remarks>
/// <para>The rows are copied once into <typeparamref name="T"/> (float32 halves the bytes a full-catalogue round reads).
/// Each row keeps its last form q_i and the version of A it holds. The last K rank-one updates of A^-1
/// (A'^-1 = A^-1 - c u uᵀ, u = A^-1 x, Sherman-Morrison) are logged as (u_k, c_k); a row that is read folds in the updates
/// it missed, q_i -= c_k (x_i . u_k)^2 in order (the first together with x_i . theta, from one read of the row), or, when it
/// missed more than K = d / 2 of them or A was re-factorised since, is recomputed as x_iᵀ A^-1 x_i through the GEMM
/// kernel, O(d^2), which is what a row-by-row model would pay anyway. A full-catalogue round therefore streams the rows
/// once (issue 19: "catalogue scoring at the memory limit") and a two-stage round touches only the items it scores.</para>
/// <para>Forms are held in float64 whatever <typeparamref name="T"/>; re-factorisations of A (every
/// <c>refactorEvery</c> updates) reset every row, so rounding never accumulates beyond one period.</para>
/// <para>Bounds for pruned top-m scoring (<see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double})"/>): A only grows (A' = A + x xᵀ, so A'^-1 ≼ A^-1),
/// hence a row's last form q_i is an upper bound on every later one, and |x_i . v' - x_i . v| ≤ ||x_i|| ||v' - v||,
/// so its last dot plus ||x_i|| times the caller's drift of the vector bounds the current dot. Both bounds carry a
/// rounding margin for the computations in <typeparamref name="T"/>, so a row whose bound is below a threshold is
/// proven below it without being read.</para>
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed class CatalogForms<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _d, _count, _logLength;
    private readonly T[] _rows;
    private readonly double[] _values;
    private readonly long[] _stamps;
    private readonly int[] _canonical;
    private readonly T[] _log;
    private readonly double[] _coefficients;
    private readonly T[] _vector, _inverse, _product;
    private readonly double[] _norms, _dotBases, _formBounds;
    private readonly sbyte[] _sketch;
    private readonly double[] _sketchScales, _sketchSlack, _sketchDrifts;
    private readonly float[] _sketchVector = [], _sketchSums = new float[SketchChunk];
    private readonly double _dotMargin, _recomputeMargin, _foldMargin;
    private long _floor, _synced, _inverseVersion = -1, _foldSpan = 1;

    /// <summary>Copies the rows of <paramref name="features"/> (in <typeparamref name="T"/>) and caches their forms under <paramref name="design"/>.</summary>
    public CatalogForms(DesignMatrix design, FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != design.Dimension)
        {
            throw new ArgumentException($"The catalogue has {features.Columns} features; the design matrix is {design.Dimension} x {design.Dimension}.", nameof(features));
        }
        Design = design;
        _d = design.Dimension;
        _count = features.Rows;
        _rows = new T[(long)_count * _d > Array.MaxLength ? throw new ArgumentException("The catalogue is too large for one array.", nameof(features)) : _count * _d];
        var values = features.Values;
        for (var i = 0; i < _rows.Length; i++)
        {
            _rows[i] = T.CreateTruncating(values[i]);
        }
        _canonical = Canonical();
        _values = new double[_count];
        _stamps = new long[_count];
        _logLength = Math.Max(1, _d / 2);
        _log = new T[_logLength * _d];
        _coefficients = new double[_logLength];
        _vector = new T[_d];
        _inverse = new T[_d * _d];
        _product = new T[_d];
        _norms = new double[_count];
        for (var i = 0; i < _count; i++)
        {
            var row = _rows.AsSpan(i * _d, _d);
            var sum = 0.0;
            foreach (var v in row)
            {
                var x = double.CreateTruncating(v);
                sum += x * x;
            }
            _norms[i] = Math.Sqrt(sum) * (1 + 1e-15);
        }
        _sketchVector = new float[_d];
        (_sketch, _sketchScales, _sketchSlack) = BuildSketch();
        _sketchDrifts = new double[(_count + SketchChunk - 1) / SketchChunk];
        Array.Fill(_sketchDrifts, double.NaN);
        _dotBases = new double[_count];
        _formBounds = new double[_count];
        Array.Fill(_dotBases, double.PositiveInfinity);
        // Rounding margins (u the unit roundoff of T): a dot of d products, computed twice, and the vector rounded to T,
        // is within 4 (d + 2) u ||x|| ||v|| of the exact one; a recomputed form within (2d + 3) d u ||x||^2 (|A^-1_jk| <= 1);
        // each fold q -= c (x . u)^2 within 2 (d + 2) u ||x||^2 (c ||u||^2 < 1). Doubled, plus 1e-10 for the inverse's own drift.
        var unit = typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);
        _dotMargin = 4.0 * (_d + 2) * unit;
        _recomputeMargin = 2.0 * (2 * _d + 3) * _d * unit + 1e-10;
        _foldMargin = 4.0 * (_d + 2) * unit;
        Reset();
    }

    /// <summary>
    /// For each row, the first row with the same values: identical rows share one cached form (and dot), so they get the
    /// same bits whichever of them was read when, and tie exactly whichever rows a round scored.
    /// </summary>
    private int[] Canonical()
    {
        var canonical = new int[_count];
        var first = new Dictionary<int, int>();
        for (var i = 0; i < _count; i++)
        {
            var row = _rows.AsSpan(i * _d, _d);
            var hash = new HashCode();
            foreach (var v in row)
            {
                hash.Add(v);
            }
            var key = hash.ToHashCode();
            canonical[i] = first.TryGetValue(key, out var j) && row.SequenceEqual(_rows.AsSpan(j * _d, _d)) ? j : i;
            first.TryAdd(key, i);
        }
        return canonical;
    }

    /// <summary>Rows per block of the int8 sketch (and the row alignment <see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double}, int)"/> uses it at).</summary>
    public const int SketchChunk = 4096;

    /// <summary>Rows per strip of the sketch.</summary>
    private const int Strip = 64;

    /// <summary>
    /// An int8 copy of the rows for bounding dots in one cheap pass (N d bytes): row i is s_i q_i with q_i in [-127, 127]^d,
    /// s_i = max_j |x_ij| / 127, stored in strips of 64 rows, feature-major inside a strip (4 KB read in order at d = 64); with
    /// e_i = x_i - s_i q_i, |x_i . v - s_i (q_i . v)| ≤ ||e_i|| ||v||. The slack per row is ||e_i|| plus the float32 rounding
    /// of the sketch's dot ((4d + 4) 2^-24 (||x|| + ||e||)) and the rounding of the dot <see cref="Score"/> computes.
    /// </summary>
    private (sbyte[] Sketch, double[] Scales, double[] Slack) BuildSketch()
    {
        var strips = (_count + Strip - 1) / Strip;
        var sketch = new sbyte[(long)strips * Strip * _d > Array.MaxLength ? 0 : strips * Strip * _d];
        var scales = new double[_count];
        var slack = new double[_count];
        if (sketch.Length == 0)
        {
            Array.Fill(slack, double.PositiveInfinity);
            return (sketch, scales, slack);
        }
        var unit = typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);
        for (var i = 0; i < _count; i++)
        {
            var row = _rows.AsSpan(i * _d, _d);
            var max = 0.0;
            foreach (var v in row)
            {
                max = Math.Max(max, Math.Abs(double.CreateTruncating(v)));
            }
            var scale = max / 127;
            var error = 0.0;
            var strip = i / Strip;
            var offset = i % Strip;
            for (var j = 0; j < _d; j++)
            {
                var x = double.CreateTruncating(row[j]);
                var q = scale > 0 ? Math.Clamp(Math.Round(x / scale), -127, 127) : 0;
                sketch[(strip * _d + j) * Strip + offset] = (sbyte)q;
                var e = x - scale * q;
                error += e * e;
            }
            error = Math.Sqrt(error) * (1 + 1e-12) + 1e-300;
            scales[i] = scale;
            slack[i] = error + (4.0 * _d + 4) * Math.Pow(2, -24) * (_norms[i] + error) * 2 + 4.0 * (_d + 2) * unit * _norms[i];
        }
        return (sketch, scales, slack);
    }

    /// <summary>
    /// dotUpper[r] = min(dotUpper[r], s_i (q_i . v) + slack_i ||v||) for the rows firstRow .. firstRow + count (firstRow a
    /// multiple of <see cref="SketchChunk"/>), from the sketch: N d bytes read instead of N d sizeof(T).
    /// </summary>
    private void SketchBounds(int firstRow, int count, double vectorNorm, Span<double> dotUpper)
    {
        var sums = _sketchSums;
        var firstStrip = firstRow / Strip;
        var strips = (count + Strip - 1) / Strip;
        for (var t = 0; t < strips; t++)
        {
            var strip = _sketch.AsSpan((firstStrip + t) * _d * Strip, _d * Strip);
            var target = sums.AsSpan(t * Strip, Strip);
            if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            {
                // The strip's 64 sums in four registers across all d features.
                var s0 = System.Runtime.Intrinsics.Vector512<float>.Zero;
                var s1 = s0;
                var s2 = s0;
                var s3 = s0;
                ref var origin = ref strip[0];
                for (var j = 0; j < _d; j++)
                {
                    var bytes = System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref origin, (nuint)(j * Strip));
                    var (lo, hi) = System.Runtime.Intrinsics.Vector512.Widen(bytes);
                    var (a, b) = System.Runtime.Intrinsics.Vector512.Widen(lo);
                    var (c, e) = System.Runtime.Intrinsics.Vector512.Widen(hi);
                    var v = System.Runtime.Intrinsics.Vector512.Create(_sketchVector[j]);
                    s0 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(System.Runtime.Intrinsics.Vector512.ConvertToSingle(a), v, s0);
                    s1 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(System.Runtime.Intrinsics.Vector512.ConvertToSingle(b), v, s1);
                    s2 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(System.Runtime.Intrinsics.Vector512.ConvertToSingle(c), v, s2);
                    s3 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(System.Runtime.Intrinsics.Vector512.ConvertToSingle(e), v, s3);
                }
                System.Runtime.Intrinsics.Vector512.CopyTo(s0, target[..16]);
                System.Runtime.Intrinsics.Vector512.CopyTo(s1, target.Slice(16, 16));
                System.Runtime.Intrinsics.Vector512.CopyTo(s2, target.Slice(32, 16));
                System.Runtime.Intrinsics.Vector512.CopyTo(s3, target.Slice(48, 16));
                continue;
            }
            target.Clear();
            for (var j = 0; j < _d; j++)
            {
                var v = _sketchVector[j];
                var column = strip.Slice(j * Strip, Strip);
                for (var r = 0; r < Strip; r++)
                {
                    target[r] = MathF.FusedMultiplyAdd(column[r], v, target[r]);
                }
            }
        }
        for (var r = 0; r < count; r++)
        {
            var i = firstRow + r;
            var bound = _sketchScales[i] * sums[r] + _sketchSlack[i] * vectorNorm;
            if (bound < dotUpper[r])
            {
                dotUpper[r] = bound;
            }
        }
    }

    /// <summary>
    /// The caller's running bound on how far the scoring vector has moved: whenever it changes the vector v it passes to
    /// <see cref="Score"/>, it raises this by at least ||v_new - v_old|| (never lowers it). Dots stored with an older drift
    /// are bounded by <see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double})"/> as dot + ||x|| (drift now - drift then).
    /// </summary>
    public double VectorDrift { get; set; }

    /// <summary>Forgets every stored dot (after the scoring vector was replaced by something not covered by <see cref="VectorDrift"/>).</summary>
    public void ForgetDots()
    {
        Array.Fill(_dotBases, double.PositiveInfinity);
        Array.Fill(_sketchDrifts, double.NaN);
    }

    /// <summary>
    /// Upper bounds, without reading the rows: <paramref name="dotUpper"/>[i] ≥ the dot x . v that <see cref="Score"/> would
    /// compute now with a vector of norm <paramref name="vectorNorm"/> (within <see cref="VectorDrift"/> of the vectors it
    /// was scored with), <paramref name="formUpper"/>[i] ≥ the form it would compute; +infinity for a row never scored.
    /// False when an update of the design matrix went unrecorded (the forms cannot be bounded; score them instead).
    /// </summary>
    public bool UpperBounds(ReadOnlySpan<int> ids, double vectorNorm, Span<double> dotUpper, Span<double> formUpper) =>
        UpperBounds(ids, vectorNorm, dotUpper, formUpper, 0);

    /// <summary>
    /// <see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double})"/> for the rows <paramref name="ids"/>, or, when
    /// it is empty, for the <paramref name="dotUpper"/>.Length rows from <paramref name="firstRow"/> on.
    /// </summary>
    public bool UpperBounds(ReadOnlySpan<int> ids, double vectorNorm, Span<double> dotUpper, Span<double> formUpper, int firstRow) =>
        UpperBounds(ids, ReadOnlySpan<double>.Empty, vectorNorm, dotUpper, formUpper, firstRow);

    /// <summary>
    /// <see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double}, int)"/>, tightened, when the current
    /// <paramref name="vector"/> is given and the rows are a block from a multiple of <see cref="SketchChunk"/>, by the int8
    /// sketch's bound on each dot (N d bytes read).
    /// </summary>
    public bool UpperBounds(ReadOnlySpan<int> ids, ReadOnlySpan<double> vector, double vectorNorm, Span<double> dotUpper, Span<double> formUpper, int firstRow)
    {
        if (Design.Version != _synced || !(vectorNorm >= 0) || !double.IsFinite(VectorDrift))
        {
            return false;
        }
        var n = ids.IsEmpty ? Math.Min(_count - firstRow, dotUpper.Length) : ids.Length;
        var slope = VectorDrift * (1 + 1e-12) + _dotMargin * (vectorNorm + VectorDrift);
        var fold = _foldMargin * _foldSpan;
        if (ids.IsEmpty)
        {
            ReadOnlySpan<double> norms = _norms.AsSpan(firstRow, n);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(norms, slope, _dotBases.AsSpan(firstRow, n), dotUpper[..n]);
            // formBounds hold q + recompute margin ||x||^2; the fold margin grows with the updates folded since.
            System.Numerics.Tensors.TensorPrimitives.Multiply(norms, norms, formUpper[..n]);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(formUpper[..n], fold, _formBounds.AsSpan(firstRow, n), formUpper[..n]);
            // The sketch's bounds are folded into the stored dots, so a block needs the sketch again only once the vector moved.
            var chunk = firstRow / SketchChunk;
            if (vector.Length == _d && _sketch.Length > 0 && firstRow % SketchChunk + n <= SketchChunk && _sketchDrifts[chunk] != VectorDrift)
            {
                for (var j = 0; j < _d; j++)
                {
                    _sketchVector[j] = (float)vector[j];
                }
                SketchBounds(firstRow, n, vectorNorm, dotUpper);
                var shift = VectorDrift * (1 + 1e-12);
                for (var r = 0; r < n; r++)
                {
                    var i = firstRow + r;
                    _dotBases[i] = Math.Min(_dotBases[i], dotUpper[r] - _norms[i] * shift);
                }
                _sketchDrifts[chunk] = n == Math.Min(SketchChunk, _count - firstRow) ? VectorDrift : double.NaN;
            }
            return true;
        }
        for (var r = 0; r < n; r++)
        {
            var id = ids[r];
            if ((uint)id >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Row {id} is not in a catalogue of {_count}.");
            }
            var norm = _norms[id];
            dotUpper[r] = _dotBases[id] + norm * slope;
            formUpper[r] = _formBounds[id] + norm * norm * fold;
        }
        return true;
    }

    /// <summary>
    /// Like <see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double})"/> for the rows <paramref name="ids"/>, but with each dot x . <paramref name="vector"/>
    /// computed (O(d) per row, as <see cref="Score"/> computes it, and stored for later bounds) instead of bounded; the forms
    /// are still bounded, not computed. False as for <see cref="UpperBounds(ReadOnlySpan{int}, double, Span{double}, Span{double})"/>.
    /// </summary>
    public bool RefineBounds(ReadOnlySpan<int> ids, ReadOnlySpan<double> vector, Span<double> dotUpper, Span<double> formUpper)
    {
        if (Design.Version != _synced || vector.Length != _d)
        {
            return false;
        }
        var vectorNorm = 0.0;
        for (var j = 0; j < _d; j++)
        {
            _vector[j] = T.CreateTruncating(vector[j]);
            vectorNorm += vector[j] * vector[j];
        }
        vectorNorm = Math.Sqrt(vectorNorm);
        var shift = VectorDrift * (1 + 1e-12);
        var fold = _foldMargin * _foldSpan;
        for (var r = 0; r < ids.Length; r++)
        {
            var id = ids[r];
            if ((uint)id >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Row {id} is not in a catalogue of {_count}.");
            }
            var norm = _norms[id];
            var dot = double.CreateTruncating(RowForms.Dot<T>(_rows.AsSpan(id * _d, _d), _vector));
            _dotBases[id] = _dotBases[_canonical[id]] = dot - norm * shift;
            dotUpper[r] = dot + _dotMargin * norm * vectorNorm;
            formUpper[r] = _formBounds[id] + norm * norm * fold;
        }
        return true;
    }

    /// <summary>The design matrix whose inverse the forms use.</summary>
    public DesignMatrix Design { get; }

    /// <summary>Number of rows.</summary>
    public int Count => _count;

    /// <summary>Bytes held by the row copy (N d sizeof(T)).</summary>
    public long RowBytes => (long)_rows.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Forgets every form (after the design matrix was replaced wholesale): each row is recomputed when next read.</summary>
    public void Reset()
    {
        _synced = Design.Version;
        _floor = _synced;
        Array.Fill(_stamps, long.MinValue);
        Array.Fill(_formBounds, double.PositiveInfinity);
    }

    /// <summary>Records the update the design matrix just made (call right after <see cref="DesignMatrix.AddOuter"/>).</summary>
    public void Apply(RankOneUpdate update)
    {
        var version = Design.Version;
        if (!(update.Coefficient >= 0) || version != _synced + 1)
        {
            // A downdate (or an update missed): the stored forms no longer bound the new ones.
            Array.Fill(_formBounds, double.PositiveInfinity);
        }
        if (update.Refactored || version != _synced + 1)
        {
            _floor = version;
            _synced = version;
            return;
        }
        var slot = (int)(version % _logLength);
        var direction = Design.LastDirection;
        var target = _log.AsSpan(slot * _d, _d);
        for (var j = 0; j < _d; j++)
        {
            target[j] = T.CreateTruncating(direction[j]);
        }
        _coefficients[slot] = update.Coefficient;
        _synced = version;
    }

    /// <summary>
    /// For the rows <paramref name="ids"/> (every row in order when empty): forms[i] = x^T A^-1 x (current) and, when
    /// <paramref name="vector"/> is not empty, dots[i] = x . vector, both from one read of each row.
    /// </summary>
    public void Score(ReadOnlySpan<int> ids, ReadOnlySpan<double> vector, Span<double> dots, Span<double> forms)
    {
        var n = ids.IsEmpty ? _count : ids.Length;
        if (forms.Length < n || (!vector.IsEmpty && (vector.Length != _d || dots.Length < n)))
        {
            throw new ArgumentException($"Scoring {n} rows of dimension {_d} needs {n} forms (got {forms.Length}), and a vector of {_d} with {n} dots (got {vector.Length} and {dots.Length}).");
        }
        if (Design.Version != _synced)
        {
            // An update was not recorded: start over from the current inverse.
            _floor = _synced = Design.Version;
            Array.Fill(_formBounds, double.PositiveInfinity);
        }
        var hasVector = !vector.IsEmpty;
        for (var j = 0; hasVector && j < _d; j++)
        {
            _vector[j] = T.CreateTruncating(vector[j]);
        }
        var now = _synced;
        _foldSpan = Math.Max(_foldSpan, now - _floor + 1);
        var shift = VectorDrift * (1 + 1e-12);
        for (var r = 0; r < n; r++)
        {
            var id = ids.IsEmpty ? r : ids[r];
            if ((uint)id >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Row {id} is not in a catalogue of {_count}.");
            }
            var x = _rows.AsSpan(id * _d, _d);
            var c = _canonical[id];
            var stamp = _stamps[c];
            var q = _values[c];
            var first = stamp + 1;
            if (stamp < _floor || now - stamp > _logLength)
            {
                q = Recompute(x);
                first = now + 1;
            }
            if (hasVector)
            {
                if (first <= now)
                {
                    var slot = (int)(first % _logLength);
                    var (dot, projection) = RowForms.DotPair<T>(x, _vector, _log.AsSpan(slot * _d, _d));
                    dots[r] = double.CreateTruncating(dot);
                    var p = double.CreateTruncating(projection);
                    q -= _coefficients[slot] * p * p;
                    first++;
                }
                else
                {
                    dots[r] = double.CreateTruncating(RowForms.Dot<T>(x, _vector));
                }
            }
            for (var v = first; v <= now; v++)
            {
                var slot = (int)(v % _logLength);
                var p = double.CreateTruncating(RowForms.Dot<T>(x, _log.AsSpan(slot * _d, _d)));
                q -= _coefficients[slot] * p * p;
            }
            q = Math.Max(q, 0.0);
            if (hasVector)
            {
                _dotBases[id] = _dotBases[c] = dots[r] - _norms[id] * shift;
            }
            _formBounds[id] = _formBounds[c] = q + _recomputeMargin * _norms[id] * _norms[id];
            _values[c] = q;
            _stamps[c] = now;
            forms[r] = q;
        }
    }

    /// <summary>x^T A^-1 x from the current inverse (copied into <typeparamref name="T"/> once per version): y = xᵀ A^-1 by the GEMM kernel, then x . y.</summary>
    private double Recompute(ReadOnlySpan<T> x)
    {
        if (_inverseVersion != Design.Version)
        {
            var inverse = Design.Inverse;
            for (var i = 0; i < _inverse.Length; i++)
            {
                _inverse[i] = T.CreateTruncating(inverse[i]);
            }
            _inverseVersion = Design.Version;
        }
        Gemm.Multiply<T>(1, _d, _d, x, _d, 1, _inverse, _d, _product, _d, false);
        return Math.Max(double.CreateTruncating(RowForms.Dot<T>(x, _product)), 0.0);
    }
}
