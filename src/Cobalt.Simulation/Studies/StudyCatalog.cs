namespace Cobalt.Simulation.Studies;

/// <summary>One study: a set of experiments that belong together (a sweep, leave-one-out priors, several figures).</summary>
/// <param name="Name">Registry name.</param>
/// <param name="Summary">What it reproduces.</param>
/// <param name="Run">Runs it and writes its report into the folder.</param>
public sealed record StudyDefinition(string Name, string Summary, Func<StudySettings, string, StudyReport> Run);

/// <summary>Every study Cobalt can run by name (<c>cobalt study NAME</c>).</summary>
public static class StudyCatalog
{
    private static readonly StudyDefinition[] Definitions =
    [
        new(ResidualSweepStudy.Name, "CoFineUCB's synthetic residual sweep: D = 25, K = 5, rho from 0 to 1, Naive LinUCB, Reshape, SubspaceUCB, CoFineUCB(-focus) (Yue, Hong and Guestrin 2012, fig. 3f).",
            (s, f) => ResidualSweepStudy.Run(s, f)),
        new(UserProfileStudy.Name, "CoFineUCB on MovieLens user profiles, leave-one-out U: six methods for L = 1 and L = 5 (coverage slates), largest-residual users, effect of K and of scaling full-space exploration (fig. 3a-e).",
            (s, f) => UserProfileStudy.Run(s, f)),
        new(MixedMovieLensStudy.Name, "Mixed UCB/LinUCB on MovieLens genres: UCB1 and LinUCB for four beta, and context-aware, dynamic and weighted mixing (Chen 2024, fig. 1-3).",
            (s, f) => MixedMovieLensStudy.Run(s, f)),
        new(NominatorGridStudy.Name, "Nominators + ranker on the synthetic linear world: regret at T = 1,000 against d/s for U+U, U+G, G+U, G+G and single-stage U, G; N = 5 for d = 10, 20, 40 and N = 2..20 for d = 40; regret shares R^N/R^R; training on all vs own (Hron et al. 2021, fig. 3).",
            (s, f) => NominatorGridStudy.Run(s, f)),
        new(NominatorMovieLensStudy.Name, "Nominators + ranker on MovieLens genres as a multi-label bandit: regret / random agent's at T = 5,000 against d/s for N = 2, 4, 8, and the nominator/ranker regret shares as N grows (Hron et al. 2021, fig. 4).",
            (s, f) => NominatorMovieLensStudy.Run(s, f)),
        new(ExpertPoolsStudy.Name, "Mixture-of-Experts pool allocation against random pools on MovieLens genres: precision@5 and recall@5 on held-out movies for several s, d_e, c and N; distilled hard pools played as nominator pools in the genre bandit (Hron et al. 2021, section 4, fig. 5).",
            (s, f) => ExpertPoolsStudy.Run(s, f)),
    ];

    /// <summary>Every study.</summary>
    public static IReadOnlyList<StudyDefinition> All => Definitions;

    /// <summary>The study <paramref name="name"/>.</summary>
    /// <exception cref="Core.Configuration.OptionsException">No such study (the message lists them).</exception>
    public static StudyDefinition Get(string name) =>
        Definitions.FirstOrDefault(d => d.Name == name)
        ?? throw new Core.Configuration.OptionsException("study", $"unknown study '{name}'; allowed: {string.Join(", ", Definitions.Select(d => d.Name))}.");
}
