using Cobalt.Data.OpenBandit;
using Cobalt.Evaluation.Obp;

namespace Cobalt.Evaluation.Tests;

/// <summary>The OBP parity mode's report carries each task's importance-weight diagnostics, like Cobalt's own mode.</summary>
public sealed class ObpDiagnosticsTests
{
    [Fact]
    public void Obd_women_like_obp_warns_that_the_bts_log_has_a_weight_of_21739()
    {
        var root = ShippedOpenBandit.TryFind() ?? throw new InvalidOperationException("data/open-bandit-dataset-sample not found above the test folder.");
        var options = new ObpParityOptions(BernoulliTs: new ObpBernoulliTsOptions(Simulations: 1000), BootstrapSamples: 10);

        var (rows, diagnostics) = ObpEvaluation.OpenBanditReport(root, "women", options);

        rows.Should().NotBeEmpty();
        diagnostics.Should().HaveCount(2);
        var fromBts = diagnostics.Single(d => d.Task.StartsWith("random from BTS", StringComparison.Ordinal)).Weights;
        // The BTS log's smallest propensity is 1e-6 and the uniform policy gives every one of 46 items 1/46: 1/46 / 1e-6 = 21739.1.
        fromBts.MaxWeight.Should().BeApproximately(1.0 / 46 / 1e-6, 0.1);
        fromBts.Warnings.Should().Contain(w => w.Contains("21739.1", StringComparison.Ordinal));
        diagnostics.Single(d => d.Task.StartsWith("BTS", StringComparison.Ordinal)).Weights.MaxWeight.Should().BeLessThan(100);
    }
}
