using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Optimisers;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Tests;

/// <summary>Adam, SGD, gradient clipping, and saving and loading parameters.</summary>
public sealed class OptimiserAndPersistenceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"cobalt-neural-params-{Guid.NewGuid():N}");

    public OptimiserAndPersistenceTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Minimises Σ (θ - c)² with <paramref name="optimiser"/> and returns the largest |θ - c|.</summary>
    private static double Minimise(IOptimiser<double> optimiser, int steps)
    {
        var parameters = new ParameterSet<double>();
        var theta = GradientCheck.Random(parameters, "theta", Shape.Of(6), 1, scale: 3);
        var target = new[] { 1.0, -2.0, 0.5, 3.0, 0.0, -0.7 };
        var tape = new Tape<double>();
        for (var i = 0; i < steps; i++)
        {
            tape.Reset();
            var difference = tape.Add(tape.Parameter(theta), tape.Scale(tape.Constant(Shape.Of(6), target), -1));
            tape.Backward(tape.Sum(tape.Multiply(difference, difference)));
            optimiser.Step(parameters);
            parameters.ZeroGradients();
        }
        return theta.Value.Zip(target, (a, b) => Math.Abs(a - b)).Max();
    }

    [Fact]
    public void Adam_and_sgd_minimise_a_quadratic()
    {
        Minimise(new Adam<double>(new AdamOptions { LearningRate = 0.05 }), 2000).Should().BeLessThan(1e-3);
        Minimise(new Sgd<double>(new SgdOptions { LearningRate = 0.1 }), 200).Should().BeLessThan(1e-6);
        Minimise(new Sgd<double>(new SgdOptions { LearningRate = 0.05, Momentum = 0.9 }), 400).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Adam_first_step_moves_each_parameter_by_the_learning_rate()
    {
        // With bias correction, m̂ = g and v̂ = g² after one step, so θ moves by η g / (|g| + ε) ≈ η sign(g).
        var parameters = new ParameterSet<double>();
        var theta = parameters.Create("theta", Shape.Of(3));
        theta.Gradient[0] = 4;
        theta.Gradient[1] = -0.01;
        theta.Gradient[2] = 0;
        theta.TouchAll();
        new Adam<double>(new AdamOptions { LearningRate = 0.1, Epsilon = 1e-12 }).Step(parameters);
        theta.Value[0].Should().BeApproximately(-0.1, 1e-9);
        theta.Value[1].Should().BeApproximately(0.1, 1e-9);
        theta.Value[2].Should().Be(0);
    }

    [Fact]
    public void Lazy_adam_leaves_untouched_embedding_rows_alone()
    {
        var parameters = new ParameterSet<float>();
        var table = GradientCheck.Random(parameters, "table", Shape.Of(5, 3), 2, rowSparse: true);
        var before = table.Value.ToArray();
        var tape = new Tape<float>();
        tape.Backward(tape.Sum(tape.Gather(tape.Parameter(table), new[] { 1, 3 }, Shape.Of(2))));
        new Adam<float>().Step(parameters);
        for (var row = 0; row < 5; row++)
        {
            var changed = !table.Value.AsSpan(row * 3, 3).SequenceEqual(before.AsSpan(row * 3, 3));
            changed.Should().Be(row is 1 or 3, $"row {row} {(row is 1 or 3 ? "was" : "was not")} read");
        }
    }

    [Fact]
    public void Clipping_scales_the_global_norm_and_refuses_nan()
    {
        var parameters = new ParameterSet<double>();
        var a = parameters.Create("a", Shape.Of(2));
        var b = parameters.Create("b", Shape.Of(1));
        a.Gradient[0] = 3;
        a.Gradient[1] = 0;
        b.Gradient[0] = 4;
        a.TouchAll();
        b.TouchAll();
        GradientClipping.ClipGlobalNorm(parameters, 1.0).Should().BeApproximately(5, 1e-12);
        a.Gradient[0].Should().BeApproximately(0.6, 1e-12);
        b.Gradient[0].Should().BeApproximately(0.8, 1e-12);
        GradientClipping.ClipGlobalNorm(parameters, 10.0).Should().BeApproximately(1, 1e-12);
        a.Gradient[0].Should().BeApproximately(0.6, 1e-12, "a norm below the limit is left alone");

        b.Gradient[0] = double.NaN;
        FluentActions.Invoking(() => GradientClipping.ClipGlobalNorm(parameters, 1.0)).Should().Throw<InvalidOperationException>().WithMessage("*'b'*NaN*");
    }

    [Fact]
    public void Optimiser_options_are_validated_by_field()
    {
        FluentActions.Invoking(() => new Adam<float>(new AdamOptions { LearningRate = -1 })).Should().Throw<OptionsException>().WithMessage("learning-rate*");
        FluentActions.Invoking(() => new Sgd<float>(new SgdOptions { Momentum = 1.5 })).Should().Throw<OptionsException>().WithMessage("momentum*");
    }

    private string SaveSet(Action<ParameterSet<float>> build, string name)
    {
        var parameters = new ParameterSet<float>();
        build(parameters);
        var path = Path.Combine(_folder, name);
        parameters.Save(path, "test");
        return path;
    }

    private static void LoadInto(string path, ParameterSet<float> parameters) => parameters.Load(path, "test");

    [Fact]
    public void Loading_checks_the_kind_and_the_element_type()
    {
        var path = SaveSet(ps => ps.Create("w", Shape.Of(2)), "kind.state");
        var target = new ParameterSet<float>();
        target.Create("w", Shape.Of(2));
        FluentActions.Invoking(() => target.Load(path, "other")).Should().Throw<InvalidDataException>().WithMessage("*'test', not a 'other'*");
        var doubles = new ParameterSet<double>();
        doubles.Create("w", Shape.Of(2));
        FluentActions.Invoking(() => doubles.Load(path, "test")).Should().Throw<InvalidDataException>().WithMessage("*float32*float64*");
    }

    [Fact]
    public void A_row_sparse_parameter_read_by_another_operation_gets_a_dense_gradient()
    {
        var parameters = new ParameterSet<float>();
        var table = GradientCheck.Random(parameters, "table", Shape.Of(4, 3), 9, rowSparse: true);
        var tape = new Tape<float>();
        var x = tape.Constant(Shape.Of(2, 4), new float[8]);
        tape.Backward(tape.Sum(tape.Add(tape.MatMul(x, tape.Parameter(table)), tape.Gather(tape.Parameter(table), new[] { 1 }, Shape.Of(1)))));
        table.DenseGradient.Should().BeTrue();
        table.ZeroGradient();
        table.DenseGradient.Should().BeFalse();
    }

    [Fact]
    public void Parameters_round_trip_bit_for_bit()
    {
        var path = SaveSet(ps =>
        {
            GradientCheck.Random(ps, "w", Shape.Of(3, 4), 5);
            GradientCheck.Random(ps, "b", Shape.Of(4), 6);
        }, "ok.state");
        var loaded = new ParameterSet<float>();
        loaded.Create("b", Shape.Of(4));
        loaded.Create("w", Shape.Of(3, 4));
        LoadInto(path, loaded);
        var expected = new ParameterSet<float>();
        GradientCheck.Random(expected, "w", Shape.Of(3, 4), 5);
        loaded["w"].Value.Should().Equal(expected["w"].Value);
    }

    [Fact]
    public void Loading_a_mismatched_shape_names_the_parameter_and_changes_nothing()
    {
        var path = SaveSet(ps =>
        {
            ps.Create("encoder.query.weight", Shape.Of(4, 2));
            ps.Create("encoder.bias", Shape.Of(2));
        }, "mismatch.state");
        var target = new ParameterSet<float>();
        var weight = GradientCheck.Random(target, "encoder.query.weight", Shape.Of(4, 3), 7);
        target.Create("encoder.bias", Shape.Of(2));
        var before = weight.Value.ToArray();
        FluentActions.Invoking(() => LoadInto(path, target)).Should().Throw<InvalidDataException>()
            .WithMessage("Parameter 'encoder.query.weight' has shape [4, 2] in the saved state but [4, 3] in this model.");
        weight.Value.Should().Equal(before);

        var missing = new ParameterSet<float>();
        missing.Create("encoder.query.weight", Shape.Of(4, 2));
        missing.Create("encoder.bias", Shape.Of(2));
        missing.Create("encoder.extra", Shape.Of(1));
        FluentActions.Invoking(() => LoadInto(path, missing)).Should().Throw<InvalidDataException>().WithMessage("*lacks*'encoder.extra'*");

        var fewer = new ParameterSet<float>();
        fewer.Create("encoder.query.weight", Shape.Of(4, 2));
        FluentActions.Invoking(() => LoadInto(path, fewer)).Should().Throw<InvalidDataException>().WithMessage("*'encoder.bias'*does not have*");
    }

    [Fact]
    public void Loading_refuses_damaged_files_and_non_finite_values()
    {
        var path = SaveSet(ps => GradientCheck.Random(ps, "w", Shape.Of(8), 8), "damaged.state");
        var bytes = File.ReadAllBytes(path);
        bytes[^40] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var target = new ParameterSet<float>();
        target.Create("w", Shape.Of(8));
        FluentActions.Invoking(() => LoadInto(path, target)).Should().Throw<InvalidDataException>().WithMessage("*checksum*");

        var nan = SaveSet(ps => ps.Create("w", Shape.Of(8)).Value[3] = float.NaN, "nan.state");
        FluentActions.Invoking(() => LoadInto(nan, target)).Should().Throw<InvalidDataException>().WithMessage("*'w' holds NaN at element 3*");
    }
}
