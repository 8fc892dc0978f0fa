using Cobalt.Core.Configuration;

namespace Cobalt.RecoGym.Agents;

/// <summary>One agent kind of the catalogue.</summary>
/// <param name="Kind">Registry name (kebab-case).</param>
/// <param name="DisplayName">The name shown in tables and plots.</param>
/// <param name="Summary">One line: what it does.</param>
/// <param name="Source">Where it comes from.</param>
/// <param name="OptionsType">Its options record.</param>
/// <param name="IsReference">True for the oracle, which reads hidden state and is shown only for orientation.</param>
/// <param name="Create">Builds the agent for P products from its options and seed.</param>
public sealed record AgentDefinition(
    string Kind,
    string DisplayName,
    string Summary,
    string Source,
    Type OptionsType,
    bool IsReference,
    Func<int, AgentOptions, ulong, RecoGymAgent> Create);

/// <summary>An agent to build: its kind, its options and an optional display name.</summary>
public sealed record AgentSpec(string Kind, AgentOptions Options, string? Name = null)
{
    /// <summary>The name shown in tables and plots.</summary>
    public string DisplayName => Name ?? AgentCatalog.Find(Kind).DisplayName;

    /// <summary>The spec of <paramref name="kind"/> with default options.</summary>
    public static AgentSpec Default(string kind)
    {
        var definition = AgentCatalog.Find(kind);
        return new AgentSpec(definition.Kind, (AgentOptions)Activator.CreateInstance(definition.OptionsType)!);
    }
}

