using Cobalt.Core.Configuration;
using Cobalt.Core.Data;
using Cobalt.Core.Randomness;
using Cobalt.Policies.Catalog;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>The as-coded (CB4Rec @67f4029) GLM fits: gradients, Adam, buffers, resets, seeding, W^-1, options.</summary>
public class AsCodedGlmTests
{
    // ---------- gradients and Adam ----------

    [Fact]
    public void Logistic_gradient_matches_finite_differences()
    {
        var rng = new Rng(1);
        const int n = 7, d = 4;
        var x = Gaussian(rng, n * d);
        var y = Labels(rng, n);
        var p = Gaussian(rng, d + 1);
        var gradient = new double[d + 1];
        var scratch = new double[n];

        GlmGradients.Logistic(p, x, y, gradient, scratch);

        CheckAgainstFiniteDifferences(p, gradient, q => GlmGradients.Logistic(q, x, y, new double[d + 1], new double[n]));
    }

    [Fact]
    public void Additive_gradient_matches_finite_differences()
    {
        var rng = new Rng(2);
        const int n = 6, d1 = 3, d2 = 4;
        var x = Gaussian(rng, n * d1);
        var z = Gaussian(rng, n * d2);
        var y = Labels(rng, n);
        var p = Gaussian(rng, d1 + d2 + 2);
        var gradient = new double[p.Length];

        GlmGradients.Additive(p, d1, x, z, y, gradient, new double[n]);

        CheckAgainstFiniteDifferences(p, gradient, q => GlmGradients.Additive(q, d1, x, z, y, new double[q.Length], new double[n]));
        gradient[d1].Should().Be(gradient[d1 + 1 + d2], "b_x and b_z enter the logit the same way");
    }

    [Fact]
    public void Bilinear_gradient_matches_finite_differences()
    {
        var rng = new Rng(3);
        const int n = 5, d1 = 3, d2 = 2;
        var x = Gaussian(rng, n * d1);
        var z = Gaussian(rng, n * d2);
        var y = Labels(rng, n);
        var p = Gaussian(rng, d1 * d2 + 1);
        var gradient = new double[p.Length];

        var loss = GlmGradients.Bilinear(p, d1, x, z, y, gradient, new double[n + d1]);

        CheckAgainstFiniteDifferences(p, gradient, q => GlmGradients.Bilinear(q, d1, x, z, y, new double[q.Length], new double[n + d1]));
        // The loss itself, directly: mean of log(1 + e^l) - y l with l = x^T Theta z + b.
        var direct = 0.0;
        for (var i = 0; i < n; i++)
        {
            var l = p[^1];
            for (var r = 0; r < d1; r++)
            {
                for (var c = 0; c < d2; c++)
                {
                    l += x[i * d1 + r] * p[r * d2 + c] * z[i * d2 + c];
                }
            }
            direct += Math.Log(1 + Math.Exp(l)) - y[i] * l;
        }
        loss.Should().BeApproximately(direct / n, 1e-12);
    }

    [Fact]
    public void Adam_takes_pytorch_steps()
    {
        var adam = new GlmAdam(2);
        double[] p = [1.0, -2.0];

        adam.Step(p, [0.5, -4.0], 0.01);

        // Step 1: m^ = g and v^ = g^2, so each parameter moves lr * g / (|g| + eps): almost exactly lr against the gradient's sign.
        p[0].Should().BeApproximately(1.0 - 0.01 * 0.5 / (0.5 + 1e-8), 1e-15);
        p[1].Should().BeApproximately(-2.0 + 0.01 * 4.0 / (4.0 + 1e-8), 1e-15);

        adam.Step(p, [0.5, 0.0], 0.01);

        // Step 2 on p[1] with g = 0: m = 0.9 * 0.1 * -4 = -0.36, v = 0.999 * 0.001 * 16; m^ = m / 0.19, v^ = v / (1 - 0.999^2).
        var m = -0.36 / (1 - 0.81);
        var v = 0.999 * 0.016 / (1 - 0.999 * 0.999);
        p[1].Should().BeApproximately(-2.0 + 0.01 * 4.0 / (4.0 + 1e-8) - 0.01 * m / (Math.Sqrt(v) + 1e-8), 1e-12);
        adam.Steps.Should().Be(2);
        adam.Reset();
        adam.Steps.Should().Be(0);
    }

