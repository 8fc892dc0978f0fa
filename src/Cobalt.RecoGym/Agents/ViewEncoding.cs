namespace Cobalt.RecoGym.Agents;

/// <summary>How a user's organic view counts x become the user half of the Kronecker features x (x) a.</summary>
public enum ViewEncoding
{
    /// <summary>The counts themselves (upstream's raw bag of words).</summary>
    Counts,

    /// <summary>1 for a viewed product, 0 otherwise.</summary>
    Binary,

    /// <summary>x_i / sum_j x_j: the share of the user's views (the logging policy's probabilities).</summary>
    Frequency,

    /// <summary>1 + [viewed]: unviewed products count 1, viewed ones 2 (the challenge team's "binned" features; naive Bayes only).</summary>
    Binned,
}

/// <summary>
/// The user features of the current history as a sparse vector: a constant <see cref="Baseline"/> on every product
/// plus the listed entries, and optionally a bias feature at index P. Reused without allocating.
/// </summary>
internal sealed class UserFeatures
{
    private readonly int[] _index;
    private readonly double[] _value;

    public UserFeatures(int products, bool bias)
    {
        Products = products;
        Bias = bias;
        _index = new int[products + 1];
        _value = new double[products + 1];
    }

    public int Products { get; }

    public bool Bias { get; }

    /// <summary>P + 1 with a bias feature, P without.</summary>
    public int Dimension => Products + (Bias ? 1 : 0);

    /// <summary>The value every product's feature has besides the listed entries (1 for binned, else 0).</summary>
    public double Baseline { get; private set; }

    public int Count { get; private set; }

    public ReadOnlySpan<int> Index => _index.AsSpan(0, Count);

    public ReadOnlySpan<double> Value => _value.AsSpan(0, Count);

    /// <summary>The history stamp the features were built from.</summary>
    public long Stamp { get; private set; } = -1;

    /// <summary>Builds the features of <paramref name="history"/> (a no-op when they are current).</summary>
    public void Fill(UserHistory history, ViewEncoding encoding)
    {
        if (history.Stamp == Stamp)
        {
            return;
        }
        Baseline = encoding == ViewEncoding.Binned ? 1.0 : 0.0;
        var counts = history.Counts;
        var total = Math.Max(1, history.Total);
        var n = 0;
        foreach (var p in history.Viewed)
        {
            _index[n] = p;
            _value[n++] = encoding switch
            {
                ViewEncoding.Counts => counts[p],
                ViewEncoding.Frequency => (double)counts[p] / total,
                _ => 1.0,
            };
        }
        if (Bias)
        {
            _index[n] = Products;
            _value[n++] = 1.0;
        }
        Count = n;
        Stamp = history.Stamp;
    }

    /// <summary>Writes the dense vector (length <see cref="Dimension"/>).</summary>
    public void Scatter(Span<double> dense)
    {
        dense.Clear();
        dense[..Products].Fill(Baseline);
        for (var k = 0; k < Count; k++)
        {
            dense[_index[k]] += _value[k];
        }
    }

    /// <summary>w . x for a weight vector of length <see cref="Dimension"/> (no baseline: callers that allow binned use their own sums).</summary>
    public double Dot(ReadOnlySpan<double> weights)
    {
        var sum = 0.0;
        for (var k = 0; k < Count; k++)
        {
            sum += weights[_index[k]] * _value[k];
        }
        return sum;
    }

    /// <summary>x^T M x for a symmetric row-major matrix of size <see cref="Dimension"/> (sparse entries only).</summary>
    public double QuadraticForm(ReadOnlySpan<double> matrix)
    {
        var d = Dimension;
        var sum = 0.0;
        for (var k = 0; k < Count; k++)
        {
            var row = matrix.Slice(_index[k] * d, d);
            var inner = 0.0;
            for (var l = 0; l < Count; l++)
            {
                inner += row[_index[l]] * _value[l];
            }
            sum += _value[k] * inner;
        }
        return Math.Max(sum, 0.0);
    }
}
