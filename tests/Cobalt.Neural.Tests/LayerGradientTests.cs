using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Layers;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Tensors;
using static Cobalt.Neural.Tests.GradientCheck;

namespace Cobalt.Neural.Tests;

/// <summary>Every layer's (and the whole NRMS loss's) gradient with respect to its parameters and inputs, against finite differences.</summary>
public class LayerGradientTests
{
    private const double Tolerance = 1e-5;

    // Two sequences of 4 positions: the first has 3 valid, the second 2.
    private static readonly bool[] Mask = [true, true, true, false, true, true, false, false];

    private static double Error(Func<ParameterSet<double>, Rng, Func<Tape<double>, Node<double>>> build)
    {
        var parameters = new ParameterSet<double>();
        var loss = build(parameters, new Rng(42));
        return MaxRelativeError(parameters, loss);
    }

    [Fact]
    public void Linear_with_and_without_bias_on_rank_1_to_3_inputs()
    {
        Error((ps, rng) =>
        {
            var layer = new Linear<double>(ps, "linear", 5, 3, bias: true, rng);
            var x = Random(ps, "x", Shape.Of(2, 4, 5), 1);
            return t => Project(t, layer.Forward(t, t.Parameter(x)));
        }).Should().BeLessThan(Tolerance);
        Error((ps, rng) =>
        {
            var layer = new Linear<double>(ps, "linear", 5, 3, bias: false, rng);
            var x = Random(ps, "x", Shape.Of(5), 2);
            return t => Project(t, layer.Forward(t, t.Parameter(x)));
        }).Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Embedding() => Error((ps, rng) =>
    {
        var layer = new Embedding<double>(ps, "word", 6, 3, rng, standardDeviation: 1.0);
        return t => Project(t, t.Tanh(layer.Forward(t, new[] { 1, 4, 4, 0, 5, 2 }, Shape.Of(2, 3))));
    }).Should().BeLessThan(Tolerance);

    [Fact]
    public void Multi_head_self_attention_with_a_padding_mask() => Error((ps, rng) =>
    {
        var layer = new MultiHeadSelfAttention<double>(ps, "attention", 5, heads: 2, headDimension: 3, rng);
        var x = Random(ps, "x", Shape.Of(2, 4, 5), 3);
        return t =>
        {
            var y = layer.Forward(t, t.Parameter(x), Mask);
            // Only valid positions count downstream (as in the encoders).
            var keep = new double[2 * 4 * 6];
            for (var i = 0; i < 8; i++)
            {
                keep.AsSpan(i * 6, 6).Fill(Mask[i] ? 1 : 0);
            }
            return Project(t, t.Multiply(y, t.Constant(y.Shape, keep)));
        };
    }).Should().BeLessThan(Tolerance);

    [Fact]
    public void Additive_attention_with_a_padding_mask() => Error((ps, rng) =>
    {
        var layer = new AdditiveAttention<double>(ps, "pooling", 5, queryDimension: 4, rng);
        var x = Random(ps, "x", Shape.Of(2, 4, 5), 4);
        return t => Project(t, layer.Forward(t, t.Parameter(x), Mask));
    }).Should().BeLessThan(Tolerance);

    [Fact]
    public void Dropout_layer_with_a_fixed_stream() => Error((ps, _) =>
    {
        var layer = new Dropout<double>(0.4);
        var x = Random(ps, "x", Shape.Of(3, 8), 5);
        return t => Project(t, layer.Forward(t, t.Parameter(x), new Rng(8)));
    }).Should().BeLessThan(Tolerance);

    [Theory]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Relu)]
    public void Mlp(Activation activation) => Error((ps, rng) =>
    {
        var layer = new Mlp<double>(ps, "mlp", [4, 6, 3], activation, rng);
        var x = Random(ps, "x", Shape.Of(5, 4), 6);
        return t => Project(t, layer.Forward(t, t.Parameter(x)));
    }).Should().BeLessThan(Tolerance);

    [Theory]
    [InlineData(ItemEncoderKind.SelfAttention, NrmsLoss.Softmax)]
    [InlineData(ItemEncoderKind.SelfAttention, NrmsLoss.BinaryCrossEntropy)]
    [InlineData(ItemEncoderKind.MeanMlp, NrmsLoss.Softmax)]
    public void Whole_nrms_loss_with_dropout(ItemEncoderKind encoder, NrmsLoss lossKind)
    {
        var options = new NrmsOptions
        {
            ItemEncoder = encoder, Loss = lossKind, WordDimension = 4, Heads = 2, HeadDimension = 2, QueryDimension = 3,
            HiddenDimension = 5, Negatives = 2, Dropout = 0.25, EmbeddingScale = 0.5,
        };
        var network = new NrmsNetwork<double>(options, vocabularySize: 9, new Rng(7));
        var items = new Text.TokenSequences(maxLength: 4, vocabularySize: 9);
        items.Add([2, 3, 4]);
        items.Add([5, 6]);
        items.Add([7, 8, 2, 3]);
        items.Add([4]);
        items.Add([6, 7, 8]);
        var samples = new[]
        {
            new NrmsSample([0, 1], 2, [3, 4]),
            new NrmsSample([3], 4, [0, 1, 2]),
            new NrmsSample([], 1, []),
        };
        var batch = new NrmsBatch<double>();
        batch.Fill(samples, [0, 1, 2], items, options, new Rng(3));
        var error = MaxRelativeError(network.Parameters, t => network.Loss(t, batch, new Rng(11)));
        error.Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Float32_gradients_of_attention_match_finite_differences_to_1e_3()
    {
        var parameters = new ParameterSet<float>();
        var rng = new Rng(12);
        var attention = new MultiHeadSelfAttention<float>(parameters, "attention", 6, heads: 2, headDimension: 4, rng);
        var pooling = new AdditiveAttention<float>(parameters, "pooling", 8, queryDimension: 5, rng);
        var x = Random(parameters, "x", Shape.Of(2, 4, 6), 13);
        var error = NormRelativeError(parameters, t => Project(t, pooling.Forward(t, attention.Forward(t, t.Parameter(x), Mask), Mask)));
        error.Should().BeLessThan(1e-3);
    }
}
