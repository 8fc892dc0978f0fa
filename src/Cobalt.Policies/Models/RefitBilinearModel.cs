using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// S-N-GBLM-UCB as the two-stage paper's authors coded it (CB4Rec algorithms/neural_bilinear.py @67f4029, NeuralGBiLinUCB, with
/// algorithms/lr_model.py LogisticRegressionBilinear = nn.Bilinear(d1, d2, 1) with bias): one model shared by all users, mean
/// sigmoid(x^T Theta z + b), width ||vec(x z^T)||_{W^-1} with W = I + sum vec(x z_u^T) vec(x z_u^T)^T over every item shown
/// after the first round (kept by Sherman-Morrison); the policy adds beta times the width (UCB(beta), the code's gamma = 0.1).
/// </summary>
/// <remarks>
/// <para>Fit (inherited NeuralGLMAddUCB.train_lr, every round t > 0): as <see cref="RefitAdditiveModel"/>, with the bilinear
/// logit and CB4Rec's learning rate for this model, 1e-3 (run_experiment.py sets glm_lr = 1e-3 for neural_gbilinucb): a
/// fresh Adam, <c>epochs</c> (5) full-batch epochs of mean BCE over all positives plus floor(min(1.5 P, N)) sampled
/// negatives of each buffered round with a click. Initialisation: Theta and b uniform on +-1/sqrt(d1) (nn.Bilinear).</para>
/// <para>The round's z_u for W is the user's vector at update time (CB4Rec encodes the history after the round's clicks):
/// <see cref="CurrentUserFeatures"/> when set, else the feedback context's user features. For a fixed user the width is
/// sqrt(x^T M_z x) with M_z = sum_{j,k} z_j z_k B_jk (B_jk the d1 x d1 blocks of W^-1), built once per user and W;
/// vec(x z^T) is indexed (i, j) -> i d2 + j.</para>
/// <para>Compare <see cref="BilinearModel"/> (the paper's text: online steps on clicked rounds).</para>
/// </remarks>
public sealed class RefitBilinearModel : IRewardModel, IRefitBuffer
{
    private readonly int _d1, _d2;
    private readonly double _learningRate;
    private readonly int _epochs;
    private readonly double[] _parameters, _gradient;
    private readonly DesignMatrix _w;
    private readonly SampleBuffer _buffer;
    private readonly TrainingSet _set;
    private readonly GlmAdam _adam;
    private readonly Rng _rng;
    private readonly Dictionary<int, double[]> _latestUsers = [];
    private readonly double[] _v, _partial, _mz, _thetaZ;
    private double[] _z = [], _scratch = [];
    private (ReadOnlyMemory<double> User, long Version) _mzFor = (ReadOnlyMemory<double>.Empty, -1);
    private long _updates;
    private bool _resetPending;

    /// <summary>Creates the model for item features of dimension <paramref name="itemDimension"/> (d1) and user features of <paramref name="userDimension"/> (d2).</summary>
    /// <param name="itemDimension">d1 (CB4Rec: 64).</param>
    /// <param name="userDimension">d2 (CB4Rec: 64).</param>
    /// <param name="seed">Seeds the initial coefficients and the negative sampling.</param>
    /// <param name="learningRate">Adam's learning rate (CB4Rec: 1e-3 for this model).</param>
    /// <param name="epochs">Full-batch epochs per refit (CB4Rec epochs = 5).</param>
    /// <param name="refactorEvery">Rank-one updates of W^-1 between re-factorisations; the default never re-factorises (and keeps W^-1 only).</param>
    /// <exception cref="ArgumentException">No user features, or d1 d2 above <see cref="BilinearModel.MaxPairDimension"/>.</exception>
    public RefitBilinearModel(int itemDimension, int userDimension, ulong seed, double learningRate = 0.001, int epochs = 5, int refactorEvery = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemDimension);
        if (userDimension <= 0)
        {
            throw new ArgumentException("The bilinear model (S-N-GBLM-UCB) needs user features; this world offers none.", nameof(userDimension));
        }
        var size = (long)itemDimension * userDimension;
        if (size > BilinearModel.MaxPairDimension)
        {
            throw new ArgumentException(
                $"The bilinear model (S-N-GBLM-UCB) keeps a (d1 d2) x (d1 d2) matrix: d1 = {itemDimension} and d2 = {userDimension} give d1 d2 = {size} > {BilinearModel.MaxPairDimension}.",
                nameof(itemDimension));
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
        _parameters = new double[_d1 * _d2 + 1];
        _gradient = new double[_parameters.Length];
        TorchInit.Uniform(_parameters, _d1, Seeds.Stream(seed, "s-n-gblm-ucb/as-coded/init"));
        _w = new DesignMatrix(_d1 * _d2, 1.0, refactorEvery, keepMatrix: refactorEvery != int.MaxValue);
        _buffer = new SampleBuffer(_d1, keepRoundsWithoutClicks: false);
        _set = new TrainingSet(_d1);
        _adam = new GlmAdam(_parameters.Length);
        _rng = Seeds.Stream(seed, "s-n-gblm-ucb/as-coded/negatives");
        _v = new double[_d1 * _d2];
        _partial = new double[_d1 * _d2 * _d1];
        _mz = new double[_d1 * _d1];
        _thetaZ = new double[_d1];
    }

