using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;
using static Cobalt.Neural.Tests.GradientCheck;

namespace Cobalt.Neural.Tests;

/// <summary>Every operation's gradient against central finite differences in double precision (relative error far below 1e-3).</summary>
public class OpGradientTests
{
    private const double Tolerance = 1e-5;

    private static void Check(Func<ParameterSet<double>, Func<Tape<double>, Node<double>>> build, double tolerance = Tolerance, Parallelism? parallelism = null)
    {
        var parameters = new ParameterSet<double>();
        var loss = build(parameters);
        MaxRelativeError(parameters, loss, parallelism: parallelism).Should().BeLessThan(tolerance);
    }

    [Theory]
    [InlineData(5, 7, 37)]   // 4-row block + 1 row; 32-wide AVX-512 block, 4-wide tail vector, scalar tail
    [InlineData(9, 3, 1)]    // matrix-vector
    [InlineData(2, 1, 70)]
    public void MatMul_with_a_shared_right_matrix(int m, int k, int n) => Check(ps =>
    {
        var a = Random(ps, "a", Shape.Of(2, m, k), 1);
        var b = Random(ps, "b", Shape.Of(k, n), 2);
        return t => Project(t, t.MatMul(t.Parameter(a), t.Parameter(b)));
    });

    [Theory]
    [InlineData(5, 7, 37)]
    [InlineData(6, 4, 1)]
    public void MatMul_with_a_transposed_shared_right_matrix(int m, int k, int n) => Check(ps =>
    {
        var a = Random(ps, "a", Shape.Of(m, k), 3);
        var b = Random(ps, "b", Shape.Of(n, k), 4);
        return t => Project(t, t.MatMul(t.Parameter(a), t.Parameter(b), transposeB: true));
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Batched_MatMul_plain_and_transposed(bool transposeB) => Check(ps =>
    {
        var a = Random(ps, "a", Shape.Of(2, 3, 5, 4), 5);
        var b = Random(ps, "b", transposeB ? Shape.Of(2, 3, 6, 4) : Shape.Of(2, 3, 4, 6), 6);
        return t => Project(t, t.MatMul(t.Parameter(a), t.Parameter(b), transposeB));
    });

    [Fact]
    public void Batched_MatMul_split_over_threads() => Check(
        ps =>
        {
            var a = Random(ps, "a", Shape.Of(3, 9, 6), 7);
            var b = Random(ps, "b", Shape.Of(3, 6, 5), 8);
            return t => Project(t, t.MatMul(t.Parameter(a), t.Parameter(b)));
        },
        parallelism: new Parallelism(3, minWork: 0));

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new[] { 2, 1, 4 }, new[] { 1, 3, 1 })]
    [InlineData(new[] { 3, 4 }, new int[0])]
    [InlineData(new[] { 2, 3 }, new[] { 2, 3 })]
    public void Add_and_multiply_with_broadcasting(int[] left, int[] right)
    {
        Check(ps =>
        {
            var a = Random(ps, "a", Shape.Of(left), 9);
            var b = Random(ps, "b", Shape.Of(right), 10);
            return t => Project(t, t.Add(t.Parameter(a), t.Parameter(b)));
        });
        Check(ps =>
        {
            var a = Random(ps, "a", Shape.Of(left), 11);
            var b = Random(ps, "b", Shape.Of(right), 12);
            return t => Project(t, t.Multiply(t.Parameter(a), t.Parameter(b)));
        });
    }

