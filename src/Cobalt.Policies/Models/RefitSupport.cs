using System.Numerics.Tensors;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// An as-coded GLM refitted by Adam over a buffer of rounds (CB4Rec @67f4029): the buffer is emptied when the NRMS model is
/// retrained (reset_buffer), after that round has entered it and before its refit.
/// </summary>
public interface IRefitBuffer
{
    /// <summary>Empties the buffer inside the next update, after that round has entered it and before the refit.</summary>
    void ResetBufferAtNextUpdate();
}

/// <summary>How the coefficients of a generalised linear model (GLM-UCB, S-N-GALM, S-N-GBLM) are fitted.</summary>
public enum GlmFit
{
    /// <summary>Cobalt's online fit: one step per shown item (the paper's text: gradient steps in every update that holds a click).</summary>
    Online,

    /// <summary>
    /// As the authors' code (CB4Rec @67f4029) fits it: after every round but the first, a fresh Adam optimiser (PyTorch
    /// defaults beta = (0.9, 0.999), eps = 1e-8) runs full-batch epochs of mean binary cross-entropy over a buffer of logged
    /// rounds (all positives plus up to 1.5 times as many sampled negatives per round with a click), warm-started from the
    /// current coefficients.
    /// </summary>
    AsCoded,
}

/// <summary>Which logged rounds an as-coded per-user GLM-UCB (<see cref="RefitLogisticModel"/>) refits on.</summary>
public enum RefitBuffer
{
    /// <summary>
    /// CB4Rec algorithms/linucb.py @67f4029 (GLMUCB.construct_trainable_samples): one list of every user's rounds; a refit
    /// for user u walks it while removing each visited entry, so (Python's remove-while-iterating) it visits and removes the
    /// entries at positions 0, 2, 4, ... and trains on those of them that are u's and hold a click. In a run one user's
    /// refit therefore sees almost only the previous round's entry.
    /// </summary>
    AsCoded,

    /// <summary>
    /// Every earlier round of the user that holds a click, kept (the per-user buffer the paper implies; also what CB4Rec
    /// algorithms/neural_linear.py NeuralGLMUCB does, until a <see cref="RefitLogisticModel.ResetBuffer"/>).
    /// </summary>
    PerUser,
}

/// <summary>Where an as-coded per-user GLM-UCB puts a user's initial history when it first meets the user.</summary>
public enum HistorySeed
{
    /// <summary>CB4Rec algorithms/linucb.py GLMUCB: A_u = I + sum over the history's items of x x^T (the buffer gets nothing).</summary>
    DesignMatrix,

    /// <summary>
    /// CB4Rec algorithms/neural_linear.py NeuralGLMUCB (set_clicked_history): the history enters the buffer as one round of
    /// positives without negatives (dropped by a buffer reset before the user is met); A_u stays I.
    /// </summary>
    Buffer,

    /// <summary>The history is not used.</summary>
    None,
}

/// <summary>
/// Adam (Kingma and Ba 2015) over one flat parameter vector, as PyTorch's torch.optim.Adam with its defaults:
/// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps),
/// b1 = 0.9, b2 = 0.999, eps = 1e-8, no weight decay. Allocation-free per step.
/// </summary>
public sealed class GlmAdam
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private readonly double[] _m, _v, _scratch;
    private int _steps;

    /// <summary>An optimiser for <paramref name="dimension"/> parameters.</summary>
    public GlmAdam(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        _m = new double[dimension];
        _v = new double[dimension];
        _scratch = new double[dimension];
    }

    /// <summary>Steps taken since the last <see cref="Reset"/>.</summary>
    public int Steps => _steps;

    /// <summary>Forgets the moments and the step count (a fresh optimiser, as CB4Rec builds one per refit).</summary>
    public void Reset()
    {
        Array.Clear(_m);
        Array.Clear(_v);
        _steps = 0;
    }

    /// <summary>One Adam step of <paramref name="parameters"/> along <paramref name="gradient"/> with learning rate <paramref name="learningRate"/>.</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient, double learningRate)
    {
        if (parameters.Length != _m.Length || gradient.Length != _m.Length)
        {
            throw new ArgumentException($"Adam was built for {_m.Length} parameters; got {parameters.Length} parameters and {gradient.Length} gradients.", nameof(parameters));
        }
        _steps++;
        TensorPrimitives.Multiply(_m, Beta1, _m);
        TensorPrimitives.MultiplyAdd(gradient, 1 - Beta1, _m, _m);
        TensorPrimitives.Multiply(gradient, gradient, _scratch);
        TensorPrimitives.Multiply(_v, Beta2, _v);
        TensorPrimitives.MultiplyAdd(_scratch, 1 - Beta2, _v, _v);
        var correction1 = 1 - Math.Pow(Beta1, _steps);
        var correction2 = 1 - Math.Pow(Beta2, _steps);
        TensorPrimitives.Sqrt(_v, _scratch);
        TensorPrimitives.Multiply(_scratch, 1 / Math.Sqrt(correction2), _scratch);
        TensorPrimitives.Add(_scratch, Epsilon, _scratch);
        TensorPrimitives.Divide(_m, _scratch, _scratch);
        TensorPrimitives.MultiplyAdd(_scratch, -learningRate / correction1, parameters, parameters);
    }
}