    // ---------- buffers ----------

    [Fact]
    public void A_refit_takes_every_positive_and_at_most_one_and_a_half_times_as_many_negatives_per_round()
    {
        var world = new ToyWorld(items: 20, dimension: 3, userDimension: 2);
        var model = new RefitAdditiveModel(3, 2, seed: 5);

        model.Update(world.Round(user: 1, items: [0, 1, 2, 3, 4], clicks: [1, 0, 0, 0, 0])); // first update: buffered only
        model.LastRefitSamples.Should().Be(0);
        model.BufferedRounds.Should().Be(1);

        model.Update(world.Round(user: 2, items: [5, 6, 7, 8, 9], clicks: [1, 1, 0, 0, 0]));
        // round 1: 1 positive + floor(min(1.5, 4)) = 1 negative; round 2: 2 + min(3, 3) = 5.
        model.LastRefitSamples.Should().Be(2 + 5);

        model.Update(world.Round(user: 1, items: [10, 11, 12, 13, 14], clicks: [0, 0, 0, 0, 0]));
        model.BufferedRounds.Should().Be(2, "a round without a click is never trained on");
        model.LastRefitSamples.Should().Be(7);

        model.Update(world.Round(user: 3, items: [15, 16, 17, 18, 19], clicks: [1, 1, 1, 0, 0]));
        // 3 positives, floor(min(4.5, 2)) = 2 negatives.
        model.LastRefitSamples.Should().Be(7 + 5);
    }

    [Fact]
    public void A_width_source_lends_its_design_matrix_as_the_two_stage_topic_stage_reads_the_item_stages()
    {
        var world = new ToyWorld(items: 20, dimension: 3, userDimension: 2);
        var item = new RefitAdditiveModel(3, 2, seed: 5);
        var topic = new RefitAdditiveModel(3, 2, seed: 6);
        item.Update(world.Round(user: 1, items: [0, 1, 2], clicks: [1, 0, 0]));
        item.Update(world.Round(user: 2, items: [3, 4, 5], clicks: [0, 1, 0]));
        var context = world.Context(user: 1, items: [6, 7, 8, 9]);
        double[] Widths(RefitAdditiveModel model)
        {
            var (mean, width) = (new double[4], new double[4]);
            model.Estimate(context, mean, width);
            return width;
        }
        Widths(topic).Should().NotEqual(Widths(item), "the topic model has seen nothing: A = I");
        topic.WidthFrom = item;
        Widths(topic).Should().Equal(Widths(item));
        var wrong = () => topic.WidthFrom = new RefitAdditiveModel(4, 2, seed: 1);
        wrong.Should().Throw<ArgumentException>().WithMessage("*4 item features; this one 3*");
    }

    [Fact]
    public void Negatives_are_drawn_without_replacement_from_the_rounds_own_negatives()
    {
        var world = new ToyWorld(items: 12, dimension: 2, userDimension: 1);
        var model = new RefitLogisticModel(2, null, seed: 3, buffer: RefitBuffer.PerUser);
        model.Update(world.Round(user: 4, items: [0, 1, 2, 3, 4, 5], clicks: [1, 1, 0, 0, 0, 0]));
        model.Update(world.Round(user: 4, items: [6, 7, 8, 9, 10, 11], clicks: [1, 1, 0, 0, 0, 0]));

        // Each round: 2 positives + 3 of its 4 negatives.
        model.LastRefitSamples.Should().Be(10);
    }

