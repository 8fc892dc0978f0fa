using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;

namespace Cobalt.Simulation.Worlds;

/// <summary>One world kind: its name, what it is, its options record and how to build it.</summary>
public sealed record WorldDefinition(string Kind, string Summary, Type OptionsType, Func<IValidatable, IWorld> Build);

/// <summary>A world to build: kind and options.</summary>
public sealed record WorldSpec(string Kind, IValidatable Options)
{
    /// <summary>Builds the world.</summary>
    public IWorld Build() => WorldCatalog.Get(Kind).Build(Options);
}

/// <summary>Every simulated world Cobalt can build by name.</summary>
public static class WorldCatalog
{
    private static readonly WorldDefinition[] Definitions =
    [
        new("linear", "Linear bandit: theta* on the unit sphere, fresh N(0, I) arm features each round, Gaussian noise (Hron et al. 2021, 3.1).",
            typeof(LinearWorldOptions), o => new LinearWorld((LinearWorldOptions)o)),
        new("catalogue", "Bernoulli-logistic catalogue with power-law topic sizes, latent users and items, click = sigmoid(u.v + b).",
            typeof(CatalogueWorldOptions), o => new CatalogueWorld((CatalogueWorldOptions)o)),
        new("nrms-ips", "The two-stage paper's world as its authors ran it: their NRMS user-choice simulator trained with empirical inverse propensities on MovieLens decides clicks; history empty (as they ran it) or user.",
            typeof(UserChoice.NrmsIpsWorldOptions), o => new UserChoice.NrmsIpsWorld((UserChoice.NrmsIpsWorldOptions)o)),
        new("user-choice", "Real users' tastes: Cobalt's IPS-weighted logistic user-choice simulator trained on MovieLens decides clicks; policies see GloVe title vectors and history profiles.",
            typeof(UserChoice.UserChoiceWorldOptions), o => new UserChoice.UserChoiceWorld((UserChoice.UserChoiceWorldOptions)o)),
        new("subspace", "CoFineUCB's synthetic world: unit-norm actions and w* = sqrt(1 - rho^2) (subspace part) + rho (residual part) (Yue, Hong and Guestrin 2012, 6.3).",
            typeof(SubspaceWorldOptions), o => new SubspaceWorld((SubspaceWorldOptions)o)),
        new("user-profile", "One held-out MovieLens user per trial: ridge profile over genre topic probabilities, clicks under probabilistic coverage (CoFineUCB's user-profile simulation).",
            typeof(UserProfileWorldOptions), o => new UserProfileWorld((UserProfileWorldOptions)o)),
        new("genre-rating", "MovieLens genres as arms: a pull returns the user's rating of a movie of that genre; history-based user context, new users without (Chen 2024).",
            typeof(GenreRatingWorldOptions), o => new GenreRatingWorld((GenreRatingWorldOptions)o)),
        new("movielens-genres", "MovieLens as a multi-label bandit: a movie per round (its rating-factorisation features as context), the genres as arms, reward 1 for a genre the movie has (Hron et al. 2021's AmazonCat conversion).",
            typeof(MovieLensGenreWorldOptions), o => new MovieLensGenreWorld((MovieLensGenreWorldOptions)o)),
    ];

    /// <summary>Every world kind.</summary>
    public static IReadOnlyList<WorldDefinition> All => Definitions;

    /// <summary>The definition of <paramref name="kind"/>.</summary>
    public static WorldDefinition Get(string kind, string field = "world.kind") =>
        Definitions.FirstOrDefault(d => d.Kind == kind)
        ?? throw new OptionsException(field, $"unknown world '{kind}'; allowed: {string.Join(", ", Definitions.Select(d => d.Kind))}.");

    /// <summary>Reads <c>{"kind": ..., "options": {...}}</c>.</summary>
    public static WorldSpec ParseSpec(JsonElement json, string path)
    {
        var spec = KindSpec.Read(json, path, Definitions.Select(d => d.Kind).ToArray(), "world", allowName: false);
        return new WorldSpec(spec.Kind, OptionsBinder.Bind(Get(spec.Kind).OptionsType, spec.Options, $"{path}.options"));
    }
}