    /// <summary>
    /// The current user vector z_u (d2 entries) of a user at update and refit time (CB4Rec re-encodes the user's current
    /// history). Null: the feedback context's user features for W, the latest the model saw for that user for a refit.
    /// </summary>
    public Func<int, ReadOnlyMemory<double>>? CurrentUserFeatures { get; set; }

    /// <summary>The coefficients [Theta (d1 x d2, row i for x_i), b].</summary>
    public ReadOnlySpan<double> Coefficients => _parameters;

    /// <summary>W^-1 (row-major (d1 d2) x (d1 d2)).</summary>
    public ReadOnlySpan<double> InverseDesign => _w.Inverse;

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
    /// has nothing to fit): CB4Rec's order at a retrain round (append, retrain and reset, then W update and the empty refit).
    /// </summary>
    public void ResetBufferAtNextUpdate() => _resetPending = true;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        var z = context.UserFeaturesOf(_d2);
        var candidates = context.Candidates;
        CheckDimension(candidates.Dimension);
        for (var i = 0; i < _d1; i++)
        {
            _thetaZ[i] = TensorPrimitives.Dot(_parameters.AsSpan(i * _d2, _d2), z);
        }
        var user = context.UserFeatures;
        if (!_mzFor.User.Equals(user) || _mzFor.Version != _w.Version)
        {
            BuildUserMatrix(z);
            _mzFor = (user, _w.Version);
        }
        var bias = _parameters[_d1 * _d2];
        var n = candidates.Count;
        for (var c = 0; c < n; c++)
        {
            var x = candidates.Features(c);
            mean[c] = TensorPrimitives.Dot(x, _thetaZ) + bias;
            uncertainty[c] = Math.Sqrt(Math.Max(QuadraticForms.Evaluate(_mz, _d1, x), 0));
        }
        TensorPrimitives.Sigmoid(mean[..n], mean[..n]);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        if (feedback.IsEmpty)
        {
            return;
        }
        RewardRange.RequireUnitInterval(feedback, "The as-coded S-N-GBLM model");
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
            var z = CurrentUserFeatures is null ? f.Context.UserFeatures.Span : UserVector(f.UserId);
            for (var i = 0; i < _d1; i++)
            {
                TensorPrimitives.Multiply(z, f.Features[i], _v.AsSpan(i * _d2, _d2));
            }
            _w.AddOuter(_v);
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
        if (_scratch.Length < n + _d1)
        {
            _scratch = new double[2 * n + _d1];
        }
        for (var i = 0; i < n; i++)
        {
            UserVector(_set.Users[i]).CopyTo(_z.AsSpan(i * _d2, _d2));
        }
        _adam.Reset();
        for (var epoch = 0; epoch < _epochs; epoch++)
        {
            GlmGradients.Bilinear(_parameters, _d1, _set.X.AsSpan(0, n * _d1), _z.AsSpan(0, n * _d2), _set.Labels.AsSpan(0, n), _gradient, _scratch);
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

    /// <summary>M_z for <paramref name="z"/> into the model's buffer (see <see cref="BilinearModel.BuildUserMatrix(ReadOnlySpan{double}, int, int, ReadOnlySpan{double}, Span{double}, Span{double})"/>).</summary>
    private void BuildUserMatrix(ReadOnlySpan<double> z) => BilinearModel.BuildUserMatrix(_w.Inverse, _d1, _d2, z, _partial, _mz);

    private static void RequireUser(int user)
    {
        if (user == DecisionContext.NoUser)
        {
            throw new ArgumentException("The as-coded S-N-GBLM model buffers rounds by user and needs contexts with a user id.");
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
        writer.Tag("s-n-gblm-as-coded");
        writer.Write(_updates);
        writer.Write(_resetPending);
        writer.Write(_parameters);
        _w.WriteState(writer);
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
        reader.Tag("s-n-gblm-as-coded");
        _updates = reader.ReadInt64();
        _resetPending = reader.ReadBoolean();
        reader.ReadInto(_parameters, "S-N-GBLM coefficients");
        _w.ReadState(reader);
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
        _mzFor = (ReadOnlyMemory<double>.Empty, -1);
    }
}