/// <summary>Every RecoGym agent by name.</summary>
public static class AgentCatalog
{
    private static readonly AgentDefinition[] Definitions =
    [
        new("random", "Random", "RandomState(world seed).choice(P): uniform, propensity 1/P.", "RecoGym RandomAgent (recogym/agents/random_agent.py)", typeof(UpstreamRandomOptions), false,
            (p, _, s) => new UpstreamRandomAgent(p, s)),
        new("organic-count", "OrganicCount", "argmax of the session co-view counts of the last viewed product.", "RecoGym OrganicCount (recogym/agents/organic_count.py)", typeof(OrganicCountOptions), false,
            (p, _, s) => new OrganicCountAgent(p, s)),
        new("organic-user-count", "OrganicUserCount", "Samples a with probability x_a / sum x (this user's views).", "RecoGym OrganicUserEventCounterAgent (recogym/agents/organic_user_count.py)", typeof(OrganicUserCountOptions), false,
            (p, o, s) => new OrganicUserCountAgent("organic-user-count", p, (OrganicUserCountOptions)o, s)),
        new("logging", "Logging policy", "OrganicUserCount with epsilon 0.05 over the unviewed products: the competition's logging policy.", "RecoGym competition.py", typeof(LoggingOptions), false,
            (p, o, s) => new OrganicUserCountAgent("logging", p, ((LoggingOptions)o).AsOrganicUserCount(), s)),
        new("bandit-count", "BanditCount", "argmax (clicks + 1) / (pulls + 2) per (last viewed product, action); upstream's stale context.", "RecoGym BanditCount (recogym/agents/bandit_count.py)", typeof(UpstreamBanditCountOptions), false,
            (p, o, s) => new UpstreamBanditCountAgent(p, (UpstreamBanditCountOptions)o, s)),
        new("epsilon-greedy", "EpsilonGreedy(BanditCount)", "BanditCount; with probability 0.01 another product uniformly.", "RecoGym EpsilonGreedy (recogym/agents/epsilon_greedy.py)", typeof(UpstreamEpsilonGreedyOptions), false,
            (p, o, s) => new UpstreamEpsilonGreedyAgent(p, (UpstreamEpsilonGreedyOptions)o, s)),
        new("logreg-poly", "LogregPoly (likelihood)", "L2 logistic regression of the click on [x, a, x (x) a], greedy.", "RecoGym LogregPolyAgent (recogym/agents/logreg_poly.py)", typeof(LogregPolyOptions), false,
            (p, o, s) => new LogregPolyAgent(p, (LogregPolyOptions)o, s)),
        new("logreg-multiclass-ips", "LogregMulticlassIps (contextual bandit)", "Multinomial logistic regression of the action on x, rows weighted by click / propensity, greedy.", "RecoGym LogregMulticlassIpsAgent (recogym/agents/logreg_ips.py)", typeof(LogregMulticlassIpsOptions), false,
            (p, o, s) => new LogregMulticlassIpsAgent(p, (LogregMulticlassIpsOptions)o, s)),
        new("pytorch-mlr", "PyTorchMLR (IPS, CB)", "Linear softmax policy maximising the IPS estimate over clicked rows, greedy.", "RecoGym PyTorchMLRAgent (recogym/agents/pytorch_mlr.py, leaderboard_entries/pytorch_CB.py)", typeof(PyTorchMlrOptions), false,
            (p, o, s) => new PyTorchMlrAgent("pytorch-mlr", MlrObjective.Ips, p, (PyTorchMlrOptions)o, s)),
        new("pytorch-mlr-log", "PyTorchMLR (log IPS)", "Linear softmax policy maximising the IPS-weighted log-likelihood of clicked actions, greedy.", "RecoGym PyTorchMLRAgent logIPS (leaderboard_entries/pytorch_CB_log.py)", typeof(PyTorchMlrOptions), false,
            (p, o, s) => new PyTorchMlrAgent("pytorch-mlr-log", MlrObjective.LogIps, p, (PyTorchMlrOptions)o, s)),
        new("pytorch-mlr-likelihood", "PyTorchMLR (likelihood)", "sigma(x . W_a + b) fitted by IPS-weighted cross-entropy on all rows, greedy on W x.", "RecoGym PyTorchMLRAgent alpha = 1 (leaderboard_entries/pytorch_likelihood.py)", typeof(PyTorchMlrOptions), false,
            (p, o, s) => new PyTorchMlrAgent("pytorch-mlr-likelihood", MlrObjective.Likelihood, p, (PyTorchMlrOptions)o, s)),
        new("nn-ips", "NN IPS", "Two sigmoid hidden layers and a softmax, full-batch SGD on upstream's thresholded IPS loss, greedy.", "RecoGym NnIpsAgent (recogym/agents/nn_ips.py)", typeof(NnIpsOptions), false,
            (p, o, s) => new NnIpsAgent(p, (NnIpsOptions)o, s)),
        new("organic-mf-square", "OrganicMFSquare", "Next-view softmax on a product embedding, RMSprop in mini-batches; argmax for the last view.", "RecoGym OrganicMFSquare (recogym/agents/organic_mf.py)", typeof(MatrixFactorisationOptions), false,
            (p, o, s) => new OrganicMfSquareAgent(p, (MatrixFactorisationOptions)o, s)),
        new("bandit-mf-square", "BanditMFSquare", "Click logit A[a] . U[last view], RMSprop in mini-batches; greedy.", "RecoGym BanditMFSquare (recogym/agents/bandit_mf.py)", typeof(MatrixFactorisationOptions), false,
            (p, o, s) => new BanditMfSquareAgent(p, (MatrixFactorisationOptions)o, s)),
        new("popularity", "Organic popularity", "The product viewed most often organically by all users.", "Cobalt", typeof(PopularityAgentOptions), false,
            (p, o, s) => new PopularityAgent(p, (PopularityAgentOptions)o, s)),
        new("bandit-count-fresh", "Bandit count (fresh context, random ties)", "(clicks + 1) / (shows + 2) per (last viewed product, action), each action with its own context.", "Cobalt, after RecoGym BanditCount", typeof(BanditCountOptions), false,
            (p, o, s) => new BanditCountAgent(p, (BanditCountOptions)o, s)),
        new("item-knn", "Item kNN (co-views)", "sum_j x_j cos(j, a) over the organic co-view matrix, top-k neighbours.", "Sarwar et al. 2001", typeof(ItemKnnOptions), false,
            (p, o, s) => new ItemKnnAgent(p, (ItemKnnOptions)o, s)),
        new("user-knn", "User kNN (bandit)", "Nearest users by organic views; their similarity-weighted click rates.", "Jeunen and Goethals 2020; Nguyen-Thanh et al. 2019", typeof(UserKnnOptions), false,
            (p, o, s) => new UserKnnAgent(p, (UserKnnOptions)o, s)),
        new("logistic", "Logistic regression", "Greedy on sigmoid(theta . (x (x) a)), one online-Newton model per action.", "Jeunen and Goethals 2020", typeof(LogisticAgentOptions), false,
            (p, o, s) => new KroneckerLogisticAgent("logistic", p, (LogisticAgentOptions)o with { Decision = LogisticDecision.Greedy }, s)),
        new("naive-bayes", "Naive Bayes (annealed)", "Multinomial naive Bayes on x (x) a, pseudo-count annealed (challenge winner).", "Jeunen and Goethals 2020", typeof(NaiveBayesOptions), false,
            (p, o, s) => new NaiveBayesAgent(p, (NaiveBayesOptions)o, s)),
        new("ips-softmax", "IPS softmax policy", "Softmax policy by gradient ascent on the clipped IPS estimate.", "Bottou et al. 2013; Swaminathan and Joachims 2015", typeof(IpsSoftmaxOptions), false,
            (p, o, s) => new IpsSoftmaxAgent(p, (IpsSoftmaxOptions)o, s)),
        new("epsilon-greedy-logistic", "Epsilon-greedy (logistic)", "The logistic value model; uniform with probability epsilon.", "Sutton and Barto 2018", typeof(LogisticAgentOptions), false,
            (p, o, s) => new KroneckerLogisticAgent("epsilon-greedy-logistic", p, (LogisticAgentOptions)o with { Decision = LogisticDecision.EpsilonGreedy }, s)),
        new("linucb", "LinUCB (disjoint)", "theta_a . x + alpha ||x||_{A_a^-1}, one ridge model per action.", "Li et al. 2010", typeof(LinUcbAgentOptions), false,
            (p, o, s) => new LinUcbAgent(p, (LinUcbAgentOptions)o, s)),
        new("thompson-logistic", "Thompson (logistic, Laplace)", "Argmax of a Laplace-posterior draw of the logistic model.", "Chapelle and Li 2011", typeof(LogisticAgentOptions), false,
            (p, o, s) => new KroneckerLogisticAgent("thompson-logistic", p, (LogisticAgentOptions)o with { Decision = LogisticDecision.Thompson }, s)),
        new("oracle", "Oracle (reference)", "Knows the user's click probabilities: the attainable CTR.", "reference", typeof(OracleAgentOptions), true,
            (p, _, s) => new OracleAgent(p, s)),
    ];

