using System.Numerics.Tensors;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Tests;

/// <summary>The matrix kernel against a naive triple loop, its independence of the thread count, and buffer reuse on the tape.</summary>
public class KernelTests
{
    private static T[] Random<T>(int length, ulong seed)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var values = new T[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = T.CreateChecked(rng.NextGaussian());
        }
        return values;
    }

    private static double[] Naive(double[] a, double[] b, int m, int k, int n, bool transposedA)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0.0;
                for (var kk = 0; kk < k; kk++)
                {
                    sum += (transposedA ? a[kk * m + i] : a[i * k + kk]) * b[kk * n + j];
                }
                c[i * n + j] = sum;
            }
        }
        return c;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(33, 17, 71)]
    [InlineData(64, 64, 64)]
    [InlineData(9, 40, 1)]
    [InlineData(5, 0, 6)]
    public void Gemm_matches_a_naive_product_in_float_and_double_plain_and_transposed(int m, int k, int n)
    {
        foreach (var transposedA in new[] { false, true })
        {
            var a = Random<double>(m * k, 1);
            var b = Random<double>(k * n, 2);
            var expected = Naive(a, b, m, k, n, transposedA);
            var aRef = transposedA ? MatrixRef.RowMajor(a, 0, k, m).Transposed() : MatrixRef.RowMajor(a, 0, m, k);

            var c = new double[m * n];
            MatrixKernels.Gemm(aRef, MatrixRef.RowMajor(b, 0, k, n), MatrixRef.RowMajor(c, 0, m, n), false, Parallelism.Sequential);
            for (var i = 0; i < c.Length; i++)
            {
                c[i].Should().BeApproximately(expected[i], 1e-12 * (1 + Math.Abs(expected[i])) * Math.Max(k, 1));
            }

            var af = a.Select(x => (float)x).ToArray();
            var bf = b.Select(x => (float)x).ToArray();
            var cf = Enumerable.Repeat(1f, m * n).ToArray(); // accumulate onto ones
            var afRef = transposedA ? MatrixRef.RowMajor(af, 0, k, m).Transposed() : MatrixRef.RowMajor(af, 0, m, k);
            MatrixKernels.Gemm(afRef, MatrixRef.RowMajor(bf, 0, k, n), MatrixRef.RowMajor(cf, 0, m, n), true, Parallelism.Sequential);
            for (var i = 0; i < cf.Length; i++)
            {
                ((double)cf[i]).Should().BeApproximately(expected[i] + 1, 1e-5 * (1 + Math.Abs(expected[i])) * Math.Max(k, 1));
            }
        }
    }

    [Fact]
    public void Gemm_results_are_bit_identical_whatever_the_thread_count_and_row_split()
    {
        const int m = 103, k = 67, n = 45;
        var a = Random<float>(m * k, 3);
        var b = Random<float>(k * n, 4);
        float[] Run(Parallelism p)
        {
            var c = new float[m * n];
            MatrixKernels.Gemm(MatrixRef.RowMajor(a, 0, m, k), MatrixRef.RowMajor(b, 0, k, n), MatrixRef.RowMajor(c, 0, m, n), false, p);
            return c;
        }
        var one = Run(Parallelism.Sequential);
        Run(new Parallelism(2, minWork: 0)).Should().Equal(one);
        Run(new Parallelism(3, minWork: 0)).Should().Equal(one);
        Run(new Parallelism(7, minWork: 0)).Should().Equal(one);

        // Row r of the product computed alone (a 1-row call takes the single-row path) equals row r of the full product.
        var row = new float[n];
        MatrixKernels.Gemm(MatrixRef.RowMajor(a, 5 * k, 1, k), MatrixRef.RowMajor(b, 0, k, n), MatrixRef.RowMajor(row, 0, 1, n), false, Parallelism.Sequential);
        row.Should().Equal(one.AsSpan(5 * n, n).ToArray());
    }

    [Fact]
    public void The_span_reductions_used_do_not_depend_on_memory_alignment()
    {
        // Determinism relies on TensorPrimitives.Sum and Dot giving the same bits for the same values wherever they sit.
        var values = Random<float>(301, 5);
        var other = Random<float>(301, 6);
        var sum = TensorPrimitives.Sum<float>(values);
        var dot = TensorPrimitives.Dot<float>(values, other);
        for (var offset = 1; offset < 17; offset++)
        {
            var shifted = new float[values.Length + offset];
            values.CopyTo(shifted, offset);
            TensorPrimitives.Sum<float>(shifted.AsSpan(offset, values.Length)).Should().Be(sum);
            TensorPrimitives.Dot<float>(shifted.AsSpan(offset, values.Length), other).Should().Be(dot);
        }
    }

    [Fact]
    public void A_repeated_step_reuses_the_tape_buffers()
    {
        var parameters = new ParameterSet<float>();
        var w = GradientCheck.Random(parameters, "w", Shape.Of(32, 32), 7);
        var x = new float[64 * 32];
        var tape = new Tape<float>();
        void Step()
        {
            tape.Reset();
            var input = tape.Constant(Shape.Of(64, 32), x);
            var y = tape.Softmax(tape.Tanh(tape.MatMul(input, tape.Parameter(w))));
            tape.Backward(tape.Mean(y));
            parameters.ZeroGradients();
        }
        Step();
        var capacity = tape.CapacityElements;
        Step();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            Step();
        }
        var perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        tape.CapacityElements.Should().Be(capacity);
        perStep.Should().BeLessThan(2_000, "tensor storage comes from the reused arena; only small per-call objects remain");
    }

    [Fact]
    public void Release_gives_the_storage_back_above_the_retained_size_and_the_next_step_computes_the_same()
    {
        var parameters = new ParameterSet<float>();
        var w = GradientCheck.Random(parameters, "w", Shape.Of(32, 32), 11);
        var x = new float[64 * 32];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Sin(i);
        }
        var tape = new Tape<float>();
        float[] Step()
        {
            tape.Reset();
            var y = tape.Softmax(tape.Tanh(tape.MatMul(tape.Constant(Shape.Of(64, 32), x), tape.Parameter(w))));
            tape.Backward(tape.Mean(y));
            var gradient = w.Gradient.ToArray();
            parameters.ZeroGradients();
            return [.. y.Data.ToArray(), .. gradient];
        }
        var first = Step();
        var capacity = tape.CapacityElements;
        capacity.Should().BePositive();
        tape.Release(retainedElements: capacity);
        tape.CapacityElements.Should().Be(capacity, "storage within the retained size is kept");
        tape.Release(retainedElements: capacity - 1);
        tape.CapacityElements.Should().Be(0);
        Step().Should().Equal(first);
        tape.CapacityElements.Should().BePositive();
    }

    [Fact]
    public void Backward_refuses_a_non_scalar_loss_and_a_second_run()
    {
        var parameters = new ParameterSet<double>();
        var w = GradientCheck.Random(parameters, "w", Shape.Of(2, 2), 8);
        var tape = new Tape<double>();
        var y = tape.Tanh(tape.Parameter(w));
        FluentActions.Invoking(() => tape.Backward(y)).Should().Throw<ArgumentException>().WithMessage("*scalar*[2, 2]*");
        var loss = tape.Sum(y);
        tape.Backward(loss);
        FluentActions.Invoking(() => tape.Backward(loss)).Should().Throw<InvalidOperationException>();
        FluentActions.Invoking(() => tape.Tanh(y)).Should().Throw<InvalidOperationException>().WithMessage("*reset*");
    }

    [Fact]
    public void Shape_errors_name_both_shapes()
    {
        var tape = new Tape<float>();
        var a = tape.Constant(Shape.Of(2, 3), new float[6]);
        var b = tape.Constant(Shape.Of(4, 5), new float[20]);
        FluentActions.Invoking(() => tape.MatMul(a, b)).Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[4, 5]*");
        FluentActions.Invoking(() => tape.Add(a, b)).Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[4, 5]*");
        FluentActions.Invoking(() => tape.Gather(b, new[] { 4 }, Shape.Of(1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Index 4 at position 0*4 rows*");
        FluentActions.Invoking(() => tape.Softmax(b, new bool[3])).Should().Throw<ArgumentException>().WithMessage("*mask*");
    }

    [Fact]
    public void A_diverged_logit_is_reported_not_propagated()
    {
        var tape = new Tape<float>();
        var z = tape.Constant(Shape.Of(3), [0.5f, float.NaN, 1f]);
        FluentActions.Invoking(() => tape.BinaryCrossEntropyWithLogits(z, new float[] { 1, 0, 1 })).Should().Throw<ArgumentException>().WithMessage("*Logit 1*NaN*diverged*");
        FluentActions.Invoking(() => tape.SoftmaxCrossEntropy(tape.Reshape(z, Shape.Of(1, 3)), new[] { 0 })).Should().Throw<ArgumentException>().WithMessage("*diverged*");
        FluentActions.Invoking(() => tape.Softmax(z)).Should().Throw<ArgumentException>().WithMessage("*NaN*");
    }

    [Fact]
    public void Masked_softmax_ignores_whatever_the_masked_positions_hold()
    {
        var mask = new[] { true, false, true, false };
        float[] Run(float padded)
        {
            var tape = new Tape<float>();
            return tape.Softmax(tape.Constant(Shape.Of(1, 4), [0.3f, padded, -1.2f, padded]), mask).Data.ToArray();
        }
        var reference = Run(0f);
        Run(1e30f).Should().Equal(reference);
        Run(float.NegativeInfinity).Should().Equal(reference);
        Run(float.NaN).Should().Equal(reference);
        reference[1].Should().Be(0f);
        (reference[0] + reference[2]).Should().BeApproximately(1f, 1e-6f);

        var tape = new Tape<float>();
        tape.Softmax(tape.Constant(Shape.Of(1, 2), [1f, 2f]), new[] { false, false }).Data.ToArray().Should().Equal(0f, 0f);
    }
}