/// <summary>
/// Full-batch mean binary cross-entropy L = (1/N) sum_n [log(1 + e^{l_n}) - y_n l_n] of the three logistic models CB4Rec
/// fits (algorithms/lr_model.py @67f4029), and its gradient dL/dl_n = (sigmoid(l_n) - y_n) / N chained to the parameters.
/// Rows are row-major; every method is allocation-free (the caller owns the scratch).
/// </summary>
/// <remarks>
/// PyTorch computes the same loss in single precision through sigmoid then BCELoss (logs clamped at -100); in double precision
/// and away from saturation (|l| below about 17) the two agree.
/// </remarks>
public static class GlmGradients
{
    /// <summary>
    /// LogisticRegression: l_n = w . x_n + b, parameters [w (d), b]. Writes the gradient (d + 1) and returns the loss;
    /// <paramref name="scratch"/> needs N entries.
    /// </summary>
    public static double Logistic(ReadOnlySpan<double> parameters, ReadOnlySpan<double> x, ReadOnlySpan<double> labels, Span<double> gradient, Span<double> scratch)
    {
        var n = labels.Length;
        var d = parameters.Length - 1;
        Check(x.Length == n * d && gradient.Length == d + 1 && scratch.Length >= n, "logistic");
        var w = parameters[..d];
        var b = parameters[d];
        for (var i = 0; i < n; i++)
        {
            scratch[i] = TensorPrimitives.Dot(w, x.Slice(i * d, d)) + b;
        }
        var loss = LossAndResiduals(scratch[..n], labels);
        gradient.Clear();
        var gw = gradient[..d];
        for (var i = 0; i < n; i++)
        {
            TensorPrimitives.MultiplyAdd(x.Slice(i * d, d), scratch[i], gw, gw);
        }
        gradient[d] = TensorPrimitives.Sum(scratch[..n]);
        return loss;
    }

    /// <summary>
    /// LogisticRegressionAddtive: l_n = w_x . x_n + b_x + w_z . z_n + b_z, parameters [w_x (d1), b_x, w_z (d2), b_z]. Writes the
    /// gradient (d1 + d2 + 2) and returns the loss; <paramref name="scratch"/> needs N entries.
    /// </summary>
    public static double Additive(ReadOnlySpan<double> parameters, int itemDimension, ReadOnlySpan<double> x, ReadOnlySpan<double> z, ReadOnlySpan<double> labels, Span<double> gradient, Span<double> scratch)
    {
        var n = labels.Length;
        var d1 = itemDimension;
        var d2 = parameters.Length - d1 - 2;
        Check(d2 > 0 && x.Length == n * d1 && z.Length == n * d2 && gradient.Length == parameters.Length && scratch.Length >= n, "additive");
        var wx = parameters[..d1];
        var wz = parameters.Slice(d1 + 1, d2);
        var bias = parameters[d1] + parameters[d1 + 1 + d2];
        for (var i = 0; i < n; i++)
        {
            scratch[i] = TensorPrimitives.Dot(wx, x.Slice(i * d1, d1)) + TensorPrimitives.Dot(wz, z.Slice(i * d2, d2)) + bias;
        }
        var loss = LossAndResiduals(scratch[..n], labels);
        gradient.Clear();
        Span<double> gx = gradient[..d1], gz = gradient.Slice(d1 + 1, d2);
        for (var i = 0; i < n; i++)
        {
            TensorPrimitives.MultiplyAdd(x.Slice(i * d1, d1), scratch[i], gx, gx);
            TensorPrimitives.MultiplyAdd(z.Slice(i * d2, d2), scratch[i], gz, gz);
        }
        var sum = TensorPrimitives.Sum(scratch[..n]);
        gradient[d1] = sum;
        gradient[d1 + 1 + d2] = sum;
        return loss;
    }