    [Fact]
    public void The_as_coded_glm_ucb_buffer_is_walked_with_pythons_remove_while_iterating_skip()
    {
        var world = new ToyWorld(items: 30, dimension: 3, userDimension: 1);
        var asCoded = new RefitLogisticModel(3, null, seed: 1);
        var perUser = new RefitLogisticModel(3, null, seed: 1, buffer: RefitBuffer.PerUser);
        foreach (var model in new[] { asCoded, perUser })
        {
            model.Update(world.Round(user: 1, items: [0, 1, 2, 3, 4], clicks: [1, 0, 0, 0, 0]));   // e0: buffered only
            model.Update(world.Round(user: 2, items: [5, 6, 7, 8, 9], clicks: [1, 0, 0, 0, 0]));   // refit of user 2
        }
        // As coded: the walk visits e0 (user 1's: no sample) and removes it, skips e1, which stays.
        asCoded.LastRefitSamples.Should().Be(0);
        asCoded.BufferedRounds.Should().Be(1);
        perUser.LastRefitSamples.Should().Be(2);
        perUser.BufferedRounds.Should().Be(2);

        asCoded.Update(world.Round(user: 2, items: [10, 11, 12, 13, 14], clicks: [1, 0, 0, 0, 0]));
        // [e1, e2]: e1 is user 2's round (1 + 1 samples) and is consumed; e2 is skipped and stays.
        asCoded.LastRefitSamples.Should().Be(2);
        asCoded.BufferedRounds.Should().Be(1);

        asCoded.Update(world.Round(user: 1, items: [15, 16, 17, 18, 19], clicks: [1, 1, 0, 0, 0]));
        // [e2, e3]: e2 is user 2's, so user 1 trains on nothing although e3 is its own round with clicks.
        asCoded.LastRefitSamples.Should().Be(0);
        asCoded.BufferedRounds.Should().Be(1);
    }

    [Fact]
    public void Resetting_the_buffer_empties_it_now_or_inside_the_next_update_before_the_refit()
    {
        var world = new ToyWorld(items: 20, dimension: 3, userDimension: 2);
        var model = new RefitAdditiveModel(3, 2, seed: 9);
        model.Update(world.Round(1, [0, 1, 2, 3, 4], [1, 0, 0, 0, 0]));
        model.Update(world.Round(2, [5, 6, 7, 8, 9], [1, 0, 0, 0, 0]));
        model.BufferedRounds.Should().Be(2);

        model.ResetBuffer();
        model.BufferedRounds.Should().Be(0);
        model.Update(world.Round(1, [10, 11, 12, 13, 14], [0, 1, 0, 0, 0]));
        model.LastRefitSamples.Should().Be(2, "only the round after the reset is trained on");

        var coefficients = model.Coefficients.ToArray();
        var inverse = model.InverseDesign.ToArray();
        model.ResetBufferAtNextUpdate();
        model.Update(world.Round(2, [15, 16, 17, 18, 19], [1, 0, 0, 0, 0]));

        model.BufferedRounds.Should().Be(0, "CB4Rec appends the retrain round, then resets");
        model.LastRefitSamples.Should().Be(0);
        model.Coefficients.ToArray().Should().Equal(coefficients, "the refit after the reset has nothing to fit");
        model.InverseDesign.ToArray().Should().NotEqual(inverse, "A still grows with the shown items");
    }

    // ---------- fits ----------

