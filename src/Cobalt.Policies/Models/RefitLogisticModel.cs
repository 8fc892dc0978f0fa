using System.Numerics.Tensors;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// GLM-UCB as the two-stage paper's authors coded it (CB4Rec algorithms/linucb.py @67f4029, GLMUCB; with options also
/// algorithms/neural_linear.py NeuralGLMUCB): one logistic model per user, mean sigmoid(w_u . x + b_u), width
/// ||x||_{A_u^-1} with A_u = ridge I + sum of x x^T over the user's initial history (when seeded there) and every item shown
/// to the user after the first round; the policy adds beta times the width (UCB(beta), the code's gamma = 0.1).
/// </summary>
/// <remarks>
/// <para>Fit (GLMUCB.train_lr): after every round but the very first (CB4Rec updates only when t > 0) the round's user u is
/// refitted: a fresh Adam optimiser (learning rate 0.01 in CB4Rec) runs <c>epochs</c> (5) full-batch epochs of mean BCE over
/// u's samples, warm-started from u's current coefficients. Samples: every positive of each buffered round of u with a
/// click, plus floor(min(1.5 P, N)) of its N negatives drawn without replacement (fresh draws at each refit). Which rounds are
/// buffered: <see cref="RefitBuffer"/> (as coded: one list of everyone's rounds consumed by the refits with Python's
/// remove-while-iterating skip; or a kept per-user buffer).</para>
/// <para>First meeting (GLMUCB.item_rec, on the first estimate for a user): w_u, b_u drawn as PyTorch's nn.Linear(d, 1)
/// default (uniform on +-1/sqrt(d)) from a stream derived from the seed and the user id; A_u = I; if the user has an initial
/// history it seeds A_u or the buffer (<see cref="HistorySeed"/>) and the user is refitted at once (which, as coded,
/// also walks the shared buffer). The history's features are the rows of the candidates' catalogue (the world puts the
/// frozen GloVe title-vector sums there). Rewards equal to 1 are clicks, any other reward in [0, 1] is a non-click.</para>
/// <para>Departures: double precision instead of float32; the gradient is (sigmoid(l) - y) / N also where float32 saturates.</para>
/// </remarks>
public sealed class RefitLogisticModel : IRewardModel, IRefitBuffer
{
    private readonly int _d;
    private readonly ulong _seed;
    private readonly double _learningRate, _ridge;
    private readonly int _epochs, _refactorEvery;
    private readonly RefitBuffer _bufferKind;
    private readonly HistorySeed _historySeed;
    private readonly Dictionary<int, int[]> _histories;
    private readonly Dictionary<int, UserModel> _users = [];
    private readonly SampleBuffer _buffer;
    private readonly TrainingSet _set;
    private readonly GlmAdam _adam;
    private readonly double[] _gradient;
    private double[] _scratch = [];
    private readonly Rng _rng;
    private long _updates;
    private bool _resetPending, _historiesDropped;

    private sealed class UserModel(int dimension, double ridge, int refactorEvery)
    {
        public readonly double[] Parameters = new double[dimension + 1];
        public readonly DesignMatrix Design = new(dimension, ridge, refactorEvery);
    }

