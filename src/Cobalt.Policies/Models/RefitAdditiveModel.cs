using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// S-N-GALM-UCB as the two-stage paper's authors coded it (CB4Rec algorithms/neural_linear.py @67f4029, NeuralGLMAddUCB, with
/// algorithms/lr_model.py LogisticRegressionAddtive): one model shared by all users, mean
/// sigmoid(w_x . x + b_x + w_z . z + b_z) (no gamma), width ||x||_{A^-1} only, A = I + sum of x x^T over every item shown
/// after the first round; the policy adds beta times the width (UCB(beta), the code's gamma = 0.1).
/// </summary>
/// <remarks>
/// <para>Fit (NeuralGLMAddUCB.train_lr, called every round t > 0): every <see cref="Update"/> but the first appends the round
/// to the buffer, grows A with the shown items and refits: a fresh Adam optimiser (learning rate 0.01) runs <c>epochs</c> (5)
/// full-batch epochs of mean BCE, warm-started from the current coefficients, over every positive of every buffered round
/// with a click plus floor(min(1.5 P, N)) of its N negatives drawn without replacement (new draws at each refit). The first
/// update only buffers its round. z of a buffered sample is its user's vector at refit time: from
/// <see cref="CurrentUserFeatures"/> when set (CB4Rec re-encodes the user's current history), else the latest the model saw
/// for that user.</para>
/// <para>Initialisation: w_x, b_x uniform on +-1/sqrt(d1), w_z, b_z on +-1/sqrt(d2) (PyTorch nn.Linear defaults), drawn once
/// from the seed; only the optimiser is fresh at each refit. The buffer is emptied at each NRMS retrain (CB4Rec
/// reset_buffer = True): <see cref="ResetBuffer"/> or <see cref="ResetBufferAtNextUpdate"/>; A and the coefficients are kept.
/// Rewards equal to 1 are clicks, any other reward in [0, 1] is a non-click.</para>
/// <para>Compare <see cref="AdditiveModel"/> (the paper's text: gamma-weighted logit and widths, online steps).</para>
/// </remarks>
public sealed class RefitAdditiveModel : IRewardModel, IRefitBuffer
{
    private readonly int _d1, _d2;
    private readonly double _learningRate;
    private readonly int _epochs;
    private readonly double[] _parameters, _gradient;
    private readonly DesignMatrix _a;
    private readonly SampleBuffer _buffer;
    private readonly TrainingSet _set;
    private readonly GlmAdam _adam;
    private readonly Rng _rng;
    private readonly Dictionary<int, double[]> _latestUsers = [];
    private double[] _z = [], _scratch = [];
    private long _updates;
    private bool _resetPending;
    private RefitAdditiveModel? _widthFrom;

