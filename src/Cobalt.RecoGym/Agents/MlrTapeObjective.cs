using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.RecoGym.Agents;

/// <summary>
/// The three objectives of upstream's <c>PyTorchMLRAgent</c> (criteo-research/reco-gym f8553d1,
/// <c>recogym/agents/pytorch_mlr.py</c>) recorded on Cobalt.Neural's tape, so that their gradients come from
/// reverse-mode autodiff (<see cref="Tape{T}.Backward"/>) rather than from hand-written derivatives.
/// </summary>
/// <remarks>
/// Parameters: W [P, P] (row a scores action a) and b [1], packed as theta = (W row-major, b) for the L-BFGS driver.
/// <list type="bullet">
/// <item>IPS: loss = -Σ_i w_i softmax(X W^T)_{i, a_i}, w_i = 1 / (ps_i n) over the n clicked rows;</item>
/// <item>log IPS: loss = -Σ_i w_i log_softmax(X W^T)_{i, a_i};</item>
/// <item>likelihood: s_i = Σ_k W[a_i, j_k] x_{i j_k} + b (a gather of the logged action's row over the row's non-zero
/// views, rows grouped by their number of views), loss = (1/N) Σ_i v_i BCE(s_i, c_i) over all N rows, v_i = 1 / ps_i
/// or 1 (a sum, so the grouping only changes the order of summation).</item>
/// </list>
/// Everything runs in double, as the hand-coded gradients did.
/// </remarks>
internal sealed class MlrTapeObjective
{
    private readonly MlrObjective _objective;
    private readonly int _p;
    private readonly Tape<double> _tape = new();
    private readonly Parameter<double> _w;
    private readonly Parameter<double> _b;
    private readonly int _rows;
    private readonly double[] _x = [];
    private readonly int[] _picks = [];
    private readonly double[] _weights = [];
    private readonly (int Rows, int Width, int[] Gather, double[] Values)[] _buckets = [];
    private readonly double[] _labels = [];

    /// <summary>The objective of <paramref name="objective"/> on <paramref name="rows"/> (the clicked ones for IPS and log IPS).</summary>
    public MlrTapeObjective(MlrObjective objective, BanditRows rows, int products, bool likelihoodIps)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _objective = objective;
        _p = products;
        _w = new Parameter<double>("mlr.weight", Shape.Of(products, products));
        _b = new Parameter<double>("mlr.bias", Shape.Of(1));
        if (objective == MlrObjective.Likelihood)
        {
            // Rows are grouped by their number of viewed products, padded to the next power of two (value 0, so neither
            // score nor gradient moves), so that one gather per group replaces a gather padded to the longest row.
            _rows = rows.Count;
            var order = Enumerable.Range(0, _rows).GroupBy(i => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, rows.Start[i + 1] - rows.Start[i])))
                .OrderBy(g => g.Key).ToArray();
            _labels = new double[_rows];
            _weights = new double[_rows];
            _buckets = new (int, int, int[], double[])[order.Length];
            var position = 0;
            for (var b = 0; b < order.Length; b++)
            {
                var members = order[b].ToArray();
                var width = order[b].Key;
                var gather = new int[members.Length * width];
                var values = new double[members.Length * width];
                for (var r = 0; r < members.Length; r++, position++)
                {
                    var i = members[r];
                    var row = rows.Action[i] * products;
                    var slot = r * width;
                    Array.Fill(gather, row, slot, width);
                    for (var k = rows.Start[i]; k < rows.Start[i + 1]; k++, slot++)
                    {
                        gather[slot] = row + rows.Index[k];
                        values[slot] = rows.Value[k];
                    }
                    _labels[position] = rows.Click[i] ? 1.0 : 0.0;
                    _weights[position] = likelihoodIps ? 1.0 / rows.Propensity[i] : 1.0;
                }
                _buckets[b] = (members.Length, width, gather, values);
            }
            return;
        }
        var clicked = Enumerable.Range(0, rows.Count).Where(i => rows.Click[i]).ToArray();
        _rows = clicked.Length;
        _x = new double[_rows * products];
        _picks = new int[_rows];
        _weights = new double[_rows];
        for (var r = 0; r < _rows; r++)
        {
            var i = clicked[r];
            for (var k = rows.Start[i]; k < rows.Start[i + 1]; k++)
            {
                _x[(r * products) + rows.Index[k]] = rows.Value[k];
            }
            _picks[r] = (r * products) + rows.Action[i];
            _weights[r] = -1.0 / rows.Propensity[i] / _rows;
        }
    }

    /// <summary>Rows entering the loss (0: nothing to fit).</summary>
    public int Rows => _rows;

    /// <summary>The loss at theta = <paramref name="theta"/>; its gradient (from the tape) into <paramref name="gradient"/>.</summary>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        theta[..(_p * _p)].CopyTo(_w.Value);
        _b.Value[0] = theta[^1];
        _w.ZeroGradient();
        _b.ZeroGradient();
        _tape.Reset();
        var loss = Record();
        _tape.Backward(loss);
        _w.Gradient.CopyTo(gradient);
        gradient[^1] = _b.Gradient[0];
        return loss.Data[0];
    }

    private Node<double> Record()
    {
        var t = _tape;
        var w = t.Parameter(_w);
        if (_objective == MlrObjective.Likelihood)
        {
            var flat = t.Reshape(w, Shape.Of(_p * _p, 1));
            var parts = new Node<double>[_buckets.Length];
            for (var k = 0; k < _buckets.Length; k++)
            {
                var (n, width, gather, values) = _buckets[k];
                var picked = t.Gather(flat, gather, Shape.Of(n, width));
                parts[k] = t.SumLastAxis(t.Multiply(t.Reshape(picked, Shape.Of(n, width)), t.Constant(Shape.Of(n, width), values)));
            }
            var scores = t.Add(parts.Length == 1 ? parts[0] : t.Concat(0, parts), t.Parameter(_b));
            return t.BinaryCrossEntropyWithLogits(scores, _labels, _weights);
        }
        var logits = t.MatMul(t.Constant(Shape.Of(_rows, _p), _x), w, transposeB: true);
        var policy = _objective == MlrObjective.LogIps ? t.LogSoftmax(logits) : t.Softmax(logits);
        var chosen = t.Gather(t.Reshape(policy, Shape.Of(_rows * _p, 1)), _picks, Shape.Of(_rows));
        return t.Sum(t.Multiply(chosen, t.Constant(Shape.Of(_rows, 1), _weights)));
    }
}
