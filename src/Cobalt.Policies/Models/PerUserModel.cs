using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Policies.Models;

/// <summary>
/// A separate reward model per user (for example GLM-UCB with theta_u per user, as in the two-stage
/// paper's GLM-UCB baseline). A user never seen is estimated by an untouched prior model.
/// </summary>
public sealed class PerUserModel : IRewardModel, IPosteriorSampler
{
    private readonly Func<IRewardModel> _create;
    private readonly IRewardModel _prior;
    private Dictionary<int, IRewardModel> _users = [];

    /// <summary>Creates per-user models with <paramref name="create"/>.</summary>
    public PerUserModel(Func<IRewardModel> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        _create = create;
        _prior = create();
    }

    /// <summary>Number of users with a model of their own.</summary>
    public int UserCount => _users.Count;

    /// <inheritdoc />
    public void Estimate(DecisionContext context, Span<double> mean, Span<double> uncertainty)
    {
        ArgumentNullException.ThrowIfNull(context);
        ModelFor(context.UserId).Estimate(context, mean, uncertainty);
    }

    /// <inheritdoc />
    public void SamplePosterior(DecisionContext context, Span<double> draws, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ModelFor(context.UserId) is not IPosteriorSampler sampler)
        {
            throw new InvalidOperationException("The per-user model cannot draw from a posterior.");
        }
        sampler.SamplePosterior(context, draws, rng);
    }

    /// <inheritdoc />
    public void Update(ReadOnlySpan<Feedback> feedback)
    {
        for (var i = 0; i < feedback.Length; i++)
        {
            var user = feedback[i].UserId;
            RequireUser(user);
            if (!_users.TryGetValue(user, out var model))
            {
                model = _create();
                _users[user] = model;
            }
            model.Update(feedback.Slice(i, 1));
        }
    }

    private IRewardModel ModelFor(int user)
    {
        RequireUser(user);
        return _users.TryGetValue(user, out var model) ? model : _prior;
    }

    private static void RequireUser(int user)
    {
        if (user == DecisionContext.NoUser)
        {
            throw new ArgumentException("A per-user model needs contexts with a user id.");
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("per-user");
        writer.Write(_users);
    }

    /// <inheritdoc />
    public void ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("per-user");
        _users = reader.ReadMap(_ => _create(), "users");
    }
}