    [Fact]
    public void Refits_on_a_separable_toy_buffer_reach_training_accuracy_one()
    {
        // Items whose first feature is +-1 (plus noise in the second); a user clicks the positive ones.
        var world = new ToyWorld(items: 40, dimension: 2, userDimension: 2, separable: true);
        var glm = new RefitLogisticModel(2, null, seed: 11, buffer: RefitBuffer.PerUser);
        var additive = new RefitAdditiveModel(2, 2, seed: 11);
        var bilinear = new RefitBilinearModel(2, 2, seed: 11, learningRate: 0.01);
        for (var t = 0; t < 60; t++)
        {
            var items = new int[5];
            for (var k = 0; k < 5; k++)
            {
                items[k] = (t * 5 + k) % 40;
            }
            var clicks = items.Select(i => world.Positive(i) ? 1.0 : 0.0).ToArray();
            var round = world.Round(user: 3, items, clicks);
            glm.Update(round);
            additive.Update(round);
            bilinear.Update(round);
        }
        var all = world.Context(user: 3, Enumerable.Range(0, 40).ToArray());
        foreach (var model in new Core.Contracts.IRewardModel[] { glm, additive, bilinear })
        {
            var mean = new double[40];
            model.Estimate(all, mean, new double[40]);
            for (var i = 0; i < 40; i++)
            {
                (mean[i] > 0.5).Should().Be(world.Positive(i), $"{model.GetType().Name} classifies item {i} (mean {mean[i]:0.###})");
            }
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_coefficients_and_another_seed_other_ones()
    {
        double[] Run(ulong seed)
        {
            var world = new ToyWorld(items: 30, dimension: 3, userDimension: 2);
            var model = new RefitBilinearModel(3, 2, seed);
            for (var t = 0; t < 12; t++)
            {
                model.Update(world.Round(t % 3, [t % 30, (t + 7) % 30, (t + 13) % 30, (t + 19) % 30], [t % 2, 0, 0, (t / 2) % 2]));
            }
            return model.Coefficients.ToArray();
        }

        Run(21).Should().Equal(Run(21));
        Run(21).Should().NotEqual(Run(22));
    }

    [Fact]
    public void Initial_coefficients_follow_pytorchs_default_bounds()
    {
        var additive = new RefitAdditiveModel(16, 4, seed: 2);
        var c = additive.Coefficients.ToArray();
        c[..17].Should().OnlyContain(v => Math.Abs(v) <= 0.25, "w_x and b_x are uniform on +-1/sqrt(16)");
        c[17..].Should().OnlyContain(v => Math.Abs(v) <= 0.5, "w_z and b_z are uniform on +-1/sqrt(4)");
        c[..17].Max().Should().BeGreaterThan(0.1);
        new RefitBilinearModel(4, 9, seed: 2).Coefficients.ToArray().Should().OnlyContain(v => Math.Abs(v) <= 0.5, "nn.Bilinear bounds by 1/sqrt(in1_features)");
    }

    // ---------- design matrices ----------

    [Fact]
    public void The_sherman_morrison_w_inverse_matches_a_direct_inverse_and_gives_the_widths()
    {
        const int d1 = 3, d2 = 2, n = d1 * d2;
        var world = new ToyWorld(items: 15, dimension: d1, userDimension: d2);
        var model = new RefitBilinearModel(d1, d2, seed: 4);
        var w = Identity(n);
        for (var t = 0; t < 6; t++)
        {
            var round = world.Round(user: t % 2, [t, t + 5, t + 9], [1, 0, 0]);
            model.Update(round);
            if (t == 0)
            {
                continue; // the first round only enters the buffer
            }
            foreach (var f in round)
            {
                var v = Outer(f.Features, f.Context.UserFeatures.Span);
                for (var i = 0; i < n; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        w[i * n + j] += v[i] * v[j];
                    }
                }
            }
        }
        var direct = Invert(w, n);
        model.InverseDesign.ToArray().Should().Equal(direct, (a, b) => Math.Abs(a - b) < 1e-10);

        var context = world.Context(user: 1, [0, 3, 7, 14]);
        var width = new double[4];
        model.Estimate(context, new double[4], width);
        for (var c = 0; c < 4; c++)
        {
            var v = Outer(context.Candidates.Features(c), context.UserFeatures.Span);
            var form = 0.0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    form += v[i] * direct[i * n + j] * v[j];
                }
            }
            width[c].Should().BeApproximately(Math.Sqrt(form), 1e-10);
        }
    }

    [Fact]
    public void Glm_ucb_seeds_a_users_design_matrix_with_the_initial_history_on_first_meeting()
    {
        var world = new ToyWorld(items: 10, dimension: 3, userDimension: 1);
        var histories = new Dictionary<int, int[]> { [7] = [2, 5] };
        var model = new RefitLogisticModel(3, histories, seed: 1);

        model.InverseDesign(7).IsEmpty.Should().BeTrue();
        model.Estimate(world.Context(user: 7, [0, 1]), new double[2], new double[2]);

        var a = Identity(3);
        foreach (var item in new[] { 2, 5 })
        {
            var x = world.Catalog.Features.Row(item);
            for (var i = 0; i < 3; i++)
            {
                for (var j = 0; j < 3; j++)
                {
                    a[i * 3 + j] += x[i] * x[j];
                }
            }
        }
        model.InverseDesign(7).ToArray().Should().Equal(Invert(a, 3), (p, q) => Math.Abs(p - q) < 1e-12);
        model.BufferedRounds.Should().Be(0);

        var buffered = new RefitLogisticModel(3, histories, seed: 1, epochs: 1, buffer: RefitBuffer.PerUser, history: HistorySeed.Buffer);
        var untouched = new RefitLogisticModel(3, null, seed: 1);
        buffered.Estimate(world.Context(user: 7, [0, 1]), new double[2], new double[2]);
        untouched.Estimate(world.Context(user: 7, [0, 1]), new double[2], new double[2]);
        buffered.BufferedRounds.Should().Be(1, "NeuralGLMUCB puts the history in the buffer as one round of positives");
        buffered.LastRefitSamples.Should().Be(2);
        buffered.InverseDesign(7).ToArray().Should().Equal(Identity(3));
        buffered.Coefficients(7).ToArray().Should().NotEqual(untouched.Coefficients(7).ToArray(), "the user is refitted on the history when first met");
    }

    [Fact]
    public void A_history_dropped_by_a_reset_before_the_user_is_met_never_enters_the_buffer()
    {
        var world = new ToyWorld(items: 10, dimension: 2, userDimension: 1);
        var model = new RefitLogisticModel(2, new Dictionary<int, int[]> { [3] = [1, 2, 4] }, seed: 1, buffer: RefitBuffer.PerUser, history: HistorySeed.Buffer);

        model.ResetBuffer();
        model.Estimate(world.Context(user: 3, [0]), new double[1], new double[1]);

        model.BufferedRounds.Should().Be(0);
    }

    // ---------- options and catalogue ----------

    [Fact]
    public void The_as_coded_fits_are_reachable_from_json_options()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""
            [{"kind": "glm-ucb", "options": {"fit": "as-coded", "per-user": true, "beta": 0.1, "buffer": "per-user", "history": "buffer", "epochs": 1}},
             {"kind": "s-n-galm-ucb", "options": {"fit": "as-coded"}},
             {"kind": "s-n-gblm-ucb", "options": {"fit": "as-coded"}}]
            """);
        var expected = new[] { typeof(RefitLogisticModel), typeof(RefitAdditiveModel), typeof(RefitBilinearModel) };
        for (var i = 0; i < 3; i++)
        {
            var spec = PolicyCatalog.ParseSpec(document.RootElement[i], $"policies[{i}]");
            var policy = (ComposedPolicy)PolicyCatalog.Build(spec, new PolicyBuildContext(2, 3, 1));
            policy.Model.Should().BeOfType(expected[i]);
        }
        new AdditiveOptions().Fit.Should().Be(GlmFit.Online, "today's model stays the default");
        new BilinearOptions().Fit.Should().Be(GlmFit.Online);
        new GlmUcbOptions().Fit.Should().Be(GlmFit.Online);
    }

    [Fact]
    public void Bad_as_coded_options_name_the_field()
    {
        var notPerUser = () => new GlmUcbOptions { Fit = GlmFit.AsCoded }.Validate();
        notPerUser.Should().Throw<OptionsException>().Which.Field.Should().Be("per-user");
        var noEpochs = () => new AdditiveOptions { Fit = GlmFit.AsCoded, Epochs = 0 }.Validate();
        noEpochs.Should().Throw<OptionsException>().Which.Field.Should().Be("epochs");
    }

    [Fact]
    public void The_policy_seeds_glm_ucb_from_the_observed_initial_histories()
    {
        var world = new ToyWorld(items: 10, dimension: 3, userDimension: 1);
        var context = new PolicyBuildContext(1, 3, 5) { Observed = new Log(new Dictionary<int, int[]> { [2] = [4] }) };
        var policy = (ComposedPolicy)PolicyCatalog.Build(new PolicySpec("glm-ucb", new GlmUcbOptions { Fit = GlmFit.AsCoded, PerUser = true, Beta = 0.1 }), context);

        policy.Select(world.Context(user: 2, [0, 1, 2]));

        var x = world.Catalog.Features.Row(4);
        var a = Identity(3);
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                a[i * 3 + j] += x[i] * x[j];
            }
        }
        ((RefitLogisticModel)policy.Model).InverseDesign(2).ToArray().Should().Equal(Invert(a, 3), (p, q) => Math.Abs(p - q) < 1e-12);
    }

    // ---------- helpers ----------

    private sealed class Log(IReadOnlyDictionary<int, int[]> histories) : Core.Contracts.IObservedLog
    {
        public IReadOnlyDictionary<int, int[]> InitialHistories => histories;
        public IReadOnlyList<Core.Contracts.LoggedImpression> PretrainingImpressions => [];
        public IReadOnlyList<Core.Contracts.LoggedImpression> ValidationImpressions => [];
    }

    /// <summary>A fixed catalogue of Gaussian items and Gaussian users, and rounds over it.</summary>
    private sealed class ToyWorld
    {
        private readonly int _userDimension;
        private readonly Dictionary<int, double[]> _users = [];

        public ToyWorld(int items, int dimension, int userDimension, bool separable = false)
        {
            var rng = new Rng(77);
            var values = Gaussian(rng, items * dimension);
            if (separable)
            {
                for (var i = 0; i < items; i++)
                {
                    values[i * dimension] = i % 2 == 0 ? 1.5 : -1.5;
                    values[i * dimension + 1] *= 0.3;
                }
            }
            Catalog = new ItemCatalog(new FeatureMatrix(items, dimension, values));
            _userDimension = userDimension;
        }

        public ItemCatalog Catalog { get; }

        public bool Positive(int item) => Catalog.Features.Row(item)[0] > 0;

        public DecisionContext Context(int user, int[] items)
        {
            if (!_users.TryGetValue(user, out var z))
            {
                z = Gaussian(new Rng(1000 + (ulong)user), _userDimension);
                _users[user] = z;
            }
            return new DecisionContext(0, user, z, CandidateSet.FromCatalog(Catalog, items));
        }

        public Feedback[] Round(int user, int[] items, double[] clicks)
        {
            var context = Context(user, items);
            return items.Select((_, k) => new Feedback(context, k, clicks[k])).ToArray();
        }
    }

    private static void CheckAgainstFiniteDifferences(double[] p, double[] gradient, Func<double[], double> loss)
    {
        const double h = 1e-6;
        for (var k = 0; k < p.Length; k++)
        {
            var plus = (double[])p.Clone();
            var minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            var numeric = (loss(plus) - loss(minus)) / (2 * h);
            gradient[k].Should().BeApproximately(numeric, 1e-7 * Math.Max(1, Math.Abs(numeric)), $"parameter {k}");
        }
        gradient.Should().Contain(g => Math.Abs(g) > 1e-3, "the check is not vacuous");
    }

    private static double[] Gaussian(Rng rng, int count)
    {
        var values = new double[count];
        rng.FillGaussian(values);
        return values;
    }

    private static double[] Labels(Rng rng, int count) => Enumerable.Range(0, count).Select(_ => rng.NextDouble() < 0.5 ? 1.0 : 0.0).ToArray();

    private static double[] Identity(int n)
    {
        var m = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            m[i * n + i] = 1;
        }
        return m;
    }

    private static double[] Outer(ReadOnlySpan<double> x, ReadOnlySpan<double> z)
    {
        var v = new double[x.Length * z.Length];
        for (var i = 0; i < x.Length; i++)
        {
            for (var j = 0; j < z.Length; j++)
            {
                v[i * z.Length + j] = x[i] * z[j];
            }
        }
        return v;
    }

    /// <summary>Gauss-Jordan inverse with partial pivoting (the direct inverse the rank-one updates are checked against).</summary>
    private static double[] Invert(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var inverse = Identity(n);
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(a[r * n + col]) > Math.Abs(a[pivot * n + col]))
                {
                    pivot = r;
                }
            }
            for (var c = 0; c < n; c++)
            {
                (a[col * n + c], a[pivot * n + c]) = (a[pivot * n + c], a[col * n + c]);
                (inverse[col * n + c], inverse[pivot * n + c]) = (inverse[pivot * n + c], inverse[col * n + c]);
            }
            var scale = a[col * n + col];
            for (var c = 0; c < n; c++)
            {
                a[col * n + c] /= scale;
                inverse[col * n + c] /= scale;
            }
            for (var r = 0; r < n; r++)
            {
                if (r == col)
                {
                    continue;
                }
                var factor = a[r * n + col];
                for (var c = 0; c < n; c++)
                {
                    a[r * n + c] -= factor * a[col * n + c];
                    inverse[r * n + c] -= factor * inverse[col * n + c];
                }
            }
        }
        return inverse;
    }
}