    /// <summary>Every agent kind, in table order.</summary>
    public static IReadOnlyList<AgentDefinition> All => Definitions;

    /// <summary>The kinds of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Kinds => Definitions.Select(d => d.Kind).ToArray();

    /// <summary>The definition of <paramref name="kind"/>.</summary>
    /// <exception cref="OptionsException">No agent has that name.</exception>
    public static AgentDefinition Find(string kind) =>
        Definitions.FirstOrDefault(d => Names.Matches(kind ?? string.Empty, d.Kind))
        ?? throw new OptionsException("agents", $"unknown agent '{kind}'; known agents: {string.Join(", ", Kinds)}.");

    /// <summary>Builds the agent of <paramref name="spec"/>.</summary>
    /// <exception cref="OptionsException">The kind is unknown or the options are invalid or of another kind.</exception>
    public static RecoGymAgent Build(AgentSpec spec, int products, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var definition = Find(spec.Kind);
        if (spec.Options.GetType() != definition.OptionsType)
        {
            throw new OptionsException($"agents.{definition.Kind}", $"options of type {spec.Options.GetType().Name} given; {definition.Kind} takes {definition.OptionsType.Name}.");
        }
        try
        {
            spec.Options.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under($"agents.{definition.Kind}");
        }
        return definition.Create(products, spec.Options, seed);
    }
}