    [Fact]
    public void Scale_sum_mean_and_sum_over_the_last_axis()
    {
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(3, 5), 13);
            return t => t.Add(t.Scale(t.Sum(t.Parameter(x)), 0.7), t.Mean(t.Multiply(t.Parameter(x), t.Parameter(x))));
        });
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(2, 3, 5), 14);
            return t => Project(t, t.SumLastAxis(t.Parameter(x)));
        });
    }

    [Fact]
    public void Reshape_and_permute()
    {
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(2, 3, 8), 15);
            return t => Project(t, t.Permute(t.Reshape(t.Parameter(x), Shape.Of(2, 3, 4, 2)), 0, 2, 1, 3));
        });
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(4, 3), 16);
            return t => Project(t, t.Permute(t.Parameter(x), 1, 0)); // non-contiguous inner axis
        });
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(2, 3, 4), 17);
            return t => Project(t, t.Permute(t.Parameter(x), 2, 0, 1));
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax_and_log_softmax_with_and_without_a_mask(bool masked)
    {
        // 2 x 3 rows of 5; the mask has 2 rows (one per leading index), the second fully masked but for one position.
        var mask = masked ? new[] { true, true, false, true, false, false, false, true, false, false } : null;
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(2, 3, 5), 18);
            return t => Project(t, t.Softmax(t.Parameter(x), mask));
        });
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(2, 3, 5), 19);
            return t => Project(t, t.LogSoftmax(t.Parameter(x), mask));
        });
    }

    [Fact]
    public void Activations()
    {
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(3, 7), 20, scale: 2);
            return t => Project(t, t.Sigmoid(t.Parameter(x)));
        });
        Check(ps =>
        {
            var x = Random(ps, "x", Shape.Of(3, 7), 21, scale: 2);
            return t => Project(t, t.Tanh(t.Parameter(x)));
        });
        Check(ps =>
        {
            var x = ps.Create("x", Shape.Of(3, 7));
            var rng = new Rng(22);
            for (var i = 0; i < x.Value.Length; i++)
            {
                var magnitude = 0.1 + rng.NextDouble(); // away from the kink at 0
                x.Value[i] = rng.NextDouble() < 0.5 ? -magnitude : magnitude;
            }
            return t => Project(t, t.Relu(t.Parameter(x)));
        });
    }

    [Fact]
    public void Gather_from_a_row_sparse_parameter_with_repeated_rows()
    {
        var ids = new[] { 3, 0, 3, 5, 1, 3 };
        Check(ps =>
        {
            var table = Random(ps, "table", Shape.Of(7, 4), 23, rowSparse: true);
            return t => Project(t, t.Gather(t.Parameter(table), ids, Shape.Of(2, 3)));
        });

        var parameters = new ParameterSet<double>();
        var p = Random(parameters, "table", Shape.Of(7, 4), 23, rowSparse: true);
        var tape = new Tape<double>();
        tape.Backward(Project(tape, tape.Gather(tape.Parameter(p), ids, Shape.Of(6))));
        p.DenseGradient.Should().BeFalse();
        p.TouchedRows.Should().Equal(0, 1, 3, 5);
        p.Gradient.AsSpan(2 * 4, 4).ToArray().Should().OnlyContain(g => g == 0);
        p.ZeroGradient();
        p.Gradient.Should().OnlyContain(g => g == 0);
        p.HasGradient.Should().BeFalse();
    }

    [Fact]
    public void Gather_from_a_computed_tensor() => Check(ps =>
    {
        var x = Random(ps, "x", Shape.Of(4, 3), 24);
        return t => Project(t, t.Gather(t.Tanh(t.Parameter(x)), new[] { 2, 2, 0 }, Shape.Of(3)));
    });

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Concat(int axis) => Check(ps =>
    {
        var a = Random(ps, "a", Shape.Of(2, 3, 4), 25);
        var b = Random(ps, "b", axis switch { 0 => Shape.Of(1, 3, 4), 1 => Shape.Of(2, 2, 4), _ => Shape.Of(2, 3, 5) }, 26);
        return t => Project(t, t.Concat(axis, t.Parameter(a), t.Parameter(b), t.Parameter(a)));
    });

    [Fact]
    public void Dropout_with_a_fixed_mask() => Check(ps =>
    {
        var x = Random(ps, "x", Shape.Of(4, 9), 27);
        return t => Project(t, t.Dropout(t.Parameter(x), 0.3, new Rng(5)));
    });

    [Fact]
    public void Binary_cross_entropy_with_logits()
    {
        var labels = new[] { 1.0, 0.0, 0.3, 1.0, 0.0, 0.5 };
        Check(ps =>
        {
            var z = Random(ps, "z", Shape.Of(2, 3), 28, scale: 3);
            return t => t.BinaryCrossEntropyWithLogits(t.Parameter(z), labels);
        });
    }

    [Fact]
    public void Softmax_cross_entropy()
    {
        var targets = new[] { 2, 0, 4 };
        Check(ps =>
        {
            var z = Random(ps, "z", Shape.Of(3, 5), 29, scale: 2);
            return t => t.SoftmaxCrossEntropy(t.Parameter(z), targets);
        });
    }

    [Theory]
    [InlineData(false, 1, 2)]
    [InlineData(true, 1, 2)]
    [InlineData(true, 3, 2)]
    [InlineData(true, 1, 4)]  // heads fill SIMD vectors of doubles: the register path
    [InlineData(true, 2, 8)]
    public void Fused_multi_head_attention(bool masked, int threads, int heads)
    {
        // 3 sequences of 4 positions, heads of 3 components; the last sequence has no valid key at all.
        var mask = masked ? new[] { true, true, true, false, true, false, true, false, false, false, false, false } : null;
        var width = 3 * heads;
        Check(
            ps =>
            {
                var q = Random(ps, "q", Shape.Of(3, 4, width), 31);
                var k = Random(ps, "k", Shape.Of(3, 4, width), 32);
                var v = Random(ps, "v", Shape.Of(3, 4, width), 33);
                return t => Project(t, t.MultiHeadAttention(t.Parameter(q), t.Parameter(k), t.Parameter(v), heads, mask, 0.6));
            },
            parallelism: new Parallelism(threads, minWork: 0));
    }

    [Theory]
    [InlineData(4)] // the register path (heads fill SIMD vectors of doubles)
    [InlineData(3)] // the span path
    public void Fused_attention_equals_attention_composed_from_primitive_operations(int heads)
    {
        const int b = 2, l = 5, depth = 3;
        var width = heads * depth;
        bool[] mask = [true, true, false, true, false, true, true, true, true, true];
        var parameters = new ParameterSet<double>();
        var q = Random(parameters, "q", Shape.Of(b, l, width), 34);
        var k = Random(parameters, "k", Shape.Of(b, l, width), 35);
        var v = Random(parameters, "v", Shape.Of(b, l, width), 36);
        var scale = 1 / Math.Sqrt(depth);

        // Column d H + h is component d of head h: [B, L, d, H] -> [B, H, L, d], attention per head, and back.
        Node<double> Heads(Tape<double> t, Parameter<double> p) => t.Permute(t.Reshape(t.Parameter(p), Shape.Of(b, l, depth, heads)), 0, 3, 1, 2);
        Node<double> Composed(Tape<double> t)
        {
            var scores = t.MatMul(t.Scale(Heads(t, q), scale), Heads(t, k), transposeB: true);
            var output = t.MatMul(t.Softmax(scores, mask), Heads(t, v));
            return t.Reshape(t.Permute(output, 0, 2, 3, 1), Shape.Of(b, l, width));
        }
        Node<double> Fused(Tape<double> t) => t.MultiHeadAttention(t.Parameter(q), t.Parameter(k), t.Parameter(v), heads, mask, scale);

        (double[] Output, double[] Gradients) Run(Func<Tape<double>, Node<double>> f)
        {
            parameters.ZeroGradients();
            var tape = new Tape<double>();
            var y = f(tape);
            var output = y.Data.ToArray();
            tape.Backward(Project(tape, y));
            return (output, parameters.All.SelectMany(p => p.Gradient).ToArray());
        }
        var (composed, composedGradients) = Run(Composed);
        var (fused, fusedGradients) = Run(Fused);
        fused.Should().Equal(composed, (x, y) => Math.Abs(x - y) < 1e-12);
        fusedGradients.Should().Equal(composedGradients, (x, y) => Math.Abs(x - y) < 1e-12);
    }

    [Fact]
    public void A_node_used_twice_receives_the_sum_of_both_gradients() => Check(ps =>
    {
        var x = Random(ps, "x", Shape.Of(3, 3), 30);
        return t =>
        {
            var px = t.Parameter(x);
            var y = t.Tanh(px);
            return Project(t, t.Add(t.MatMul(y, y), t.Multiply(y, px)));
        };
    });
}
