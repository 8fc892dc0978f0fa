using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Neural.Autodiff;

namespace Cobalt.Neural.Optimisers;

/// <summary>Updates parameters from their accumulated gradients.</summary>
/// <typeparam name="T">Element type.</typeparam>
public interface IOptimiser<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Number of steps taken.</summary>
    long Steps { get; }

    /// <summary>One update of every trainable parameter that has a gradient (only the touched rows of a row-sparse one).</summary>
    void Step(ParameterSet<T> parameters);

    /// <summary>Writes the optimiser's state (moments, step count) keyed by parameter name.</summary>
    void WriteState(StateWriter writer);

    /// <summary>Restores the state written by <see cref="WriteState"/> for <paramref name="parameters"/>.</summary>
    /// <exception cref="InvalidDataException">The state is of another optimiser, or names an unknown parameter or a wrong shape.</exception>
    void ReadState(StateReader reader, ParameterSet<T> parameters);
}

/// <summary>Options of <see cref="Adam{T}"/>.</summary>
public sealed record AdamOptions : IValidatable
{
    /// <summary>Step size η.</summary>
    [Description("Step size (learning rate).")]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decay of the first moment β1.</summary>
    [Description("Decay rate beta1 of the first-moment estimate.")]
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Decay of the second moment β2.</summary>
    [Description("Decay rate beta2 of the second-moment estimate.")]
    public double Beta2 { get; init; } = 0.999;

    /// <summary>ε added to the root second moment.</summary>
    [Description("Epsilon added to the square root of the second moment.")]
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay λ (AdamW, Loshchilov and Hutter 2019); 0 for plain Adam.</summary>
    [Description("Decoupled weight decay (AdamW); 0 turns it off.")]
    public double WeightDecay { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.InRange(Beta1, 0, 0.999999, nameof(Beta1));
        Require.InRange(Beta2, 0, 0.999999999, nameof(Beta2));
        Require.Positive(Epsilon, nameof(Epsilon));
        Require.NonNegative(WeightDecay, nameof(WeightDecay));
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015, Algorithm 1): m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
/// θ -= η (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε), with optional decoupled weight decay θ -= η λ θ.
/// </summary>
/// <remarks>
/// Row-sparse parameters (embedding tables) are updated lazily: only the rows with a gradient this step have their
/// moments and values updated, with the global step count t in the bias corrections (as TensorFlow's LazyAdam and
/// PyTorch's SparseAdam). Everything runs on spans with <see cref="TensorPrimitives"/>, through one reused scratch buffer.
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Adam<T> : IOptimiser<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<Parameter<T>, (T[] M, T[] V)> _moments = [];
    private T[] _scratch = [];