    /// <summary>
    /// LogisticRegressionBilinear (nn.Bilinear with bias): l_n = x_n^T Theta z_n + b, parameters [Theta (d1 x d2, row i for
    /// x_i), b]. Writes the gradient (d1 d2 + 1) and returns the loss; <paramref name="scratch"/> needs N + d1 entries.
    /// </summary>
    public static double Bilinear(ReadOnlySpan<double> parameters, int itemDimension, ReadOnlySpan<double> x, ReadOnlySpan<double> z, ReadOnlySpan<double> labels, Span<double> gradient, Span<double> scratch)
    {
        var n = labels.Length;
        var d1 = itemDimension;
        var d2 = (parameters.Length - 1) / Math.Max(d1, 1);
        Check(d1 > 0 && d2 > 0 && parameters.Length == d1 * d2 + 1 && x.Length == n * d1 && z.Length == n * d2 && gradient.Length == parameters.Length && scratch.Length >= n + d1, "bilinear");
        var theta = parameters[..(d1 * d2)];
        var thetaZ = scratch.Slice(n, d1);
        for (var i = 0; i < n; i++)
        {
            var zi = z.Slice(i * d2, d2);
            for (var r = 0; r < d1; r++)
            {
                thetaZ[r] = TensorPrimitives.Dot(theta.Slice(r * d2, d2), zi);
            }
            scratch[i] = TensorPrimitives.Dot(x.Slice(i * d1, d1), thetaZ) + parameters[d1 * d2];
        }
        var loss = LossAndResiduals(scratch[..n], labels);
        gradient.Clear();
        for (var i = 0; i < n; i++)
        {
            var xi = x.Slice(i * d1, d1);
            var zi = z.Slice(i * d2, d2);
            for (var r = 0; r < d1; r++)
            {
                var row = gradient.Slice(r * d2, d2);
                TensorPrimitives.MultiplyAdd(zi, scratch[i] * xi[r], row, row);
            }
        }
        gradient[d1 * d2] = TensorPrimitives.Sum(scratch[..n]);
        return loss;
    }

    /// <summary>Turns logits into residuals (sigmoid(l) - y) / N in place and returns the mean loss.</summary>
    private static double LossAndResiduals(Span<double> logits, ReadOnlySpan<double> labels)
    {
        var n = logits.Length;
        if (n == 0)
        {
            return 0;
        }
        var loss = 0.0;
        for (var i = 0; i < n; i++)
        {
            var l = logits[i];
            loss += (l > 0 ? l + double.LogP1(Math.Exp(-l)) : double.LogP1(Math.Exp(l))) - labels[i] * l;
            logits[i] = (Core.LinearAlgebra.OnlineLogisticRegression.Sigmoid(l) - labels[i]) / n;
        }
        return loss / n;
    }

    private static void Check(bool ok, string model)
    {
        if (!ok)
        {
            throw new ArgumentException($"The {model} gradient got spans of inconsistent lengths.");
        }
    }
}

/// <summary>PyTorch's default initialisation of nn.Linear and nn.Bilinear: every weight and bias uniform on (-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
internal static class TorchInit
{
    public static void Uniform(Span<double> values, int fanIn, Rng rng)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (2 * rng.NextDouble() - 1) * bound;
        }
    }
}

/// <summary>The samples of one refit, gathered into contiguous rows (reused between refits).</summary>
internal sealed class TrainingSet(int itemDimension)
{
    public int ItemDimension { get; } = itemDimension;
    public double[] X = [];
    public double[] Labels = [];
    public int[] Users = [];
    public int Count;