    /// <summary>Creates the model for item features of dimension <paramref name="dimension"/>.</summary>
    /// <param name="dimension">Item feature dimension d (CB4Rec: 300, the GloVe width).</param>
    /// <param name="initialHistories">Each user's items before the trial (user -> item ids), from <c>IObservedLog.InitialHistories</c>; null for none.</param>
    /// <param name="seed">Seeds the coefficient initialisation (per user) and the negative sampling.</param>
    /// <param name="learningRate">Adam's learning rate (CB4Rec glm_lr = 0.01).</param>
    /// <param name="epochs">Full-batch epochs per refit (CB4Rec: 5 in GLMUCB; NeuralGLMUCB takes one step).</param>
    /// <param name="buffer">Which rounds a refit sees.</param>
    /// <param name="history">Where the initial history goes.</param>
    /// <param name="ridge">A_u starts as ridge I (CB4Rec: I).</param>
    /// <param name="refactorEvery">Rank-one updates of A_u^-1 between Cholesky re-factorisations.</param>
    public RefitLogisticModel(int dimension, IReadOnlyDictionary<int, int[]>? initialHistories, ulong seed, double learningRate = 0.01, int epochs = 5,
        RefitBuffer buffer = RefitBuffer.AsCoded, HistorySeed history = HistorySeed.DesignMatrix, double ridge = 1.0, int refactorEvery = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite positive number.");
        }
        if (!Enum.IsDefined(buffer) || !Enum.IsDefined(history))
        {
            throw new ArgumentOutOfRangeException(nameof(buffer), $"Unknown buffer {buffer} or history seed {history}.");
        }
        _d = dimension;
        _seed = seed;
        _learningRate = learningRate;
        _epochs = epochs;
        _ridge = ridge;
        _refactorEvery = refactorEvery;
        _bufferKind = buffer;
        _historySeed = history;
        _histories = initialHistories?.ToDictionary(p => p.Key, p => p.Value.ToArray()) ?? [];
        _buffer = new SampleBuffer(dimension, keepRoundsWithoutClicks: buffer == RefitBuffer.AsCoded);
        _set = new TrainingSet(dimension);
        _adam = new GlmAdam(dimension + 1);
        _gradient = new double[dimension + 1];
        _rng = Seeds.Stream(seed, "glm-ucb/as-coded/negatives");
    }

    /// <summary>Users met so far.</summary>
    public int UserCount => _users.Count;

    /// <summary>Rounds held in the buffer.</summary>
    public int BufferedRounds => _buffer.Count;

    /// <summary>Samples of the last refit (positives plus sampled negatives).</summary>
    public int LastRefitSamples { get; private set; }

    /// <summary>The coefficients [w_u (d), b_u] of <paramref name="user"/>; empty if the user has not been met.</summary>
    public ReadOnlySpan<double> Coefficients(int user) => _users.TryGetValue(user, out var m) ? m.Parameters : [];

    /// <summary>A_u^-1 of <paramref name="user"/> (row-major d x d); empty if the user has not been met.</summary>
    public ReadOnlySpan<double> InverseDesign(int user) => _users.TryGetValue(user, out var m) ? m.Design.Inverse : [];

    /// <summary>Empties the buffer now (CB4Rec NeuralGLMUCB empties data_buffer_lr at each NRMS retrain).</summary>
    public void ResetBuffer()
    {
        _buffer.Clear();
        _historiesDropped = true;
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
        var candidates = context.Candidates;
        CheckDimension(candidates.Dimension);
        var model = Meet(RequireUser(context.UserId), candidates.Catalog);
        var n = candidates.Count;
        var w = model.Parameters.AsSpan(0, _d);
        var b = model.Parameters[_d];
        for (var i = 0; i < n; i++)
        {
            var x = candidates.Features(i);
            mean[i] = TensorPrimitives.Dot(w, x) + b;
            uncertainty[i] = Math.Sqrt(model.Design.QuadraticForm(x));
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
        RewardRange.RequireUnitInterval(feedback, "The as-coded GLM-UCB model");
        foreach (var f in feedback)
        {
            RequireUser(f.UserId);
            CheckDimension(f.Features.Length);
        }
        var first = _updates == 0;
        _updates++;
        for (var start = 0; start < feedback.Length;)
        {
            var end = RunEnd(feedback, start);
            var user = feedback[start].UserId;
            Meet(user, feedback[start].Context.Candidates.Catalog);
            _buffer.Add(user, feedback[start..end]);
            start = end;
        }
        if (_resetPending)
        {
            ResetBuffer();
        }
        if (first)
        {
            return; // CB4Rec updates only when t > 0: the first round only enters the buffer
        }
        for (var start = 0; start < feedback.Length;)
        {
            var end = RunEnd(feedback, start);
            var user = feedback[start].UserId;
            var model = _users[user];
            foreach (var f in feedback[start..end])
            {
                model.Design.AddOuter(f.Features);
            }
            Refit(user, model);
            start = end;
        }
    }

    private static int RunEnd(ReadOnlySpan<Feedback> feedback, int start)
    {
        var end = start + 1;
        while (end < feedback.Length && feedback[end].UserId == feedback[start].UserId)
        {
            end++;
        }
        return end;
    }

    private UserModel Meet(int user, ItemCatalog? catalog)
    {
        if (_users.TryGetValue(user, out var model))
        {
            return model;
        }
        model = new UserModel(_d, _ridge, _refactorEvery);
        TorchInit.Uniform(model.Parameters, _d, Seeds.Stream(_seed, "glm-ucb/as-coded/init", user));
        _users[user] = model;
        if (!_histories.TryGetValue(user, out var history) || history.Length == 0 || _historySeed == HistorySeed.None)
        {
            return model;
        }
        if (catalog is null)
        {
            throw new InvalidOperationException($"User {user} has an initial history of {history.Length} items, but the candidates carry no catalogue to read the items' features from.");
        }
        foreach (var item in history)
        {
            if ((uint)item >= (uint)catalog.Count)
            {
                throw new ArgumentException($"User {user}'s initial history names item {item}, outside the catalogue [0, {catalog.Count}).");
            }
        }
        if (catalog.Dimension != _d)
        {
            throw new ArgumentException($"The catalogue has {catalog.Dimension} features; the model was built for {_d}.");
        }
        if (_historySeed == HistorySeed.DesignMatrix)
        {
            foreach (var item in history)
            {
                model.Design.AddOuter(catalog.Features.Row(item));
            }
        }
        else if (!_historiesDropped)
        {
            _buffer.AddPositives(user, catalog, history);
        }
        Refit(user, model);
        return model;
    }

    private void Refit(int user, UserModel model)
    {
        _buffer.Build(user, consume: _bufferKind == RefitBuffer.AsCoded, _rng, _set);
        var n = _set.Count;
        LastRefitSamples = n;
        if (n == 0)
        {
            return;
        }
        if (_scratch.Length < n)
        {
            _scratch = new double[Math.Max(n, 2 * _scratch.Length)];
        }
        _adam.Reset();
        for (var epoch = 0; epoch < _epochs; epoch++)
        {
            GlmGradients.Logistic(model.Parameters, _set.X.AsSpan(0, n * _d), _set.Labels.AsSpan(0, n), _gradient, _scratch);
            _adam.Step(model.Parameters, _gradient, _learningRate);
        }
    }

    private static int RequireUser(int user) =>
        user != DecisionContext.NoUser ? user : throw new ArgumentException("The as-coded GLM-UCB model keeps one model per user and needs contexts with a user id.");

    private void CheckDimension(int dimension)
    {
        if (dimension != _d)
        {
            throw new ArgumentException($"Candidates have {dimension} features; the model was built for {_d}.");
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("glm-ucb-as-coded");
        writer.Write(_updates);
        writer.Write(_resetPending);
        writer.Write(_historiesDropped);
        writer.Write(_rng);
        _buffer.WriteState(writer);
        writer.Write(_histories.Count);
        foreach (var user in _histories.Keys.Order())
        {
            writer.Write(user);
            writer.Write(_histories[user].AsSpan());
        }
        writer.Write(_users.Count);
        foreach (var user in _users.Keys.Order())
        {
            writer.Write(user);
            writer.Write(_users[user].Parameters);
            _users[user].Design.WriteState(writer);
        }
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("glm-ucb-as-coded");
        _updates = reader.ReadInt64();
        _resetPending = reader.ReadBoolean();
        _historiesDropped = reader.ReadBoolean();
        reader.ReadInto(_rng);
        _buffer.ReadState(reader);
        _histories.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var user = reader.ReadInt32();
            _histories[user] = reader.ReadInts("initial history");
        }
        _users.Clear();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var user = reader.ReadInt32();
            var model = new UserModel(_d, _ridge, _refactorEvery);
            reader.ReadInto(model.Parameters, "GLM-UCB coefficients");
            model.Design.ReadState(reader);
            _users[user] = model;
        }
    }
}
