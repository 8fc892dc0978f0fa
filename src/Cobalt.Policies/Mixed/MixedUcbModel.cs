using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Mixed;

/// <summary>
/// The reward model of the mixed UCB/LinUCB recommender (Chen 2024, "Enhancing Recommendation Systems Through
/// Contextual Bandit Models", section 2.4): UCB1's per-action means (<see cref="ArmMeanModel"/>) and LinUCB's
/// per-action ridge models over the user's context (<see cref="DisjointLinearModel"/>), combined by one of three
/// approaches. Both models learn from every observed reward, whichever algorithm chose the action.
/// </summary>
/// <remarks>
/// With the exploration strategy UCB(beta), a candidate's index is mean + beta * width, where
/// <list type="bullet">
/// <item>UCB1: mean = mu_a, width = sqrt(ln t / n_a) as the paper's equation (4), or sqrt(2 ln t / n_a) with
/// <see cref="UcbWidth.Auer"/> (infinite for an action never tried);</item>
/// <item>LinUCB: mean = theta_i^T x_a, width = ||x_a||_{A_i^-1} with one model {A_i, b_i} per user i (the paper's
/// Table 2), or theta_a^T x, ||x||_{A_a^-1} with one model per action (<see cref="LinUcbScope.PerArm"/>);</item>
/// <item>context-aware selection: LinUCB's estimates when the user has context (a non-zero feature vector) and
/// context is deemed informative (<see cref="ContextGate"/>), UCB1's otherwise (for example new users);</item>
/// <item>dynamic adjustment: the estimates of the algorithm <see cref="DynamicSwitch"/> has made active;</item>
/// <item>weighted averaging: mean = w mu + (1 - w) theta_a^T x and width = w sqrt(2 ln t / n_a) + (1 - w) ||x||_{A_a^-1},
/// so the index is exactly w UCB1 + (1 - w) LinUCB (w = 0.5 in the paper).</item>
/// </list>
/// </remarks>
public sealed class MixedUcbModel : IRewardModel
{
    private readonly ArmMeanModel _ucb = new();
    private readonly IRewardModel _linUcb;
    private readonly double _ucbWidthScale;
    private double[] _mean = [], _width = [], _otherMean = [], _otherWidth = [];

