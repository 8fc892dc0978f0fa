using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.CoFine;
using Cobalt.Policies.Exploration;
using Cobalt.Policies.Mixed;
using Cobalt.Policies.Models;
using Cobalt.Policies.Stages;

namespace Cobalt.Policies.Catalog;

/// <summary>What a policy is built for: the feature dimensions of the world, its own seed, and any known samples to pre-train on.</summary>
public sealed record PolicyBuildContext(int UserFeatureDimension, int ItemFeatureDimension, ulong Seed)
{
    /// <summary>Logged interactions of other users the policy may pre-train on (empty when the world has none).</summary>
    public IReadOnlyList<KnownInteraction> Known { get; init; } = [];

    /// <summary>What the world's recommender had logged before the trial (histories, impressions), when it offers it.</summary>
    public IObservedLog? Observed { get; init; }

    /// <summary>The build context for an environment: its dimensions, and its known samples if it offers them.</summary>
    public static PolicyBuildContext For(EnvironmentInfo info, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new(info.UserFeatureDimension, info.ItemFeatureDimension, seed);
    }

    /// <summary>The build context for <paramref name="environment"/>, with its known samples when it has them.</summary>
    public static PolicyBuildContext For(IEnvironment environment, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return For(environment.Info, seed) with { Known = (environment as IKnownSamples)?.KnownSamples ?? [], Observed = environment is IObservedLog log ? ObservedLog.From(log) : null };
    }
}

/// <summary>A policy to build: its kind, its options, and an optional display name.</summary>
public sealed record PolicySpec(string Kind, PolicyOptions Options, string? Name = null)
{
    /// <summary>The name shown in tables and plots.</summary>
    public string DisplayName => Name ?? Kind;
}

/// <summary>One policy kind of the catalogue.</summary>
/// <param name="Kind">Registry name (kebab-case).</param>
/// <param name="Summary">One line: what it does.</param>
/// <param name="Source">Where it comes from.</param>
/// <param name="OptionsType">Its options record.</param>
/// <param name="Build">Builds the policy from validated options, the build context and the specification JSON to store with it.</param>
public sealed record PolicyDefinition(
    string Kind,
    string Summary,
    string Source,
    Type OptionsType,
    Func<PolicyOptions, PolicyBuildContext, string, IPolicy> Build)
{
    /// <summary>A definition whose policy is a <see cref="ComposedPolicy"/> of a reward model and an exploration strategy (with the options' candidate budget as its stage).</summary>
    public static PolicyDefinition Composed<T>(string kind, string summary, string source, Func<T, PolicyBuildContext, (IRewardModel Model, IExplorationStrategy Strategy)> compose)
        where T : PolicyOptions =>
        new(kind, summary, source, typeof(T), (options, context, specification) =>
        {
            var (model, strategy) = compose((T)options, context);
            return new ComposedPolicy(kind, specification, options.CandidateStage(), model, strategy, context.Seed);
        });
}