    public void Clear() => Count = 0;

    public void Add(ReadOnlySpan<double> x, double label, int user)
    {
        if (Count == Labels.Length)
        {
            var capacity = Math.Max(16, Count * 2);
            Array.Resize(ref X, capacity * ItemDimension);
            Array.Resize(ref Labels, capacity);
            Array.Resize(ref Users, capacity);
        }
        x.CopyTo(X.AsSpan(Count * ItemDimension, ItemDimension));
        Labels[Count] = label;
        Users[Count] = user;
        Count++;
    }
}

/// <summary>
/// Logged rounds as CB4Rec keeps them in data_buffer / data_buffer_lr: per round and user, the shown items' feature rows,
/// positives (reward 1) then negatives (any other reward). Building a training set takes every positive of each round with a
/// click and floor(min(1.5 P, N)) of its N negatives drawn without replacement (np.random.choice(negs, replace=False)).
/// </summary>
internal sealed class SampleBuffer(int dimension, bool keepRoundsWithoutClicks)
{
    private readonly List<Entry> _entries = [];
    private double[] _rows = [];
    private int _rowCount;
    private int[] _order = [];

    internal readonly record struct Entry(int User, int Start, int Positives, int Negatives);

    public int Dimension { get; } = dimension;

    /// <summary>Rounds held.</summary>
    public int Count => _entries.Count;

    /// <summary>The held rounds, oldest first.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Appends a batch of feedback as rounds: each run of consecutive records of one user is one round.</summary>
    public void AddRounds(ReadOnlySpan<Feedback> feedback)
    {
        for (var start = 0; start < feedback.Length;)
        {
            var end = start + 1;
            while (end < feedback.Length && feedback[end].UserId == feedback[start].UserId)
            {
                end++;
            }
            Add(feedback[start].UserId, feedback[start..end]);
            start = end;
        }
    }

    /// <summary>Records each feedback record's user features as that user's latest (the shared models' z for later refits).</summary>
    public static void RememberUsers(Dictionary<int, double[]> latest, ReadOnlySpan<Feedback> feedback, int userDimension)
    {
        foreach (var f in feedback)
        {
            if (!latest.TryGetValue(f.UserId, out var z))
            {
                z = new double[userDimension];
                latest[f.UserId] = z;
            }
            f.Context.UserFeatures.Span.CopyTo(z);
        }
    }

    /// <summary>Appends one round of <paramref name="user"/>: the rows of the feedback records, positives first.</summary>
    public void Add(int user, ReadOnlySpan<Feedback> round)
    {
        var positives = 0;
        foreach (var f in round)
        {
            positives += IsPositive(f.Reward) ? 1 : 0;
        }
        if (positives == 0 && !keepRoundsWithoutClicks)
        {
            return; // never trained on: such rounds only matter to the as-coded remove-while-iterating walk
        }
        var start = _rowCount;
        Reserve(round.Length);
        foreach (var f in round)
        {
            if (IsPositive(f.Reward))
            {
                AppendRow(f.Features);
            }
        }
        foreach (var f in round)
        {
            if (!IsPositive(f.Reward))
            {
                AppendRow(f.Features);
            }
        }
        _entries.Add(new Entry(user, start, positives, round.Length - positives));
    }

    /// <summary>Appends one round of positives only (an initial history) read from <paramref name="catalog"/>.</summary>
    public void AddPositives(int user, ItemCatalog catalog, ReadOnlySpan<int> items)
    {
        if (items.IsEmpty)
        {
            return;
        }
        var start = _rowCount;
        Reserve(items.Length);
        foreach (var item in items)
        {
            AppendRow(catalog.Features.Row(item));
        }
        _entries.Add(new Entry(user, start, items.Length, 0));
    }

    /// <summary>Empties the buffer.</summary>
    public void Clear()
    {
        _entries.Clear();
        _rowCount = 0;
    }