    /// <summary>Creates the model.</summary>
    public MixedUcbModel(MixedUcbOptions options, int userDimension, int itemDimension)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var features = options.LinUcbFeatures;
        var dimension = features.Dimension(userDimension, itemDimension);
        if (dimension <= 0)
        {
            throw new Core.Configuration.OptionsException("features", $"give LinUCB no features for user dimension {userDimension} and item dimension {itemDimension}.");
        }
        Options = options;
        _linUcb = options.LinUcbModels == LinUcbScope.PerUser
            ? new PerUserLinUcb(() => new LinearModel(features, userDimension, itemDimension, options.Ridge, cacheCatalog: false, refactorEvery: options.RefactorEvery))
            : new DisjointLinearModel(features, userDimension, itemDimension, options.Ridge, refactorEvery: options.RefactorEvery);
        _ucbWidthScale = options.UcbWidth == UcbWidth.Paper ? Math.Sqrt(0.5) : 1.0;
        Switch = new DynamicSwitch(options.SwitchEvery);
        Gate = new ContextGate(options.ContextWindow);
    }

    /// <summary>The options.</summary>
    public MixedUcbOptions Options { get; }

    /// <summary>The dynamic adjustment's state.</summary>
    public DynamicSwitch Switch { get; }

    /// <summary>The context-aware selection's test of informativeness.</summary>
    public ContextGate Gate { get; }

    /// <summary>The algorithm whose estimates <paramref name="context"/> gets (weighted averaging: null, both).</summary>
    public MixedAlgorithm? AlgorithmFor(DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Options.Approach switch
        {
            MixingApproach.ContextAware => HasContext(context) && Gate.Informative ? MixedAlgorithm.LinUcb : MixedAlgorithm.Ucb,
            MixingApproach.DynamicAdjustment => Switch.Active,
            _ => null,
        };
    }

    /// <summary>Whether the user's context is available: some user feature is non-zero.</summary>
    public static bool HasContext(DecisionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserFeatures.Span.ContainsAnyExcept(0.0);
    }

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (AlgorithmFor(context))
        {
            case MixedAlgorithm.Ucb:
                EstimateUcb(context, mean, uncertainty);
                return;
            case MixedAlgorithm.LinUcb:
                _linUcb.Estimate(context, mean, uncertainty);
                return;
        }
        var n = context.Candidates.Count;
        Reserve(n);
        Span<double> linMean = _otherMean.AsSpan(0, n), linWidth = _otherWidth.AsSpan(0, n);
        EstimateUcb(context, mean, uncertainty);
        _linUcb.Estimate(context, linMean, linWidth);
        double w = Options.UcbWeight, v = 1 - w;
        for (var i = 0; i < n; i++)
        {
            mean[i] = w * mean[i] + v * linMean[i];
            uncertainty[i] = w == 0 ? linWidth[i] : v == 0 ? uncertainty[i] : w * uncertainty[i] + v * linWidth[i];
        }
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        switch (Options.Approach)
        {
            case MixingApproach.ContextAware:
                foreach (var f in feedback)
                {
                    if (HasContext(f.Context))
                    {
                        var (lin, ucb) = PredictBoth(f);
                        Gate.Record(f.Reward, lin, ucb);
                    }
                    Learn(f);
                }
                return;
            case MixingApproach.DynamicAdjustment:
                // A round's reward is the sum over its slots; slot 0 opens a round.
                var roundReward = 0.0;
                var open = false;
                foreach (var f in feedback)
                {
                    if (f.Position == 0 && open)
                    {
                        Switch.Record(roundReward);
                        roundReward = 0;
                    }
                    open = true;
                    roundReward += f.Reward;
                    Learn(f);
                }
                if (open)
                {
                    Switch.Record(roundReward);
                }
                Switch.EndPeriodIfDue();
                return;
            default:
                foreach (var f in feedback)
                {
                    Learn(f);
                }
                return;
        }
    }

    /// <summary>UCB1's means and widths, the width scaled to the configured form (sqrt(ln t / n) or sqrt(2 ln t / n)).</summary>
    private void EstimateUcb(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        _ucb.Estimate(context, mean, uncertainty);
        if (_ucbWidthScale != 1.0)
        {
            var n = context.Candidates.Count;
            for (var i = 0; i < n; i++)
            {
                uncertainty[i] *= _ucbWidthScale;
            }
        }
    }

    private void Learn(Feedback f)
    {
        ReadOnlySpan<Feedback> one = [f];
        _ucb.Update(one);
        _linUcb.Update(one);
    }

    /// <summary>Both models' mean for the shown action, before learning from it.</summary>
    private (double LinUcb, double Ucb) PredictBoth(Feedback f)
    {
        var n = f.Context.Candidates.Count;
        Reserve(n);
        _linUcb.Estimate(f.Context, _mean.AsSpan(0, n), _width.AsSpan(0, n));
        var lin = _mean[f.CandidateIndex];
        _ucb.Estimate(f.Context, _mean.AsSpan(0, n), _width.AsSpan(0, n));
        return (lin, _mean[f.CandidateIndex]);
    }

    private void Reserve(int n)
    {
        if (_mean.Length < n)
        {
            _mean = new double[n];
            _width = new double[n];
            _otherMean = new double[n];
            _otherWidth = new double[n];
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("mixed-ucb");
        _ucb.WriteState(writer);
        _linUcb.WriteState(writer);
        Switch.WriteState(writer);
        Gate.WriteState(writer);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("mixed-ucb");
        _ucb.ReadState(reader);
        _linUcb.ReadState(reader);
        Switch.ReadState(reader);
        Gate.ReadState(reader);
    }

    /// <summary>
    /// One LinUCB model {A_i, b_i} per user (the paper's Table 2); a user never seen is estimated by an untouched model,
    /// and contexts without a user id share one model of their own.
    /// </summary>
    private sealed class PerUserLinUcb(Func<LinearModel> create) : IRewardModel
    {
        private readonly LinearModel _prior = create();
        private Dictionary<int, LinearModel> _users = [];

        public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty) =>
            (_users.TryGetValue(context.UserId, out var model) ? model : _prior).Estimate(context, mean, uncertainty);

        public void Update(ReadOnlySpan<Feedback> feedback)
        {
            for (var i = 0; i < feedback.Length; i++)
            {
                var user = feedback[i].UserId;
                if (!_users.TryGetValue(user, out var model))
                {
                    model = create();
                    _users[user] = model;
                }
                model.Update(feedback.Slice(i, 1));
            }
        }

        public void WriteState(StateWriter writer)
        {
            writer.Tag("mixed-per-user-linucb");
            writer.Write(_users);
        }

        public void ReadState(StateReader reader)
        {
            reader.Tag("mixed-per-user-linucb");
            _users = reader.ReadMap(_ => create(), "users");
        }
    }
}
