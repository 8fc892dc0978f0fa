using System.Globalization;
using System.Text;

namespace Cobalt.Cli.Tests;

/// <summary><c>cobalt evaluate --like obp</c>: the option reaches OBP's estimators (their parity is pinned in Cobalt.Evaluation.Tests).</summary>
public sealed class EvaluateLikeObpTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-like-obp-" + Guid.NewGuid().ToString("N"));

    public EvaluateLikeObpTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A uniform-logged log of 4 actions, one context feature, clicks more likely for action 2, and a policy preferring action 2.</summary>
    private string WriteLog()
    {
        var path = Path.Combine(_folder, "log.csv");
        var text = new StringBuilder("action,reward,propensity,x_0,pi_0,pi_1,pi_2,pi_3\n");
        var random = new Random(7);
        for (var t = 0; t < 900; t++)
        {
            var action = random.Next(4);
            var x = random.NextDouble();
            var click = random.NextDouble() < (action == 2 ? 0.3 : 0.1) ? 1 : 0;
            text.Append(CultureInfo.InvariantCulture, $"{action},{click},0.25,{x:R},0.1,0.1,0.7,0.1\n");
        }
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Fact]
    public void Like_obp_runs_obps_estimators_with_slope()
    {
        var (exit, output) = CliRunner.Run("evaluate", "--log", WriteLog(), "--policy", "columns", "--like", "obp");
        exit.Should().Be(0, output);
        output.Should().Contain("Estimating as OBP does").And.Contain("Switch-DR").And.Contain("SLOPE").And.Contain("lambda");
    }

    [Fact]
    public void Unknown_reference_is_refused_without_a_stack_trace()
    {
        var (exit, output) = CliRunner.Run("evaluate", "--log", WriteLog(), "--like", "vw");
        exit.Should().NotBe(0);
        output.Should().Contain("--like vw").And.NotContain("   at ");
    }
}
