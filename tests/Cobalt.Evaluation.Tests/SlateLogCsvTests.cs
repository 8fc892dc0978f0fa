using System.Globalization;
using System.Text;
using Cobalt.Data;
using Cobalt.Evaluation.Slate;

namespace Cobalt.Evaluation.Tests;

/// <summary>Slate logs from CSV (OBP's column names): a round trip of the OBP reference log, and bad files named by line.</summary>
public sealed class SlateLogCsvTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cobalt-slate-csv").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(SlateLog log, SlatePropensities evaluation, double[] distribution, Func<int, string, string>? edit = null)
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var k = log.ActionCount;
        var d = log.Contexts!.Columns;
        var sb = new StringBuilder("slate_id,position,action,reward,pscore,pscore_item_position,pscore_cascade,evaluation_policy_pscore,evaluation_policy_pscore_item_position,evaluation_policy_pscore_cascade");
        sb.Append(string.Concat(Enumerable.Range(0, d).Select(j => $",x_{j}"))).Append(string.Concat(Enumerable.Range(0, k).Select(a => $",pi_{a}"))).Append('\n');
        for (var i = 0; i < log.Rows; i++)
        {
            var line = string.Join(',', new[] { log.SlateIds[i].ToString(CultureInfo.InvariantCulture), log.Positions[i].ToString(CultureInfo.InvariantCulture), log.Actions[i].ToString(CultureInfo.InvariantCulture), F(log.Rewards[i]),
                F(log.Propensities.Joint![i]), F(log.Propensities.ItemPosition![i]), F(log.Propensities.Cascade![i]), F(evaluation.Joint![i]), F(evaluation.ItemPosition![i]), F(evaluation.Cascade![i]) }
                .Concat(log.Contexts.Row(i / log.ListLength).ToArray().Select(F)).Concat(distribution.Skip(i * k).Take(k).Select(F)));
            sb.Append(edit is null ? line : edit(i, line)).Append('\n');
        }
        var path = Path.Combine(_dir, "slates.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void Reads_back_the_reference_log_with_identical_estimates()
    {
        var (log, evaluation, distribution) = ObpSlateContinuousParityTests.SlateFixture();
        var read = SlateLogCsv.Read(Write(log, evaluation, distribution), listLength: 3);
        read.Log.Rows.Should().Be(log.Rows);
        read.Log.Contexts!.Rows.Should().Be(60);
        read.EvaluationActionDistribution.Should().Equal(distribution);
        var original = new SlateEstimationInput(log, evaluation);
        var fromFile = new SlateEstimationInput(read.Log, read.Evaluation!);
        foreach (var e in SlateEstimatorSuite.All().Where(e => e.Key != "cascade-dr"))
        {
            e.Value(fromFile).Should().Be(e.Value(original), e.Key);
        }
    }

    [Fact]
    public void Bad_files_are_named_by_line()
    {
        var (log, evaluation, distribution) = ObpSlateContinuousParityTests.SlateFixture();
        // row 4 is file line 6 (header on line 1)
        var path = Write(log, evaluation, distribution, (i, line) => i == 4 ? line.Replace("1,1,", "1,0,", StringComparison.Ordinal) : line);
        var act = () => SlateLogCsv.Read(path, 3);
        act.Should().Throw<DataFormatException>().WithMessage("slates.csv:6: expected position 1*");

        path = Write(log, evaluation, distribution, (i, line) => i == 7 ? string.Join(',', line.Split(',').Select((c, j) => j == 4 ? "0.5" : c)) : line);
        act.Should().Throw<DataFormatException>().WithMessage("slates.csv:9: the logging policy's joint propensity 0.5 differs*");

        path = Write(log, evaluation, distribution, (i, line) => i == 2 ? string.Join(',', line.Split(',').Select((c, j) => j == 2 ? "2000000000" : c)) : line);
        act.Should().Throw<DataFormatException>().WithMessage("slates.csv:4: action 2000000000 is outside 0..4*");

        path = Write(log, evaluation, distribution, (i, line) => i == 10 ? line[..(line.LastIndexOf(',') + 1)] + "0.9" : line); // pi_4 := 0.9: the row no longer sums to 1
        act.Should().Throw<DataFormatException>().WithMessage("slates.csv:12: pi_ columns: the probabilities sum to*");

        File.WriteAllText(path, "slate_id,position,action,reward,pscore\n0,0,1,1,0.5\n");
        act.Should().Throw<DataFormatException>().WithMessage("slates.csv:1: the number of actions is unknown*");
        var withK = () => SlateLogCsv.Read(path, listLength: 1, actionCount: 3);
        withK.Should().NotThrow();
    }
}