    /// <summary>Creates the optimiser.</summary>
    /// <exception cref="OptionsException">An option is out of range.</exception>
    public Adam(AdamOptions? options = null)
    {
        Options = options ?? new AdamOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public AdamOptions Options { get; }

    /// <inheritdoc />
    public long Steps { get; private set; }

    /// <inheritdoc />
    public void Step(ParameterSet<T> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Steps++;
        var o = Options;
        var correction1 = 1 - Math.Pow(o.Beta1, Steps);
        var correction2 = 1 - Math.Pow(o.Beta2, Steps);
        var beta1 = T.CreateChecked(o.Beta1);
        var beta2 = T.CreateChecked(o.Beta2);
        var oneMinusBeta1 = T.CreateChecked(1 - o.Beta1);
        var oneMinusBeta2 = T.CreateChecked(1 - o.Beta2);
        var rootScale = T.CreateChecked(1 / Math.Sqrt(correction2));
        var epsilon = T.CreateChecked(o.Epsilon);
        var step = T.CreateChecked(-o.LearningRate / correction1);
        var decay = T.CreateChecked(1 - o.LearningRate * o.WeightDecay);
        foreach (var parameter in parameters.All)
        {
            if (!parameter.Trainable || !parameter.HasGradient)
            {
                continue;
            }
            var (m, v) = Moments(parameter);
            if (_scratch.Length < parameter.Value.Length)
            {
                _scratch = new T[parameter.Value.Length];
            }
            parameter.ForEachGradientRun((offset, length) =>
            {
                var g = parameter.Gradient.AsSpan(offset, length);
                var mr = m.AsSpan(offset, length);
                var vr = v.AsSpan(offset, length);
                var theta = parameter.Value.AsSpan(offset, length);
                var tmp = _scratch.AsSpan(0, length);
                TensorPrimitives.Multiply(mr, beta1, mr);
                TensorPrimitives.MultiplyAdd(g, oneMinusBeta1, mr, mr);   // m = β1 m + (1-β1) g
                TensorPrimitives.Multiply(g, g, tmp);
                TensorPrimitives.Multiply(vr, beta2, vr);
                TensorPrimitives.MultiplyAdd(tmp, oneMinusBeta2, vr, vr); // v = β2 v + (1-β2) g²
                TensorPrimitives.Sqrt(vr, tmp);
                TensorPrimitives.Multiply(tmp, rootScale, tmp);
                TensorPrimitives.Add(tmp, epsilon, tmp);                  // sqrt(v̂) + ε
                TensorPrimitives.Divide(mr, tmp, tmp);
                if (o.WeightDecay > 0)
                {
                    TensorPrimitives.Multiply(theta, decay, theta);
                }
                TensorPrimitives.MultiplyAdd(tmp, step, theta, theta);   // θ -= η m̂ / (sqrt(v̂) + ε)
            });
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("adam");
        writer.Write(Steps);
        writer.Write(_moments.Count);
        foreach (var (parameter, (m, v)) in _moments.OrderBy(e => e.Key.Name, StringComparer.Ordinal))
        {
            writer.Write(parameter.Name);
            ParameterSet<T>.WriteShape(writer, parameter.Shape);
            ParameterSet<T>.WriteValues(writer, m);
            ParameterSet<T>.WriteValues(writer, v);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader, ParameterSet<T> parameters)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(parameters);
        reader.Tag("adam");
        var steps = reader.ReadInt64();
        var count = reader.ReadInt32();
        if (steps < 0 || count < 0 || count > parameters.Count)
        {
            throw new InvalidDataException($"The saved Adam state claims {steps} steps and {count} parameters.");
        }
        var moments = new Dictionary<Parameter<T>, (T[] M, T[] V)>();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var shape = ParameterSet<T>.ReadShape(reader, name);
            var parameter = parameters.All.FirstOrDefault(p => p.Name == name)
                ?? throw new InvalidDataException($"The saved Adam state has moments for parameter '{name}', which this model does not have.");
            if (shape != parameter.Shape)
            {
                throw new InvalidDataException($"The saved Adam moments of parameter '{name}' have shape {shape}; the parameter has {parameter.Shape}.");
            }
            var m = new T[shape.Length];
            var v = new T[shape.Length];
            ParameterSet<T>.ReadValues(reader, m, $"{name} (Adam first moment)");
            ParameterSet<T>.ReadValues(reader, v, $"{name} (Adam second moment)");
            moments[parameter] = (m, v);
        }
        _moments.Clear();
        foreach (var (parameter, value) in moments)
        {
            _moments[parameter] = value;
        }
        Steps = steps;
    }

    private (T[] M, T[] V) Moments(Parameter<T> parameter)
    {
        if (!_moments.TryGetValue(parameter, out var moments))
        {
            moments = (new T[parameter.Value.Length], new T[parameter.Value.Length]);
            _moments[parameter] = moments;
        }
        return moments;
    }
}

/// <summary>Options of <see cref="Sgd{T}"/>.</summary>
public sealed record SgdOptions : IValidatable
{
    /// <summary>Step size η.</summary>
    [Description("Step size (learning rate).")]
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Heavy-ball momentum μ (0: plain gradient descent).</summary>
    [Description("Momentum mu; 0 is plain gradient descent.")]
    public double Momentum { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        Require.Positive(LearningRate, nameof(LearningRate));
        Require.InRange(Momentum, 0, 0.999999, nameof(Momentum));
    }
}

/// <summary>
/// Stochastic gradient descent with optional heavy-ball momentum (Polyak 1964; the PyTorch form):
/// b = μ b + g; θ -= η b (with μ = 0: θ -= η g). Row-sparse parameters are updated on their touched rows only.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public sealed class Sgd<T> : IOptimiser<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<Parameter<T>, T[]> _velocity = [];

