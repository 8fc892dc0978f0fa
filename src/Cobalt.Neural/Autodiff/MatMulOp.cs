using System.Numerics;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// C = A B (or A Bᵀ) where A is [..., M, K] and B is either one [K, N] matrix shared by every leading index of A,
/// or a batch [..., K, N] with the same leading dimensions as A.
/// </summary>
/// <remarks>
/// Backward: dA = dC Bᵀ, dB = Aᵀ dC (for C = A Bᵀ: dA = dC B, dB = dCᵀ A). A shared B sums its gradient over all
/// rows of A in one product, in a fixed order. All products go through <see cref="MatrixKernels"/>.
/// Node fields: I0 = 1 when B is transposed.
/// </remarks>
internal sealed class MatMulOp<T> : Op<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly MatMulOp<T> Instance = new();

    public override string Name => "matmul";

    public static Node<T> Forward(Tape<T> tape, Node<T> a, Node<T> b, bool transposeB)
    {
        tape.Own(a, nameof(a));
        tape.Own(b, nameof(b));
        if (a.Shape.Rank < 2 || b.Shape.Rank < 2)
        {
            throw new ArgumentException($"MatMul needs matrices or batches of matrices; got {a.Shape} and {b.Shape}.");
        }
        var (m, k) = (a.Shape[-2], a.Shape[-1]);
        var (kb, n) = transposeB ? (b.Shape[-1], b.Shape[-2]) : (b.Shape[-2], b.Shape[-1]);
        if (kb != k)
        {
            throw new ArgumentException($"MatMul{(transposeB ? " (B transposed)" : string.Empty)}: A {a.Shape} has {k} columns but B {b.Shape} has {kb} {(transposeB ? "columns" : "rows")}.");
        }
        if (b.Shape.Rank > 2)
        {
            if (b.Shape.Rank != a.Shape.Rank)
            {
                throw new ArgumentException($"Batched MatMul needs A and B of the same rank; got {a.Shape} and {b.Shape}.");
            }
            for (var i = 0; i < a.Shape.Rank - 2; i++)
            {
                if (a.Shape[i] != b.Shape[i])
                {
                    throw new ArgumentException($"Batched MatMul: A {a.Shape} and B {b.Shape} differ in batch dimension {i}.");
                }
            }
        }
        var node = tape.Record(Instance, a.Shape.With(-1, n), a, b);
        node.I0 = transposeB ? 1 : 0;
        var c = node.Values;
        if (b.Shape.Rank == 2)
        {
            var rows = a.Shape.Rows;
            MatrixKernels.Gemm(
                MatrixRef.RowMajor(a.Values, rows, k), RightOperand(tape, b.Values, k, n, transposeB, 1), MatrixRef.RowMajor(c, rows, n), false, tape.Parallelism);
        }
        else
        {
            var batch = m * k == 0 ? 0 : a.Shape.Length / (m * k);
            MatrixKernels.GemmBatched(
                MatrixRef.RowMajor(a.Values, m, k), m * k,
                RightOperand(tape, b.Values, k, n, transposeB, batch), k * n,
                MatrixRef.RowMajor(c, m, n), m * n,
                batch, false, tape.Parallelism);
        }
        return node;
    }

    public override void Backward(Node<T> node)
    {
        var (a, b) = (node.A!, node.B!);
        var transposeB = node.I0 == 1;
        var (m, k) = (a.Shape[-2], a.Shape[-1]);
        var n = node.Shape[-1];
        var tape = node.Tape;
        var dc = node.Gradient;
        if (b.Shape.Rank == 2)
        {
            var rows = a.Shape.Rows;
            var dcRef = MatrixRef.RowMajor(dc, rows, n);
            var aRef = MatrixRef.RowMajor(a.Values, rows, k);
            if (a.RequiresGrad)
            {
                // dA = dC Bᵀ: Bᵀ is [N, K], stored as such when B was given transposed.
                var bT = transposeB ? MatrixRef.RowMajor(b.Values, n, k) : Transposed(tape, b.Values, k, n, 1);
                MatrixKernels.Gemm(dcRef, bT, MatrixRef.RowMajor(a.Gradient, rows, k), true, tape.Parallelism);
            }
            if (b.RequiresGrad)
            {
                if (transposeB)
                {
                    MatrixKernels.Gemm(dcRef.Transposed(), aRef, MatrixRef.RowMajor(b.Gradient, n, k), true, tape.Parallelism);
                }
                else
                {
                    MatrixKernels.Gemm(aRef.Transposed(), dcRef, MatrixRef.RowMajor(b.Gradient, k, n), true, tape.Parallelism);
                }
            }
            return;
        }
        var batch = m * k == 0 ? 0 : a.Shape.Length / (m * k);
        var dcBatch = MatrixRef.RowMajor(dc, m, n);
        var aBatch = MatrixRef.RowMajor(a.Values, m, k);
        if (a.RequiresGrad)
        {
            var bT = transposeB ? MatrixRef.RowMajor(b.Values, n, k) : Transposed(tape, b.Values, k, n, batch);
            MatrixKernels.GemmBatched(dcBatch, m * n, bT, n * k, MatrixRef.RowMajor(a.Gradient, m, k), m * k, batch, true, tape.Parallelism);
        }
        if (b.RequiresGrad)
        {
            if (transposeB)
            {
                MatrixKernels.GemmBatched(dcBatch.Transposed(), m * n, aBatch, m * k, MatrixRef.RowMajor(b.Gradient, n, k), n * k, batch, true, tape.Parallelism);
            }
            else
            {
                MatrixKernels.GemmBatched(aBatch.Transposed(), m * k, dcBatch, m * n, MatrixRef.RowMajor(b.Gradient, k, n), k * n, batch, true, tape.Parallelism);
            }
        }
    }

    /// <summary>B as a row-major [K, N] operand (per batch): itself, or a transposed copy of the stored [N, K].</summary>
    private static MatrixRef<T> RightOperand(Tape<T> tape, Segment<T> b, int k, int n, bool transposed, int batch) =>
        transposed ? Transposed(tape, b, n, k, batch) : MatrixRef.RowMajor(b, k, n);

    /// <summary>A scratch copy of each [rows, columns] matrix of <paramref name="source"/> transposed to [columns, rows].</summary>
    private static MatrixRef<T> Transposed(Tape<T> tape, Segment<T> source, int rows, int columns, int batch)
    {
        var size = rows * columns;
        var scratch = tape.Rent(size * batch, clear: false);
        var from = source.Span;
        var to = scratch.Span;
        for (var t = 0; t < batch; t++)
        {
            MatrixKernels.Transpose<T>(from.Slice(t * size, size), rows, columns, to.Slice(t * size, size));
        }
        return MatrixRef.RowMajor(scratch, columns, rows);
    }
}

/// <summary>The differentiable operations, as extension methods of <see cref="Tape{T}"/>.</summary>
public static partial class Ops
{
    /// <summary>
    /// Matrix product C = A B, or A Bᵀ when <paramref name="transposeB"/>: A is [..., M, K]; B is a [K, N] matrix shared by
    /// every leading index of A, or a batch [..., K, N] with A's leading dimensions. C is [..., M, N].
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit (the message gives both).</exception>
    public static Node<T> MatMul<T>(this Tape<T> tape, Node<T> a, Node<T> b, bool transposeB = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        return MatMulOp<T>.Forward(tape, a, b, transposeB);
    }
}