    /// <summary>Creates the model for item features of dimension <paramref name="itemDimension"/> (d1) and user features of <paramref name="userDimension"/> (d2).</summary>
    /// <param name="itemDimension">d1 (CB4Rec: the NRMS item vector, 64).</param>
    /// <param name="userDimension">d2 (CB4Rec: the NRMS user vector, 64).</param>
    /// <param name="seed">Seeds the initial coefficients and the negative sampling.</param>
    /// <param name="learningRate">Adam's learning rate (CB4Rec glm_lr = 0.01).</param>
    /// <param name="epochs">Full-batch epochs per refit (CB4Rec epochs = 5).</param>
    /// <param name="refactorEvery">Rank-one updates of A^-1 between Cholesky re-factorisations.</param>
    public RefitAdditiveModel(int itemDimension, int userDimension, ulong seed, double learningRate = 0.01, int epochs = 5, int refactorEvery = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemDimension);
        if (userDimension <= 0)
        {
            throw new ArgumentException("The additive model (S-N-GALM-UCB) needs user features; this world offers none.", nameof(userDimension));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite positive number.");
        }
        _d1 = itemDimension;
        _d2 = userDimension;
        _learningRate = learningRate;
        _epochs = epochs;
        _parameters = new double[_d1 + _d2 + 2];
        _gradient = new double[_parameters.Length];
        var init = Seeds.Stream(seed, "s-n-galm-ucb/as-coded/init");
        TorchInit.Uniform(_parameters.AsSpan(0, _d1 + 1), _d1, init);
        TorchInit.Uniform(_parameters.AsSpan(_d1 + 1, _d2 + 1), _d2, init);
        _a = new DesignMatrix(_d1, 1.0, refactorEvery);
        _buffer = new SampleBuffer(_d1, keepRoundsWithoutClicks: false);
        _set = new TrainingSet(_d1);
        _adam = new GlmAdam(_parameters.Length);
        _rng = Seeds.Stream(seed, "s-n-galm-ucb/as-coded/negatives");
    }

    /// <summary>
    /// The current user vector z_u of a buffered user at refit time (CB4Rec re-encodes the user's current history); must have
    /// d2 entries. Null: the latest user vector the model saw for that user in <see cref="Update"/>.
    /// </summary>
    public Func<int, ReadOnlyMemory<double>>? CurrentUserFeatures { get; set; }

    /// <summary>
    /// Another model whose A^-1 gives this one's widths ||x||_{A^-1}; null: its own. As coded, 2-S-N-GALM-UCB's topic stage reads
    /// the item stage's A^-1 (CB4Rec @67f4029 algorithms/proposed.py Two_NeuralGLMAddUCB.topic_rec uses self.Ainv, and its
    /// A_topic is updated but never read); the two must have the same d1.
    /// </summary>
    /// <exception cref="ArgumentException">The other model has another d1.</exception>
    public RefitAdditiveModel? WidthFrom
    {
        get => _widthFrom;
        set => _widthFrom = value is null || value._d1 == _d1 ? value : throw new ArgumentException($"The width model has {value._d1} item features; this one {_d1}.", nameof(value));
    }

    /// <summary>The coefficients [w_x (d1), b_x, w_z (d2), b_z].</summary>
    public ReadOnlySpan<double> Coefficients => _parameters;

    /// <summary>A^-1 (row-major d1 x d1).</summary>
    public ReadOnlySpan<double> InverseDesign => _a.Inverse;

    /// <summary>Rounds with a click held in the buffer.</summary>
    public int BufferedRounds => _buffer.Count;

    /// <summary>Samples of the last refit (positives plus sampled negatives).</summary>
    public int LastRefitSamples { get; private set; }

    /// <summary>Empties the buffer now (CB4Rec empties data_buffer_lr at each NRMS retrain; two-stage also every 50 rounds).</summary>
    public void ResetBuffer()
    {
        _buffer.Clear();
        _resetPending = false;
    }

    /// <summary>
    /// Empties the buffer inside the next <see cref="Update"/>, after that round has entered it and before the refit (which then
    /// has nothing to fit): CB4Rec's order at a retrain round (append, retrain and reset, then A update and the empty refit).
    /// </summary>
    public void ResetBufferAtNextUpdate() => _resetPending = true;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var z = context.UserFeaturesOf(_d2);
        var candidates = context.Candidates;
        CheckDimension(candidates.Dimension);
        var userLogit = TensorPrimitives.Dot(_parameters.AsSpan(_d1 + 1, _d2), z) + _parameters[_d1 + 1 + _d2] + _parameters[_d1];
        var wx = _parameters.AsSpan(0, _d1);
        var n = candidates.Count;
        var design = (_widthFrom ?? this)._a;
        for (var i = 0; i < n; i++)
        {
            var x = candidates.Features(i);
            mean[i] = TensorPrimitives.Dot(wx, x);
            uncertainty[i] = Math.Sqrt(design.QuadraticForm(x));
        }
        TensorPrimitives.Add(mean[..n], userLogit, mean[..n]);
        TensorPrimitives.Sigmoid(mean[..n], mean[..n]);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        if (feedback.IsEmpty)
        {
            return;
        }
        RewardRange.RequireUnitInterval(feedback, "The as-coded S-N-GALM model");
        foreach (var f in feedback)
        {
            RequireUser(f.UserId);
            f.Context.UserFeaturesOf(_d2);
            CheckDimension(f.Features.Length);
        }
        SampleBuffer.RememberUsers(_latestUsers, feedback, _d2);
        var first = _updates == 0;
        _updates++;
        _buffer.AddRounds(feedback);
        if (_resetPending)
        {
            ResetBuffer();
        }
        if (first)
        {
            return; // CB4Rec updates only when t > 0: the first round only enters the buffer
        }
        foreach (var f in feedback)
        {
            _a.AddOuter(f.Features);
        }
        Refit();
    }

    private void Refit()
    {
        _buffer.Build(null, consume: false, _rng, _set);
        var n = _set.Count;
        LastRefitSamples = n;
        if (n == 0)
        {
            return;
        }
        if (_z.Length < n * _d2)
        {
            _z = new double[2 * n * _d2];
        }
        if (_scratch.Length < n)
        {
            _scratch = new double[2 * n];
        }
        for (var i = 0; i < n; i++)
        {
            UserVector(_set.Users[i]).CopyTo(_z.AsSpan(i * _d2, _d2));
        }
        _adam.Reset();
        for (var epoch = 0; epoch < _epochs; epoch++)
        {
            GlmGradients.Additive(_parameters, _d1, _set.X.AsSpan(0, n * _d1), _z.AsSpan(0, n * _d2), _set.Labels.AsSpan(0, n), _gradient, _scratch);
            _adam.Step(_parameters, _gradient, _learningRate);
        }
    }

    private ReadOnlySpan<double> UserVector(int user)
    {
        if (CurrentUserFeatures is { } current)
        {
            var z = current(user);
            return z.Length == _d2 ? z.Span : throw new InvalidOperationException($"CurrentUserFeatures gave {z.Length} features for user {user}; the model was built for {_d2}.");
        }
        return _latestUsers[user];
    }

    private static void RequireUser(int user)
    {
        if (user == DecisionContext.NoUser)
        {
            throw new ArgumentException("The as-coded S-N-GALM model buffers rounds by user and needs contexts with a user id.");
        }
    }

    private void CheckDimension(int dimension)
    {
        if (dimension != _d1)
        {
            throw new ArgumentException($"Candidates have {dimension} features; the model was built for {_d1}.");
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("s-n-galm-as-coded");
        writer.Write(_updates);
        writer.Write(_resetPending);
        writer.Write(_parameters);
        _a.WriteState(writer);
        writer.Write(_rng);
        _buffer.WriteState(writer);
        writer.Write(_latestUsers.Count);
        foreach (var user in _latestUsers.Keys.Order())
        {
            writer.Write(user);
            writer.Write(_latestUsers[user]);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("s-n-galm-as-coded");
        _updates = reader.ReadInt64();
        _resetPending = reader.ReadBoolean();
        reader.ReadInto(_parameters, "S-N-GALM coefficients");
        _a.ReadState(reader);
        reader.ReadInto(_rng);
        _buffer.ReadState(reader);
        _latestUsers.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var user = reader.ReadInt32();
            var z = new double[_d2];
            reader.ReadInto(z, "latest user vector");
            _latestUsers[user] = z;
        }
    }
}