/// <summary>Every policy Cobalt can build by name, how to read their specifications, and how to save and load them.</summary>
public static class PolicyCatalog
{
    private static readonly PolicyDefinition[] Definitions =
    [
        Define<RandomOptions>("random", "Uniformly random actions.", "baseline",
            (_, _) => (new UninformedModel(), new Uniform())),
        Define<EpsilonGreedyOptions>("epsilon-greedy", "Greedy on a value model, uniformly random with probability epsilon.", "Sutton and Barto 2018, 2.2",
            (o, c) => (ValueModelFor(o.Model, o.Features, o.Ridge, c), new EpsilonGreedy(o.Epsilon))),
        Define<SoftmaxOptions>("softmax", "Boltzmann exploration on a value model: p proportional to exp(mean / tau).", "Sutton and Barto 2018, 2.8",
            (o, c) => (ValueModelFor(o.Model, o.Features, o.Ridge, c), new Softmax(o.Temperature))),
        Define<Ucb1Options>("ucb1", "Non-contextual UCB1: mean + c sqrt(2 ln t / n_a).", "Auer, Cesa-Bianchi and Fischer 2002",
            (o, _) => (new ArmMeanModel(), new UpperConfidenceBound(o.Exploration))),
        Define<BetaThompsonOptions>("thompson-beta", "Non-contextual Thompson sampling with Beta-Bernoulli posteriors.", "Thompson 1933; Chapelle and Li 2011",
            (o, _) => (new BetaBernoulliModel(o.PriorAlpha, o.PriorBeta), new ThompsonSampling())),
        Define<LinUcbOptions>("linucb-shared", "LinUCB with one theta shared by all actions: theta^T x + alpha ||x||_{A^-1}.", "Li et al. 2010; Abbasi-Yadkori et al. 2011",
            (o, c) => (new LinearModel(o.Features, c.UserFeatureDimension, c.ItemFeatureDimension, o.Ridge, cacheCatalog: o.CacheCatalog, refactorEvery: o.RefactorEvery, widths: o.Widths, precision: o.Precision), new UpperConfidenceBound(o.Alpha))),
        Define<DisjointLinUcbOptions>("linucb-disjoint", "LinUCB with one theta_a per action (Algorithm 1).", "Li et al. 2010",
            (o, c) => (new DisjointLinearModel(o.Features, c.UserFeatureDimension, c.ItemFeatureDimension, o.Ridge, refactorEvery: o.RefactorEvery), new UpperConfidenceBound(o.Alpha))),
        Define<HybridLinUcbOptions>("linucb-hybrid", "LinUCB with shared beta and per-action theta_a (Algorithm 2).", "Li et al. 2010",
            (o, c) => (new HybridLinearModel(o.SharedFeatures, o.ArmFeatures, c.UserFeatureDimension, c.ItemFeatureDimension, o.Ridge, o.RefactorEvery), new UpperConfidenceBound(o.Alpha))),
        Define<LinearThompsonOptions>("thompson-linear", "Linear Thompson sampling: theta~ ~ N(theta, v^2 A^-1), act greedily on theta~.", "Agrawal and Goyal 2013",
            (o, c) => (o.Disjoint
                ? new DisjointLinearModel(o.Features, c.UserFeatureDimension, c.ItemFeatureDimension, o.Ridge, o.Scale, o.RefactorEvery)
                : new LinearModel(o.Features, c.UserFeatureDimension, c.ItemFeatureDimension, o.Ridge, o.Scale, cacheCatalog: false, o.RefactorEvery),
                new ThompsonSampling())),
        Define<GlmUcbOptions>("glm-ucb", "GLM-UCB with logistic link: sigmoid(theta^T x) + rho ||x||_{V^-1}, shared or per user.", "Filippi et al. 2010",
            (o, c) => (o.Fit == GlmFit.AsCoded
                ? new RefitLogisticModel(c.ItemFeatureDimension, c.Observed?.InitialHistories, Seeds.Derive(c.Seed, "glm-ucb/as-coded"), o.LearningRate, o.Epochs, o.Buffer, o.History, o.Ridge, o.RefactorEvery)
                : o.PerUser
                ? new PerUserModel(() => Logistic(o, c))
                : Logistic(o, c),
                new UpperConfidenceBound(o.Beta))),
        Define<AdditiveOptions>("s-n-galm-ucb", "Shared additive GLM-UCB: rho(gamma x^T theta_x + (1 - gamma) theta_z^T z) + beta (gamma ||x||_{A_x^-1} + (1 - gamma) ||z||_{A_z^-1}).", "two-stage neural contextual bandits, 3.3",
            (o, c) => (o.Fit == GlmFit.AsCoded
                ? new RefitAdditiveModel(c.ItemFeatureDimension, c.UserFeatureDimension, Seeds.Derive(c.Seed, "s-n-galm-ucb/as-coded"), o.LearningRate, o.Epochs, o.RefactorEvery)
                : new AdditiveModel(c.ItemFeatureDimension, c.UserFeatureDimension, o.Gamma, o.LearningRate, o.RefactorEvery, catalogPrecision: o.CatalogPrecision), new UpperConfidenceBound(o.Beta))),
        Define<BilinearOptions>("s-n-gblm-ucb", "Shared bilinear GLM-UCB: rho(x^T Theta z) + beta ||vec(x z^T)||_{W^-1}, via a per-user d1 x d1 matrix M_z.", "two-stage neural contextual bandits, 3.3",
            (o, c) => (o.Fit == GlmFit.AsCoded
                ? new RefitBilinearModel(c.ItemFeatureDimension, c.UserFeatureDimension, Seeds.Derive(c.Seed, "s-n-gblm-ucb/as-coded"), o.LearningRate, o.Epochs, o.RefactorEvery)
                : new BilinearModel(c.ItemFeatureDimension, c.UserFeatureDimension, o.LearningRate, o.RefactorEvery, o.CatalogPrecision), new UpperConfidenceBound(o.Beta))),
        Define<LogisticThompsonOptions>("thompson-logistic", "Logistic Thompson sampling with the Laplace posterior N(theta, H^-1).", "Chapelle and Li 2011",
            (o, c) => (new LogisticModel(o.Features, c.UserFeatureDimension, c.ItemFeatureDimension, LogisticSolver.OnlineNewton, o.Ridge, refactorEvery: o.RefactorEvery), new ThompsonSampling())),
        Define<CoFineUcbOptions>("cofineucb", "CoFineUCB: w regularised towards U w~, score w^T x + alpha ||x||_{M^-1} + alpha~ ||lambda U^T M^-1 x||_{M~^-1}.", "Yue, Hong and Guestrin 2012",
            CoFinePolicies.Compose),
        Define<SubspaceUcbOptions>("subspace-ucb", "SubspaceUCB: LinUCB on the projected features U^T x only.", "Yue, Hong and Guestrin 2012, 6.1",
            CoFinePolicies.Compose),
        Define<ReshapeLinUcbOptions>("reshape-linucb", "Reshape: LinUCB on x' = U_D^T x with U_D = LearnU(W, D).", "Yue, Hong and Guestrin 2012, 6.1",
            CoFinePolicies.Compose),
        Define<MeanRegularizedOptions>("mean-regularized-linucb", "Mean-Regularized LinUCB: ridge regression pulled towards a prior mean profile.", "Yue, Hong and Guestrin 2012, 6.1",
            CoFinePolicies.Compose),
        Define<MixedUcbOptions>("mixed-ucb", "Mixed UCB1/LinUCB: context-aware selection, dynamic adjustment every n rounds, or 0.5/0.5 weighted indices.", "Chen 2024",
            (o, c) => (new MixedUcbModel(o, c.UserFeatureDimension, c.ItemFeatureDimension), new UpperConfidenceBound(o.Beta))),
    ];