    /// <summary>
    /// Gathers the training set: every held round (of <paramref name="user"/> only, unless it is null) with a click gives its
    /// positives and floor(min(1.5 P, N)) sampled negatives. With <paramref name="consume"/>, walks the list as CB4Rec's
    /// GLMUCB does, removing each visited entry (so entries 0, 2, 4, ... of the list are visited and removed).
    /// </summary>
    public void Build(int? user, bool consume, Rng rng, TrainingSet set)
    {
        set.Clear();
        var i = 0;
        while (i < _entries.Count)
        {
            var e = _entries[i];
            if ((user is null || e.User == user) && e.Positives > 0)
            {
                for (var p = 0; p < e.Positives; p++)
                {
                    set.Add(Row(e.Start + p), 1.0, e.User);
                }
                var take = (int)Math.Min(1.5 * e.Positives, e.Negatives);
                if (take > 0)
                {
                    if (_order.Length < e.Negatives)
                    {
                        _order = new int[Math.Max(e.Negatives, 2 * _order.Length)];
                    }
                    for (var k = 0; k < e.Negatives; k++)
                    {
                        _order[k] = k;
                    }
                    for (var k = 0; k < take; k++)
                    {
                        var j = k + rng.NextInt(e.Negatives - k);
                        (_order[k], _order[j]) = (_order[j], _order[k]);
                        set.Add(Row(e.Start + e.Positives + _order[k]), 0.0, e.User);
                    }
                }
            }
            if (consume)
            {
                _entries.RemoveAt(i); // Python's list.remove inside the for loop: the next entry is skipped
            }
            i++;
        }
        if (consume)
        {
            Compact();
        }
    }

    /// <summary>Whether a reward counts as a click (CB4Rec: r == 1).</summary>
    public static bool IsPositive(double reward) => reward == 1.0;

    private ReadOnlySpan<double> Row(int index) => _rows.AsSpan(index * Dimension, Dimension);

    private void Reserve(int rows)
    {
        var needed = (_rowCount + rows) * Dimension;
        if (needed > _rows.Length)
        {
            Array.Resize(ref _rows, Math.Max(needed, 2 * _rows.Length));
        }
    }

    private void AppendRow(ReadOnlySpan<double> row)
    {
        row.CopyTo(_rows.AsSpan(_rowCount * Dimension, Dimension));
        _rowCount++;
    }

    private void Compact()
    {
        var next = 0;
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            var length = (e.Positives + e.Negatives) * Dimension;
            if (e.Start != next)
            {
                _rows.AsSpan(e.Start * Dimension, length).CopyTo(_rows.AsSpan(next * Dimension, length));
                _entries[i] = e with { Start = next };
            }
            next += e.Positives + e.Negatives;
        }
        _rowCount = next;
    }

    public void WriteState(StateWriter writer)
    {
        writer.Tag("sample-buffer");
        writer.Write(Dimension);
        writer.Write(_rows.AsSpan(0, _rowCount * Dimension));
        var flat = new int[_entries.Count * 4];
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            (flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3]) = (e.User, e.Start, e.Positives, e.Negatives);
        }
        writer.Write(flat.AsSpan());
    }

    public void ReadState(StateReader reader)
    {
        reader.Tag("sample-buffer");
        var d = reader.ReadInt32();
        if (d != Dimension)
        {
            throw new InvalidDataException($"The saved sample buffer has rows of {d} features; this model has {Dimension}.");
        }
        _rows = reader.ReadDoubles("buffered feature rows");
        if (_rows.Length % Dimension != 0)
        {
            throw new InvalidDataException($"The saved sample buffer holds {_rows.Length} values, not a whole number of {Dimension}-feature rows.");
        }
        _rowCount = _rows.Length / Dimension;
        var flat = reader.ReadInts("buffered rounds");
        if (flat.Length % 4 != 0)
        {
            throw new InvalidDataException("The saved sample buffer's rounds are damaged.");
        }
        _entries.Clear();
        for (var i = 0; i < flat.Length; i += 4)
        {
            var e = new Entry(flat[i], flat[i + 1], flat[i + 2], flat[i + 3]);
            if (e.Start < 0 || e.Positives < 0 || e.Negatives < 0 || e.Start + e.Positives + e.Negatives > _rowCount)
            {
                throw new InvalidDataException($"The saved sample buffer's round {i / 4} points outside its {_rowCount} rows.");
            }
            _entries.Add(e);
        }
    }
}