    /// <summary>Creates the optimiser.</summary>
    /// <exception cref="OptionsException">An option is out of range.</exception>
    public Sgd(SgdOptions? options = null)
    {
        Options = options ?? new SgdOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public SgdOptions Options { get; }

    /// <inheritdoc />
    public long Steps { get; private set; }

    /// <inheritdoc />
    public void Step(ParameterSet<T> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Steps++;
        var step = T.CreateChecked(-Options.LearningRate);
        var momentum = T.CreateChecked(Options.Momentum);
        foreach (var parameter in parameters.All)
        {
            if (!parameter.Trainable || !parameter.HasGradient)
            {
                continue;
            }
            T[]? velocity = null;
            if (Options.Momentum > 0 && !_velocity.TryGetValue(parameter, out velocity))
            {
                velocity = new T[parameter.Value.Length];
                _velocity[parameter] = velocity;
            }
            parameter.ForEachGradientRun((offset, length) =>
            {
                var g = parameter.Gradient.AsSpan(offset, length);
                var theta = parameter.Value.AsSpan(offset, length);
                if (velocity is null)
                {
                    TensorPrimitives.MultiplyAdd(g, step, theta, theta);
                    return;
                }
                var b = velocity.AsSpan(offset, length);
                TensorPrimitives.MultiplyAdd(b, momentum, g, b);
                TensorPrimitives.MultiplyAdd(b, step, theta, theta);
            });
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("sgd");
        writer.Write(Steps);
        writer.Write(_velocity.Count);
        foreach (var (parameter, velocity) in _velocity.OrderBy(e => e.Key.Name, StringComparer.Ordinal))
        {
            writer.Write(parameter.Name);
            ParameterSet<T>.WriteShape(writer, parameter.Shape);
            ParameterSet<T>.WriteValues(writer, velocity);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader, ParameterSet<T> parameters)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(parameters);
        reader.Tag("sgd");
        var steps = reader.ReadInt64();
        var count = reader.ReadInt32();
        if (steps < 0 || count < 0 || count > parameters.Count)
        {
            throw new InvalidDataException($"The saved SGD state claims {steps} steps and {count} parameters.");
        }
        var velocities = new Dictionary<Parameter<T>, T[]>();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var shape = ParameterSet<T>.ReadShape(reader, name);
            var parameter = parameters.All.FirstOrDefault(p => p.Name == name)
                ?? throw new InvalidDataException($"The saved SGD state has a velocity for parameter '{name}', which this model does not have.");
            if (shape != parameter.Shape)
            {
                throw new InvalidDataException($"The saved SGD velocity of parameter '{name}' has shape {shape}; the parameter has {parameter.Shape}.");
            }
            var velocity = new T[shape.Length];
            ParameterSet<T>.ReadValues(reader, velocity, $"{name} (SGD velocity)");
            velocities[parameter] = velocity;
        }
        _velocity.Clear();
        foreach (var (parameter, velocity) in velocities)
        {
            _velocity[parameter] = velocity;
        }
        Steps = steps;
    }
}

/// <summary>Gradient clipping by global norm (Pascanu et al. 2013).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the global norm ‖g‖ = sqrt(Σ over all parameters of Σ g²) (accumulated in double, parameters in order, rows in
    /// increasing order) and, when it exceeds <paramref name="maxNorm"/>, scales every gradient by maxNorm / ‖g‖. Returns ‖g‖ before clipping.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The gradient holds NaN or infinity (the model has diverged).</exception>
    public static double ClipGlobalNorm<T>(ParameterSet<T> parameters, double maxNorm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be positive.");
        }
        var norm = GlobalNorm(parameters);
        if (norm > maxNorm)
        {
            var scale = T.CreateChecked(maxNorm / norm);
            foreach (var parameter in parameters.All)
            {
                if (parameter.Trainable)
                {
                    parameter.ForEachGradientRun((offset, length) =>
                    {
                        var g = parameter.Gradient.AsSpan(offset, length);
                        TensorPrimitives.Multiply(g, scale, g);
                    });
                }
            }
        }
        return norm;
    }

    /// <summary>The global gradient norm of the trainable parameters.</summary>
    /// <exception cref="InvalidOperationException">The gradient holds NaN or infinity (the parameter is named).</exception>
    public static double GlobalNorm<T>(ParameterSet<T> parameters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var total = 0.0;
        foreach (var parameter in parameters.All)
        {
            if (!parameter.Trainable)
            {
                continue;
            }
            var own = 0.0;
            parameter.ForEachGradientRun((offset, length) =>
                own += double.CreateChecked(TensorPrimitives.Dot<T>(parameter.Gradient.AsSpan(offset, length), parameter.Gradient.AsSpan(offset, length))));
            if (!double.IsFinite(own))
            {
                throw new InvalidOperationException($"The gradient of parameter '{parameter.Name}' holds NaN or infinity: the model has diverged (lower the learning rate).");
            }
            total += own;
        }
        return Math.Sqrt(total);
    }
}