    private static readonly List<PolicyDefinition> Registered = [];
    private static readonly Lock RegistrationLock = new();

    /// <summary>Every policy kind: this project's, then those registered by higher layers (two-stage recommenders).</summary>
    public static IReadOnlyList<PolicyDefinition> All
    {
        get
        {
            lock (RegistrationLock)
            {
                return [.. Definitions, .. Registered];
            }
        }
    }

    /// <summary>Adds policy kinds built outside this project; registering a kind again is a no-op.</summary>
    /// <exception cref="ArgumentException">Another definition already uses the kind.</exception>
    public static void Register(params PolicyDefinition[] definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        lock (RegistrationLock)
        {
            foreach (var definition in definitions)
            {
                var existing = Definitions.Concat(Registered).FirstOrDefault(d => d.Kind == definition.Kind);
                if (existing is null)
                {
                    Registered.Add(definition);
                }
                else if (existing != definition && existing.OptionsType != definition.OptionsType)
                {
                    throw new ArgumentException($"The policy kind '{definition.Kind}' is already registered.", nameof(definitions));
                }
            }
        }
    }

    /// <summary>The definition of <paramref name="kind"/>.</summary>
    /// <exception cref="OptionsException">No such kind (the message lists the kinds there are).</exception>
    public static PolicyDefinition Get(string kind, string field = "kind") =>
        All.FirstOrDefault(d => d.Kind == kind)
        ?? throw new OptionsException(field, $"unknown policy '{kind}'; allowed: {string.Join(", ", All.Select(d => d.Kind))}.");

    /// <summary>Reads a policy specification <c>{"kind": ..., "name": ..., "options": {...}}</c>; errors name the field under <paramref name="path"/>.</summary>
    public static PolicySpec ParseSpec(JsonElement json, string path)
    {
        var spec = KindSpec.Read(json, path, All.Select(d => d.Kind).ToArray(), "policy", allowName: true);
        var options = (PolicyOptions)OptionsBinder.Bind(Get(spec.Kind).OptionsType, spec.Options, $"{path}.options");
        return new PolicySpec(spec.Kind, options, spec.Name);
    }

    /// <summary>Builds the policy <paramref name="spec"/> describes.</summary>
    public static IPolicy Build(PolicySpec spec, PolicyBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var definition = Get(spec.Kind);
        if (spec.Options.GetType() != definition.OptionsType)
        {
            throw new ArgumentException($"Policy '{spec.Kind}' takes {definition.OptionsType.Name}, not {spec.Options.GetType().Name}.", nameof(spec));
        }
        try
        {
            spec.Options.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under($"{spec.DisplayName}.options");
        }
        return definition.Build(spec.Options, context, Specification(spec, context));
    }

