using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Evaluation;

/// <summary>Recommendations and clicks of a run of users.</summary>
/// <param name="Recommendations">Number of recommendations made (shown to a user who could click).</param>
/// <param name="Clicks">Number of them clicked.</param>
/// <param name="Phantoms">
/// Upstream's end-of-session impressions: RecoGym asks the agent once more after the user left and logs that
/// recommendation as not clicked (criteo-research/reco-gym f8553d1, <c>recogym/envs/abstract.py</c>
/// <c>generate_logs</c> and <c>step_offline</c>), so its CTR is clicks / (recommendations + phantoms).
/// </param>
public readonly record struct Tally(long Recommendations, long Clicks, long Phantoms = 0)
{
    /// <summary>Our CTR's denominator plus the phantom impressions: RecoGym's denominator.</summary>
    public long RecoGymImpressions => Recommendations + Phantoms;

    /// <summary>The sum of two tallies.</summary>
    public static Tally operator +(Tally x, Tally y) => new(x.Recommendations + y.Recommendations, x.Clicks + y.Clicks, x.Phantoms + y.Phantoms);

    /// <summary>The sum of two tallies.</summary>
    public static Tally Add(Tally x, Tally y) => x + y;
}

/// <summary>
/// One user's whole episode with an agent, as upstream's <c>step</c> loop: an organic session first; then, while
/// the user stays, a recommendation (the agent acts on the views so far), the click, a transition (organic after a
/// click), and the organic session that follows, if any.
/// </summary>
public static class Episode
{
    /// <summary>
    /// Plays user <paramref name="userId"/> (seeded by <paramref name="userSeed"/>) against <paramref name="agent"/>.
    /// With <paramref name="learn"/> the agent sees every view and outcome; <paramref name="log"/>, when given, receives every row.
    /// </summary>
    /// <remarks>
    /// With <paramref name="phantom"/> (RecoGym's protocol) the agent acts once more after the user left, as upstream's
    /// <c>step_offline</c> does when <c>done</c>; that recommendation is logged (and learnt from) as not clicked and
    /// counted in <see cref="Tally.Phantoms"/>.
    /// </remarks>
    public static Tally Play(UserSimulator simulator, UserHistory history, RecoGymAgent agent, ulong userSeed, int userId, bool learn, InteractionLog? log = null, bool phantom = false)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(agent);
        simulator.Start(userSeed, userId);
        history.Reset();
        agent.BeginUser(history);
        long recommendations = 0, clicks = 0;
        while (true)
        {
            while (simulator.State == UserState.Organic)
            {
                var time = simulator.Time;
                var product = simulator.ViewProduct();
                history.AddView(product);
                if (learn)
                {
                    agent.ObserveOrganic(history, product);
                }
                log?.Add(LogEvent.Organic(time, userId, product));
                simulator.Transition();
            }
            if (simulator.State == UserState.Leave)
            {
                break;
            }
            var now = simulator.Time;
            var action = agent.Act(history, out var propensity);
            var click = simulator.Click(action);
            recommendations++;
            if (click)
            {
                clicks++;
            }
            if (learn)
            {
                agent.ObserveBandit(history, action, propensity, click);
            }
            log?.Add(LogEvent.Bandit(now, userId, action, click, propensity));
            simulator.AfterRecommendation(click);
        }
        var phantoms = 0;
        if (phantom)
        {
            var now = simulator.Time;
            var action = agent.Act(history, out var propensity);
            if (learn)
            {
                agent.ObserveBandit(history, action, propensity, false);
            }
            log?.Add(LogEvent.Bandit(now, userId, action, false, propensity));
            phantoms = 1;
        }
        if (learn)
        {
            agent.EndUser(history);
        }
        return new Tally(recommendations, clicks, phantoms);
    }

    /// <summary>
    /// An organic-only training user of RecoGym's protocol: the first organic session and nothing else (upstream's
    /// <c>generate_logs</c> and <c>bench_agents._collect_stats</c> call <c>step(None)</c> once for such users).
    /// </summary>
    public static void PlayOrganicOnly(UserSimulator simulator, int userId, InteractionLog log)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(log);
        simulator.Start(0, userId);
        while (simulator.State == UserState.Organic)
        {
            var time = simulator.Time;
            log.Add(LogEvent.Organic(time, userId, simulator.ViewProduct()));
            simulator.Transition();
        }
    }
}

/// <summary>Generates logs under a policy and trains agents on logs.</summary>
public static class LogReplay
{
    /// <summary>
    /// The log of <paramref name="users"/> users of the population <paramref name="population"/> of <paramref name="world"/>
    /// facing <paramref name="policy"/> (the logging policy by default: organic user count, seeded from the world).
    /// </summary>
    public static InteractionLog Generate(RecoGymWorld world, int users, RecoGymAgent? policy = null, string population = "train")
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        policy ??= new LoggingPolicyAgent(world.Products, new LoggingPolicyOptions(), Core.Randomness.Seeds.Derive(world.Seed, "recogym/logging-policy"));
        var log = new InteractionLog(world.Products, Math.Max(16, users * 110));
        var simulator = new UserSimulator(world);
        var history = new UserHistory(world.Products);
        for (var u = 0; u < users; u++)
        {
            Episode.Play(simulator, history, policy, UserSimulator.UserSeed(world.Seed, population, u), u, learn: false, log);
        }
        return log;
    }

    /// <summary>Feeds <paramref name="log"/> to <paramref name="agent"/> user by user in order, then ends its training.</summary>
    public static void Train(RecoGymAgent agent, InteractionLog log)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(log);
        if (log.Products != agent.Products)
        {
            throw new ArgumentException($"The log is of {log.Products} products; the agent of {agent.Products}.", nameof(log));
        }
        agent.BeginTraining(log);
        var history = new UserHistory(log.Products);
        var user = -1;
        var any = false;
        foreach (var e in log.Events)
        {
            if (!any || e.User != user)
            {
                if (any)
                {
                    agent.EndUser(history);
                }
                history.Reset();
                agent.BeginUser(history);
                user = e.User;
                any = true;
            }
            if (e.Kind == EventKind.Organic)
            {
                history.AddView(e.Product);
                agent.ObserveOrganic(history, e.Product);
            }
            else
            {
                agent.ObserveBandit(history, e.Product, e.Propensity, e.Click);
            }
        }
        if (any)
        {
            agent.EndUser(history);
        }
        agent.EndTraining();
    }
}
