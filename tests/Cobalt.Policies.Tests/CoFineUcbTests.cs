using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Data;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.CoFine;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Policies.Tests;

/// <summary>CoFineUCB (Yue, Hong and Guestrin 2012), LearnU, the baselines that share its model, and coverage slates.</summary>
public class CoFineUcbTests
{
    // ---- CoFineUCB with U = 0 is LinUCB ----

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.4)]
    public void With_no_subspace_CoFineUCB_makes_exactly_LinUCBs_decisions(double alpha)
    {
        var world = TestWorlds.Linear(dimension: 6, arms: 12);
        var cofine = TestWorlds.Build("cofineucb", world.Create(3), seed: 5, new CoFineUcbOptions { Alpha = alpha, AlphaSubspace = 2.0 });
        var linucb = TestWorlds.Build("linucb-shared", world.Create(3), seed: 5, new LinUcbOptions { Alpha = alpha, CacheCatalog = false });

        var a = TestWorlds.Play(cofine, world.Create(3), 400).Decisions;
        var b = TestWorlds.Play(linucb, world.Create(3), 400).Decisions;

        a.Select(d => d.Top.ActionId).Should().Equal(b.Select(d => d.Top.ActionId));
        var model = (CoFineModel)((ComposedPolicy)cofine).Model;
        var theta = ((Models.LinearModel)((ComposedPolicy)linucb).Model).Regression.Theta.ToArray();
        model.Weights.ToArray().Should().Equal(theta);
    }

    [Fact]
    public void Mean_regularized_and_reshape_and_subspace_ucb_with_defaults_are_linucb()
    {
        var world = TestWorlds.Linear(dimension: 4, arms: 9);
        var reference = TestWorlds.Play(TestWorlds.Build("linucb-shared", world.Create(8), 2, new LinUcbOptions { CacheCatalog = false }), world.Create(8), 150).Decisions.Select(d => d.Top.ActionId).ToArray();
        foreach (var kind in new[] { "mean-regularized-linucb", "reshape-linucb", "subspace-ucb" })
        {
            var decisions = TestWorlds.Play(TestWorlds.Build(kind, world.Create(8), 2), world.Create(8), 150).Decisions.Select(d => d.Top.ActionId);
            decisions.Should().Equal(reference, kind);
        }
    }

    // ---- The regulariser: w = M^-1 (sum x y + lambda U w~) ----

    [Fact]
    public void Weights_solve_the_regularised_least_squares_problem_directly()
    {
        const int d = 6, k = 2, n = 40;
        const double lambda = 0.7, lambdaSubspace = 1.3;
        var rng = new Rng(11);
        var u = Gaussian(rng, d * k);
        var model = new CoFineModel(FeatureHierarchy.Create(d, subspace: u), new CoFineSettings(lambda, lambdaSubspace, 1, 1, RefactorEvery: 7), FeatureMap.Item, 0, d);
        var x = Gaussian(rng, n * d);
        var y = Gaussian(rng, n);
        for (var i = 0; i < n; i++)
        {
            model.Add(x.AsSpan(i * d, d), y[i]);
        }

        // w~: ridge regression of y on x~ = U^T x with lambda~.
        var projected = new double[n * k];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < k; j++)
            {
                for (var a = 0; a < d; a++)
                {
                    projected[i * k + j] += u[a * k + j] * x[i * d + a];
                }
            }
        }
        var coarse = RidgeRegression.Solve(projected, y, k, lambdaSubspace);
        model.SubspaceWeights.ToArray().Should().BeEquivalentTo(coarse, o => o.WithStrictOrdering().Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-9)).WhenTypeIs<double>());

        // w = argmin ||X w - y||^2 + lambda ||w - U w~||^2 as ordinary least squares on rows [X; sqrt(lambda) I].
        var anchor = new double[d];
        for (var a = 0; a < d; a++)
        {
            for (var j = 0; j < k; j++)
            {
                anchor[a] += u[a * k + j] * coarse[j];
            }
        }
        var rows = new double[(n + d) * d];
        var targets = new double[n + d];
        x.CopyTo(rows, 0);
        y.CopyTo(targets, 0);
        for (var a = 0; a < d; a++)
        {
            rows[(n + a) * d + a] = Math.Sqrt(lambda);
            targets[n + a] = Math.Sqrt(lambda) * anchor[a];
        }
        var direct = RidgeRegression.Solve(rows, targets, d, 1e-13);
        for (var a = 0; a < d; a++)
        {
            model.Weights[a].Should().BeApproximately(direct[a], 1e-8);
        }
    }

    [Fact]
    public void Mean_regularized_weights_are_pulled_towards_the_prior_mean()
    {
        const int d = 4, n = 15;
        const double lambda = 2.0;
        var rng = new Rng(4);
        var prior = Gaussian(rng, d);
        var model = new CoFineModel(FeatureHierarchy.Create(d, priorMean: prior), new CoFineSettings(lambda), FeatureMap.Item, 0, d);
        model.Weights.ToArray().Should().BeEquivalentTo(prior, o => o.Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-12)).WhenTypeIs<double>(), "with no data w = w_bar");
        var x = Gaussian(rng, n * d);
        var y = Gaussian(rng, n);
        for (var i = 0; i < n; i++)
        {
            model.Add(x.AsSpan(i * d, d), y[i]);
        }
        // w - w_bar is ridge regression of y - X w_bar.
        var shifted = y.Select((v, i) => v - Dot(x.AsSpan(i * d, d), prior)).ToArray();
        var delta = RidgeRegression.Solve(x, shifted, d, lambda);
        for (var a = 0; a < d; a++)
        {
            model.Weights[a].Should().BeApproximately(prior[a] + delta[a], 1e-9);
        }
    }

    [Fact]
    public void Widths_follow_the_full_space_and_subspace_confidence_terms()
    {
        const int d = 5, k = 2, n = 12;
        const double lambda = 0.8, lambdaSubspace = 1.5, alpha = 0.9, alphaSubspace = 1.7;
        var rng = new Rng(21);
        var u = Gaussian(rng, d * k);
        var model = new CoFineModel(FeatureHierarchy.Create(d, subspace: u), new CoFineSettings(lambda, lambdaSubspace, alpha, alphaSubspace), FeatureMap.Item, 0, d);
        var m = Identity(d, lambda);
        var mt = Identity(k, lambdaSubspace);
        for (var i = 0; i < n; i++)
        {
            var x = Gaussian(rng, d);
            model.Add(x, rng.NextGaussian());
            AddOuter(m, x);
            AddOuter(mt, Project(u, x, d, k));
        }
        var probe = Gaussian(rng, d);
        var mInverse = Invert(m, d);
        var v = Multiply(mInverse, probe, d);
        var p = Project(u, v, d, k);
        var expected = alpha * Math.Sqrt(Dot(probe, v)) + alphaSubspace * lambda * Math.Sqrt(Dot(p, Multiply(Invert(mt, k), p, k)));

        var (mean, width) = model.Score(probe);

        width.Should().BeApproximately(expected, 1e-9);
        mean.Should().BeApproximately(Dot(model.Weights, probe), 1e-12);
    }

    [Fact]
    public void Reshaped_model_sees_R_transpose_x()
    {
        const int d = 3, e = 2;
        var r = new double[] { 1, 0, 2, 1, 0, -1 }; // D x D' row-major
        var hierarchy = FeatureHierarchy.Create(d, transform: r);
        var reshaped = new double[e];

        hierarchy.Reshape([1.0, 2.0, 3.0], reshaped);

        hierarchy.Dimension.Should().Be(e);
        reshaped.Should().Equal(1 + 4 + 0, 0 + 2 - 3);
    }

    [Fact]
    public void Matrices_that_do_not_fit_the_features_are_refused_with_the_option_named()
    {
        var environment = TestWorlds.Linear(dimension: 4).Create(1);
        var act = () => TestWorlds.Build("cofineucb", environment, options: new CoFineUcbOptions { Subspace = [1, 2, 3, 4, 5, 6, 7] });
        act.Should().Throw<OptionsException>().Where(e => e.Field == "subspace").WithMessage("*7 numbers*4*");

        var reshape = () => TestWorlds.Build("reshape-linucb", environment, options: new ReshapeLinUcbOptions { Reshape = [1, 2, 3] });
        reshape.Should().Throw<OptionsException>().Where(e => e.Field == "reshape");

        var mean = () => TestWorlds.Build("mean-regularized-linucb", environment, options: new MeanRegularizedOptions { PriorMean = [1, 2] });
        mean.Should().Throw<OptionsException>().Where(e => e.Field == "prior-mean");

        var negative = () => new CoFineUcbOptions { FullSpaceScale = -1 }.Validate();
        negative.Should().Throw<OptionsException>().Where(e => e.Field == "full-space-scale");
    }

    [Theory]
    [InlineData("cofineucb")]
    [InlineData("subspace-ucb")]
    [InlineData("reshape-linucb")]
    [InlineData("mean-regularized-linucb")]
    public void Features_of_the_wrong_dimension_are_a_clear_error(string kind)
    {
        var policy = TestWorlds.Build(kind, TestWorlds.Linear(dimension: 5).Create(1));
        var act = () => policy.Select(TestWorlds.RandomContext(4, 3, 0, seed: 2));
        act.Should().Throw<ArgumentException>().WithMessage("*3*5*");
    }

    [Fact]
    public void A_subspace_given_as_json_binds_and_survives_save_and_load()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"kind": "cofineucb", "name": "c", "options": {"subspace": [1, 0, 0, 1, 0, 0, 0, 0], "full-space-scale": 0.25}}""");
        var spec = PolicyCatalog.ParseSpec(document.RootElement, "policies[0]");
        var environment = TestWorlds.Linear(dimension: 4).Create(2);
        var policy = PolicyCatalog.Build(spec, PolicyBuildContext.For(environment.Info, 3));
        TestWorlds.Play(policy, environment, 30);

        using var saved = new MemoryStream();
        PolicyCatalog.Save(policy, saved);
        saved.Position = 0;
        var restored = PolicyCatalog.Load(saved);

        var model = (CoFineModel)((ComposedPolicy)restored).Model;
        model.Hierarchy.Rank.Should().Be(2);
        model.Settings.Alpha.Should().Be(0.25);
        model.Weights.ToArray().Should().Equal(((CoFineModel)((ComposedPolicy)policy).Model).Weights.ToArray());
    }

    [Fact]
    public void On_the_synthetic_world_with_no_residual_CoFineUCB_beats_naive_LinUCB()
    {
        var world = new SubspaceWorld(new SubspaceWorldOptions { Dimension = 12, SubspaceRank = 3, Residual = 0.0, Candidates = 20 });
        double Regret(string kind, PolicyOptions options) =>
            Enumerable.Range(0, 3).Sum(trial => TestWorlds.Play(TestWorlds.Build(kind, world.Create((ulong)trial), 4, options), world.Create((ulong)trial), 600).Regret);

        var naive = Regret("linucb-shared", new LinUcbOptions());
        var cofine = Regret("cofineucb", new CoFineUcbOptions { Subspace = world.Basis() });

        cofine.Should().BeLessThan(0.8 * naive);
    }

    // ---- LearnU ----

    [Fact]
    public void LearnU_scales_S_to_trace_K_and_U_transpose_U_is_S()
    {
        const int d = 7, n = 30, k = 3;
        var profiles = Gaussian(new Rng(2), n * d);
        var learned = LearnU.Learn(profiles, n, d, k);

        Enumerable.Range(0, k).Sum(i => learned.Shape[i * k + i]).Should().BeApproximately(k, 1e-10);
        var gram = new double[k * k];
        for (var a = 0; a < k; a++)
        {
            for (var b = 0; b < k; b++)
            {
                for (var i = 0; i < d; i++)
                {
                    gram[a * k + b] += learned.Projection[i * k + a] * learned.Projection[i * k + b];
                }
            }
        }
        for (var i = 0; i < k * k; i++)
        {
            gram[i].Should().BeApproximately(learned.Shape[i], 1e-10, "U^T U = S^{1/2} U_0^T U_0 S^{1/2} = S");
        }
        learned.Projection.Sum(v => v * v).Should().BeApproximately(k, 1e-10, "||U||_F^2 = trace(S) = K");
    }

    [Fact]
    public void LearnU_columns_span_the_top_K_singular_space_with_S_proportional_to_the_singular_values()
    {
        // W = Q diag(sigma) V^T with a known orthonormal Q: the top-3 left singular space is span(Q[:, 0..2]).
        const int d = 6, n = 40, k = 3;
        var rng = new Rng(9);
        var q = Orthonormal(rng, d);
        double[] sigma = [9.0, 5.0, 3.0, 0.7, 0.3, 0.1];
        var profiles = new double[n * d]; // row n is column n of W: w_n = sum_j Q[:, j] sigma_j v_{n j}
        var vo = Orthonormal(rng, n); // V: n x n orthonormal; use its first d columns
        for (var row = 0; row < n; row++)
        {
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    profiles[row * d + i] += q[i * d + j] * sigma[j] * vo[row * n + j];
                }
            }
        }

        var learned = LearnU.Learn(profiles, n, d, k);

        learned.SingularValues.Should().BeEquivalentTo(sigma.Take(k), o => o.WithStrictOrdering().Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-8)).WhenTypeIs<double>());
        for (var c = 0; c < k; c++)
        {
            // Projecting column c of U onto span(Q[:, 0..k-1]) leaves it unchanged.
            var column = Enumerable.Range(0, d).Select(i => learned.Projection[i * k + c]).ToArray();
            var inside = new double[d];
            for (var j = 0; j < k; j++)
            {
                var coefficient = Enumerable.Range(0, d).Sum(i => q[i * d + j] * column[i]);
                for (var i = 0; i < d; i++)
                {
                    inside[i] += coefficient * q[i * d + j];
                }
            }
            for (var i = 0; i < d; i++)
            {
                inside[i].Should().BeApproximately(column[i], 1e-9);
            }
            column.Sum(x => x * x).Should().BeApproximately(k * sigma[c] / sigma.Take(k).Sum(), 1e-8, "column c has squared norm s_c = K sigma_c / sum sigma");
        }
    }

    [Fact]
    public void Reshaping_coordinates_invert_U_D()
    {
        const int d = 5, n = 20;
        var profiles = Gaussian(new Rng(31), n * d);
        var full = LearnU.Learn(profiles, n, d, d);
        var w = profiles.AsSpan(3 * d, d).ToArray();

        var coordinates = full.Coordinates(w);

        for (var i = 0; i < d; i++)
        {
            Enumerable.Range(0, d).Sum(j => full.Projection[i * d + j] * coordinates[j]).Should().BeApproximately(w[i], 1e-9, "U_D w' = w");
        }
    }

    [Fact]
    public void LearnU_refuses_all_zero_profiles_and_bad_ranks()
    {
        var zero = () => LearnU.Learn(new double[12], 3, 4, 2);
        zero.Should().Throw<ArgumentException>().WithMessage("*zero*");
        var rank = () => LearnU.Learn(new double[12], 3, 4, 5);
        rank.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*rank*");
    }

    [Fact]
    public void Symmetric_eigendecomposition_reconstructs_the_matrix_with_orthonormal_vectors()
    {
        const int n = 6;
        var b = Gaussian(new Rng(8), n * n);
        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var k = 0; k < n; k++)
                {
                    a[i * n + j] += b[i * n + k] * b[j * n + k];
                }
            }
        }
        var values = new double[n];
        var vectors = new double[n * n];

        SymmetricEigen.Decompose(a, n, values, vectors);

        values.Should().BeInDescendingOrder();
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                Enumerable.Range(0, n).Sum(k => vectors[i * n + k] * values[k] * vectors[j * n + k]).Should().BeApproximately(a[i * n + j], 1e-9);
                Enumerable.Range(0, n).Sum(k => vectors[k * n + i] * vectors[k * n + j]).Should().BeApproximately(i == j ? 1 : 0, 1e-12);
            }
        }
    }

    // ---- Coverage features and slates ----

    [Fact]
    public void Marginal_gains_are_coverage_differences_and_shrink_as_the_set_grows()
    {
        var rng = new Rng(5);
        var items = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 6).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        static double[] Cover(IEnumerable<double[]> set)
        {
            var f = new double[6];
            for (var d = 0; d < 6; d++)
            {
                f[d] = 1 - set.Aggregate(1.0, (p, item) => p * (1 - item[d]));
            }
            return f;
        }

        var coverage = new double[6];
        var gain = new double[6];
        var sum = new double[6];
        for (var l = 0; l < items.Length; l++)
        {
            CoverageFeatures.MarginalGain(coverage, items[l], gain);
            var before = Cover(items.Take(l));
            var after = Cover(items.Take(l + 1));
            for (var d = 0; d < 6; d++)
            {
                gain[d].Should().BeApproximately(after[d] - before[d], 1e-12, "Delta(a | A) = F(A + a) - F(A)");
                sum[d] += gain[d];
            }
            CoverageFeatures.Include(coverage, items[l]);
        }
        var total = Cover(items);
        for (var d = 0; d < 6; d++)
        {
            sum[d].Should().BeApproximately(total[d], 1e-12, "the gains of a slate add up to its coverage");
        }

        // Submodularity: the gain of the last item given a subset is at least its gain given a superset.
        var small = new double[6];
        CoverageFeatures.Include(small, items[0]);
        var large = (double[])small.Clone();
        CoverageFeatures.Include(large, items[1]);
        var gainSmall = new double[6];
        var gainLarge = new double[6];
        CoverageFeatures.MarginalGain(small, items[3], gainSmall);
        CoverageFeatures.MarginalGain(large, items[3], gainLarge);
        for (var d = 0; d < 6; d++)
        {
            gainSmall[d].Should().BeGreaterThanOrEqualTo(gainLarge[d]);
            gainLarge[d].Should().BeGreaterThanOrEqualTo(0);
        }
    }

    [Fact]
    public void Coverage_slates_are_greedy_on_gains_and_learn_from_each_slots_gain()
    {
        var (policy, context) = CoveragePolicy(seed: 1);
        var decision = policy.Select(context, slateSize: 3);

        decision.Slots.Should().HaveCount(3);
        decision.Slots.Select(s => s.CandidateIndex).Should().OnlyHaveUniqueItems();
        // Each slot holds the remaining candidate whose gain Delta(a | slots above) scores highest (no ties with these features).
        var greedyCoverage = new double[context.Candidates.Dimension];
        var greedyGain = new double[context.Candidates.Dimension];
        var taken = new List<int>();
        for (var slot = 0; slot < 3; slot++)
        {
            var scores = Enumerable.Range(0, context.Candidates.Count).Select(i =>
            {
                if (taken.Contains(i))
                {
                    return double.NegativeInfinity;
                }
                CoverageFeatures.MarginalGain(greedyCoverage, context.Candidates.Features(i), greedyGain);
                var (m, w) = policy.Model.Score(greedyGain);
                return m + w;
            }).ToArray();
            var best = Array.IndexOf(scores, scores.Max());
            decision.Slots[slot].CandidateIndex.Should().Be(best);
            taken.Add(best);
            CoverageFeatures.Include(greedyCoverage, context.Candidates.Features(best));
        }

        policy.Update(decision.ToFeedback([1.0, 0.0, 1.0]));

        // M = lambda I + sum_l Delta_l Delta_l^T, with the gains rebuilt from the slate order.
        var d = context.Candidates.Dimension;
        var expected = Identity(d, 1.0);
        var coverage = new double[d];
        var gain = new double[d];
        foreach (var slot in decision.Slots)
        {
            CoverageFeatures.MarginalGain(coverage, context.Candidates.Features(slot.CandidateIndex), gain);
            AddOuter(expected, gain);
            CoverageFeatures.Include(coverage, context.Candidates.Features(slot.CandidateIndex));
        }
        var actual = policy.Model.FullSpace.Matrix.ToArray();
        for (var i = 0; i < expected.Length; i++)
        {
            actual[i].Should().BeApproximately(expected[i], 1e-12);
        }
    }

    [Fact]
    public void A_one_item_coverage_slate_is_the_catalogue_policys_choice()
    {
        var world = new SubspaceWorld(new SubspaceWorldOptions { Dimension = 6, SubspaceRank = 2, Candidates = 15 });
        var spec = new PolicySpec("cofineucb", new CoFineUcbOptions { Subspace = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0] });
        var context = PolicyBuildContext.For(world.Info, 4);
        var composed = PolicyCatalog.Build(spec, context);
        var coverage = CoverageSlatePolicy.Create(spec, context);
        var a = world.Create(6);
        var rewards = new double[1];
        for (var t = 0; t < 200; t++)
        {
            // Features are unit vectors, not probabilities; feed both with the absolute values so coverage accepts them.
            var round = a.Next();
            var features = Enumerable.Range(0, round.Context.Candidates.Count).SelectMany(i => round.Context.Candidates.Features(i).ToArray().Select(Math.Abs)).ToArray();
            var positive = new DecisionContext(t, CandidateSet.FromFeatures(round.Context.Candidates.Ids.ToArray(), new FeatureMatrix(round.Context.Candidates.Count, 6, features)));
            var first = composed.Select(positive);
            var second = coverage.Select(positive);
            second.Top.CandidateIndex.Should().Be(first.Top.CandidateIndex);
            rewards[0] = round.ExpectedRewards[first.Top.CandidateIndex];
            composed.Update(first.ToFeedback(rewards));
            coverage.Update(second.ToFeedback(rewards));
        }
    }

    [Fact]
    public void Coverage_slates_are_deterministic_and_survive_save_and_load()
    {
        var (first, context) = CoveragePolicy(seed: 3);
        var (second, _) = CoveragePolicy(seed: 3);
        for (var t = 0; t < 20; t++)
        {
            var a = first.Select(context, 4);
            var b = second.Select(context, 4);
            b.Slots.Should().Equal(a.Slots);
            first.Update(a.ToFeedback([t % 2, 1, 0, t % 3 == 0 ? 1 : 0]));
            second.Update(b.ToFeedback([t % 2, 1, 0, t % 3 == 0 ? 1 : 0]));
        }
        using var buffer = new MemoryStream();
        using (var writer = new StateWriter(buffer))
        {
            first.WriteState(writer);
        }
        var (restored, _) = CoveragePolicy(seed: 99);
        buffer.Position = 0;
        using (var reader = new StateReader(buffer))
        {
            restored.ReadState(reader);
        }
        for (var t = 0; t < 10; t++)
        {
            var a = first.Select(context, 4);
            restored.Select(context, 4).Slots.Should().Equal(a.Slots);
            first.Update(a.ToFeedback([1, 0, 0, 1]));
            restored.Update(a.ToFeedback([1, 0, 0, 1]));
        }
    }

    [Fact]
    public void Coverage_slates_refuse_bad_probabilities_and_partial_feedback()
    {
        var (policy, context) = CoveragePolicy(seed: 2);
        var bad = new DecisionContext(0, CandidateSet.FromFeatures([0, 1], new FeatureMatrix(2, context.Candidates.Dimension, Enumerable.Repeat(1.5, 2 * context.Candidates.Dimension).ToArray())));
        var select = () => policy.Select(bad);
        select.Should().Throw<ArgumentException>().WithMessage("*[0, 1]*");

        var decision = policy.Select(context, 3);
        var partial = decision.ToFeedback([1, 0, 1]).Skip(1).ToArray();
        var update = () => policy.Update(partial);
        update.Should().Throw<ArgumentException>().WithMessage("*slot 0 is missing*");

        var one = CoverageSlatePolicy.Create(new PolicySpec("cofineucb", new CoFineUcbOptions()), new PolicyBuildContext(0, 5, 1)).Select(
            new DecisionContext(0, CandidateSet.FromFeatures([7], new FeatureMatrix(1, 5, [0.1, 0.2, 0.3, 0.4, 0.5]))), slateSize: 3);
        one.Slots.Should().ContainSingle().Which.Propensity.Should().Be(1.0);
        var empty = () => policy.Select(new DecisionContext(0, CandidateSet.FromFeatures([], new FeatureMatrix(0, context.Candidates.Dimension, []))));
        empty.Should().Throw<ArgumentException>().WithMessage("*no candidates*");
    }

    private static (CoverageSlatePolicy Policy, DecisionContext Context) CoveragePolicy(ulong seed)
    {
        const int d = 5, n = 12;
        var rng = new Rng(77);
        var features = Enumerable.Range(0, n * d).Select(_ => rng.NextDouble() * 0.6).ToArray();
        var context = new DecisionContext(0, CandidateSet.FromFeatures(Enumerable.Range(10, n).ToArray(), new FeatureMatrix(n, d, features)));
        var spec = new PolicySpec("cofineucb", new CoFineUcbOptions { Subspace = Gaussian(new Rng(1), d * 2) });
        return (CoverageSlatePolicy.Create(spec, new PolicyBuildContext(0, d, seed)), context);
    }

    // ---- Small dense helpers (independent of the library's linear algebra) ----

    private static double[] Gaussian(Rng rng, int count)
    {
        var values = new double[count];
        rng.FillGaussian(values);
        return values;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static double[] Identity(int n, double scale)
    {
        var m = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            m[i * n + i] = scale;
        }
        return m;
    }

    private static void AddOuter(double[] m, double[] x)
    {
        var n = x.Length;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                m[i * n + j] += x[i] * x[j];
            }
        }
    }

    private static double[] Project(double[] u, double[] x, int d, int k)
    {
        var p = new double[k];
        for (var j = 0; j < k; j++)
        {
            for (var i = 0; i < d; i++)
            {
                p[j] += u[i * k + j] * x[i];
            }
        }
        return p;
    }

    private static double[] Multiply(double[] m, double[] x, int n)
    {
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                result[i] += m[i * n + j] * x[j];
            }
        }
        return result;
    }

    /// <summary>Gauss-Jordan inverse with partial pivoting.</summary>
    private static double[] Invert(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var inverse = Identity(n, 1.0);
        for (var c = 0; c < n; c++)
        {
            var pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r * n + c]));
            for (var j = 0; j < n; j++)
            {
                (a[c * n + j], a[pivot * n + j]) = (a[pivot * n + j], a[c * n + j]);
                (inverse[c * n + j], inverse[pivot * n + j]) = (inverse[pivot * n + j], inverse[c * n + j]);
            }
            var scale = a[c * n + c];
            for (var j = 0; j < n; j++)
            {
                a[c * n + j] /= scale;
                inverse[c * n + j] /= scale;
            }
            for (var r = 0; r < n; r++)
            {
                if (r == c)
                {
                    continue;
                }
                var f = a[r * n + c];
                for (var j = 0; j < n; j++)
                {
                    a[r * n + j] -= f * a[c * n + j];
                    inverse[r * n + j] -= f * inverse[c * n + j];
                }
            }
        }
        return inverse;
    }

    /// <summary>An n x n orthonormal matrix (Gram-Schmidt on Gaussian columns), row-major.</summary>
    private static double[] Orthonormal(Rng rng, int n)
    {
        var q = Gaussian(rng, n * n);
        for (var c = 0; c < n; c++)
        {
            for (var p = 0; p < c; p++)
            {
                var dot = Enumerable.Range(0, n).Sum(i => q[i * n + c] * q[i * n + p]);
                for (var i = 0; i < n; i++)
                {
                    q[i * n + c] -= dot * q[i * n + p];
                }
            }
            var norm = Math.Sqrt(Enumerable.Range(0, n).Sum(i => q[i * n + c] * q[i * n + c]));
            for (var i = 0; i < n; i++)
            {
                q[i * n + c] /= norm;
            }
        }
        return q;
    }
}