    /// <summary>Saves the policy's kind, specification and learned state to <paramref name="stream"/> (a checksummed state file).</summary>
    public static void Save(IPolicy policy, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(policy);
        StateFile.Write(stream, new StateFile.Header(policy.Kind, policy.Specification), policy.WriteState);
    }

    /// <summary>Saves the policy to <paramref name="path"/> atomically.</summary>
    public static void Save(IPolicy policy, string path) => AtomicFile.Write(path, stream => Save(policy, stream));

    /// <summary>Rebuilds a saved policy from its specification and restores its state.</summary>
    /// <exception cref="InvalidDataException">Not a policy file, damaged, or of a kind this build does not know.</exception>
    public static IPolicy Load(Stream stream)
    {
        var (header, state) = StateFile.Read(stream);
        using (state)
        {
            var (spec, context) = ParseSpecification(header);
            var policy = Build(spec, context);
            policy.ReadState(state);
            return policy;
        }
    }

    /// <summary>Restores saved state into <paramref name="policy"/>, which must be the same kind with the same specification.</summary>
    /// <exception cref="InvalidDataException">The file belongs to another policy (the message names both), or is damaged.</exception>
    public static void LoadInto(IPolicy policy, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var (header, state) = StateFile.Read(stream);
        using (state)
        {
            if (header.Kind != policy.Kind)
            {
                throw new InvalidDataException($"The file holds a '{header.Kind}' policy; this policy is '{policy.Kind}'.");
            }
            if (header.Specification != policy.Specification)
            {
                throw new InvalidDataException($"The file's '{header.Kind}' policy was built with {header.Specification}; this one with {policy.Specification}.");
            }
            policy.ReadState(state);
        }
    }

    /// <summary>The JSON specification stored with a policy: kind, name, options, dimensions and seed.</summary>
    public static string Specification(PolicySpec spec, PolicyBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", spec.Kind);
            if (spec.Name is not null)
            {
                writer.WriteString("name", spec.Name);
            }
            writer.WritePropertyName("options");
            OptionsBinder.Write(writer, spec.Options);
            writer.WriteNumber("user-dimension", context.UserFeatureDimension);
            writer.WriteNumber("item-dimension", context.ItemFeatureDimension);
            writer.WriteNumber("seed", context.Seed);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static (PolicySpec Spec, PolicyBuildContext Context) ParseSpecification(StateFile.Header header)
    {
        try
        {
            using var document = JsonDocument.Parse(header.Specification);
            var root = document.RootElement;
            var definition = Get(header.Kind);
            var options = (PolicyOptions)OptionsBinder.Bind(definition.OptionsType, root.GetProperty("options"), "options");
            var name = root.TryGetProperty("name", out var n) ? n.GetString() : null;
            var context = new PolicyBuildContext(root.GetProperty("user-dimension").GetInt32(), root.GetProperty("item-dimension").GetInt32(), root.GetProperty("seed").GetUInt64());
            return (new PolicySpec(header.Kind, options, name), context);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OptionsException)
        {
            throw new InvalidDataException($"The saved '{header.Kind}' policy's specification cannot be read: {e.Message}", e);
        }
    }

    private static IRewardModel ValueModelFor(ValueModel model, FeatureMap features, double ridge, PolicyBuildContext c) => model switch
    {
        ValueModel.ArmMeans => new ArmMeanModel(),
        ValueModel.Linear => new LinearModel(features, c.UserFeatureDimension, c.ItemFeatureDimension, ridge),
        ValueModel.Logistic => new LogisticModel(features, c.UserFeatureDimension, c.ItemFeatureDimension, LogisticSolver.OnlineNewton, ridge),
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    private static LogisticModel Logistic(GlmUcbOptions o, PolicyBuildContext c) =>
        new(o.Features, c.UserFeatureDimension, c.ItemFeatureDimension, o.Solver, o.Ridge, o.LearningRate, cacheCatalog: !o.PerUser, o.RefactorEvery);

    private static PolicyDefinition Define<T>(string kind, string summary, string source, Func<T, PolicyBuildContext, (IRewardModel, IExplorationStrategy)> compose)
        where T : PolicyOptions => PolicyDefinition.Composed(kind, summary, source, compose);
}
