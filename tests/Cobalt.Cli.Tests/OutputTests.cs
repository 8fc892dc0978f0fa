using System.Diagnostics;
using System.Text.Json;

namespace Cobalt.Cli.Tests;

/// <summary>
/// Output for people and for scripts (issue 18, item 3): plain never-wrapping Markdown tables when the output is redirected
/// or NO_COLOR / TERM=dumb is set, one JSON document on standard output with --json, only the final paths with --quiet.
/// </summary>
public sealed class OutputTests : IDisposable
{
    private const string Experiment = """
        { "name": "tiny-output", "trials": 2, "iterations": 40, "seed": 3,
          "world": { "kind": "linear", "options": { "dimension": 3, "arms": 4 } },
          "policies": [ { "kind": "random" }, { "kind": "linucb-shared", "name": "LinUCB with a rather long name to widen the table" }, { "kind": "epsilon-greedy" } ] }
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("cobalt-output-").FullName;
    private readonly string _spec;

    public OutputTests()
    {
        _spec = Path.Combine(_folder, "tiny.json");
        File.WriteAllText(_spec, Experiment);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(true, null, null, true)]
    [InlineData(false, "1", null, true)]
    [InlineData(false, "", null, false)]
    [InlineData(false, null, "dumb", true)]
    [InlineData(false, null, "xterm-256color", false)]
    public void Plain_text_when_redirected_or_NO_COLOR_or_TERM_dumb(bool redirected, string? noColor, string? term, bool plain) =>
        CliOutput.IsPlain(redirected, noColor, term).Should().Be(plain);

    [Theory]
    [InlineData("NO_COLOR", "1")]
    [InlineData("TERM", "dumb")]
    public void Redirected_run_output_has_no_escapes_and_no_line_wider_than_the_table(string variable, string value)
    {
        var report = Path.Combine(_folder, "plain-" + variable);

        var (exit, stdout, stderr) = RunProcess(new Dictionary<string, string> { [variable] = value }, "run", _spec, "--out", report);

        exit.Should().Be(0, stderr);
        stdout.Should().NotContain("\u001b", "no ANSI escape or terminal hyperlink in redirected output");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tableLines = lines.Where(l => l.StartsWith('|')).ToArray();
        tableLines.Should().HaveCountGreaterThanOrEqualTo(2 + 3, "the results table is printed as Markdown (header, separator, one row per policy)");
        var tableWidth = tableLines.Max(l => l.Length);
        tableWidth.Should().BeGreaterThan(80, "this table is wider than the 80 columns Spectre wrapped at");
        lines.Should().OnlyContain(l => l.Length <= tableWidth, "nothing wraps and nothing is wider than the table");
        tableLines.Should().Contain(l => l.Contains("| LinUCB with a rather long name to widen the table |", StringComparison.Ordinal), "a long policy name stays on one line");
        lines.Should().Contain(l => l.StartsWith("Report: ", StringComparison.Ordinal) && l.Contains(report, StringComparison.Ordinal));
    }

    [Fact]
    public void A_redirected_usage_error_is_plain_text()
    {
        var (exit, stdout, stderr) = RunProcess(new Dictionary<string, string>(), "serve", "--bogus");

        exit.Should().Be(2, stderr);
        (stdout + stderr).Should().Contain("unknown option '--bogus' for cobalt serve").And.NotContain("\u001b", "usage errors are printed before a command's mode is set, and must be plain too");
    }

    [Fact]
    public void Run_json_prints_one_document_with_every_policy_row_and_nothing_else()
    {
        var report = Path.Combine(_folder, "json");

        var run = CliRunner.RunCaptured("run", _spec, "--out", report, "--json");

        run.Exit.Should().Be(0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        root.GetProperty("command").GetString().Should().Be("run");
        root.GetProperty("report").GetString().Should().Be(Path.GetFullPath(report));
        var experiment = root.GetProperty("experiment");
        experiment.GetProperty("world").GetProperty("rewards").GetString().Should().Be("real");
        var policies = experiment.GetProperty("policies").EnumerateArray().ToArray();
        policies.Select(p => p.GetProperty("name").GetString()).Should().Equal("random", "LinUCB with a rather long name to widen the table", "epsilon-greedy");
        // The document's numbers are the report's: the markdown table shows them rounded to one decimal.
        var markdown = File.ReadAllText(Path.Combine(report, "results.md"));
        foreach (var p in policies)
        {
            var regret = p.GetProperty("cumulative_regret");
            double.IsFinite(regret.GetProperty("mean").GetDouble()).Should().BeTrue();
            markdown.Should().Contain($"{Reporting.Format.MeanStd(regret.GetProperty("mean").GetDouble(), regret.GetProperty("std").GetDouble(), 1)} |");
            p.GetProperty("trials").GetInt32().Should().Be(2);
        }
        run.Console.Should().BeEmpty("with --json the console's tables and notes are not on standard output");
        run.Error.Should().Contain("Report: ");
    }

    [Fact]
    public void Quiet_prints_only_the_final_path_and_errors_on_standard_error()
    {
        var report = Path.Combine(_folder, "quiet");

        var run = CliRunner.RunCaptured("run", _spec, "--out", report, "--quiet");
        var failed = CliRunner.RunCaptured("run", Path.Combine(_folder, "missing.json"), "--quiet");

        run.Exit.Should().Be(0);
        (run.Console + run.Out).Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("Report: " + Path.GetFullPath(report));
        run.Error.Should().BeEmpty();
        File.Exists(Path.Combine(report, "results.md")).Should().BeTrue();
        failed.Exit.Should().Be(2);
        (failed.Console + failed.Out).Should().BeEmpty();
        failed.Error.Should().Contain("error:").And.Contain("missing.json");
    }

    [Fact]
    public void Merge_and_shards_print_json_too()
    {
        var shards = Path.Combine(_folder, "shards");
        var shard = CliRunner.RunCaptured("run", _spec, "--shard", "1/2", "--out", shards, "--json");
        CliRunner.RunCaptured("run", _spec, "--shard", "2/2", "--out", shards, "--quiet").Exit.Should().Be(0);

        var merge = CliRunner.RunCaptured("merge", shards, "--out", Path.Combine(_folder, "merged"), "--json");

        shard.Exit.Should().Be(0, shard.Error);
        using (var doc = JsonDocument.Parse(shard.Out))
        {
            doc.RootElement.GetProperty("shard").GetString().Should().Be("1/2");
            File.Exists(doc.RootElement.GetProperty("file").GetString()).Should().BeTrue();
        }
        merge.Exit.Should().Be(0, merge.Error);
        using var merged = JsonDocument.Parse(merge.Out);
        merged.RootElement.GetProperty("command").GetString().Should().Be("merge");
        merged.RootElement.GetProperty("experiment").GetProperty("policies").GetArrayLength().Should().Be(3);
    }

    [Fact]
    public void Paper_json_holds_the_study_table_and_its_experiments()
    {
        var run = CliRunner.RunCaptured("paper", "fig3", "--world", "user-choice", "--no-neural", "--iterations", "15", "--trials", "2", "--budget-per-slot", "40", "--users", "20",
            "--out", Path.Combine(_folder, "paper"), "--json");

        run.Exit.Should().Be(0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        var table = doc.RootElement.GetProperty("table");
        var columns = table.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var rows = table.GetProperty("rows").EnumerateArray().ToArray();
        rows.Should().NotBeEmpty();
        // Numeric cells are numbers (or mean/std pairs), not the table's formatted text.
        rows.SelectMany(r => r.EnumerateObject()).Where(p => p.Name != columns[0]).Should().Contain(p => p.Value.ValueKind == JsonValueKind.Number || p.Value.ValueKind == JsonValueKind.Object);
        var experiments = doc.RootElement.GetProperty("experiments").EnumerateArray().ToArray();
        experiments.Should().NotBeEmpty();
        experiments.Should().OnlyContain(e => e.GetProperty("world").GetProperty("rewards").GetString() == "binary");
    }

    [Fact]
    public void Evaluate_json_is_the_format_json_document()
    {
        var lines = new List<string> { "action,reward,propensity,pi_0,pi_1" };
        for (var t = 0; t < 40; t++)
        {
            lines.Add(FormattableString.Invariant($"{t % 2},{t % 3 / 2},0.5,0.6,0.4"));
        }
        var log = Path.Combine(_folder, "log.csv");
        File.WriteAllText(log, string.Join('\n', lines) + "\n");

        var json = CliRunner.RunCaptured("evaluate", "--log", log, "--json");
        var format = CliRunner.RunCaptured("evaluate", "--log", log, "--format", "json");

        json.Exit.Should().Be(0, json.Error);
        json.Console.Should().BeEmpty();
        using var doc = JsonDocument.Parse(json.Out);
        using var reference = JsonDocument.Parse(format.Out);
        doc.RootElement.GetProperty("results").GetArrayLength().Should().BeGreaterThan(3).And.Be(reference.RootElement.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public void Study_list_and_recogym_print_json()
    {
        var studies = CliRunner.RunCaptured("study", "--json");
        var recogym = CliRunner.RunCaptured("recogym", "--worlds", "1", "--agents", "random", "--test-users", "30", "--train-users", "30", "--organic-users", "5", "--products", "10",
            "--out", Path.Combine(_folder, "recogym"), "--json");

        studies.Exit.Should().Be(0, studies.Error);
        using (var doc = JsonDocument.Parse(studies.Out))
        {
            doc.RootElement.GetProperty("studies").GetArrayLength().Should().BeGreaterThan(0);
        }
        recogym.Exit.Should().Be(0, recogym.Error);
        using var result = JsonDocument.Parse(recogym.Out);
        result.RootElement.GetProperty("all_worlds").GetProperty("rows").EnumerateArray().Should().ContainSingle();
        result.RootElement.GetProperty("worlds").GetArrayLength().Should().Be(1);
        recogym.Console.Should().BeEmpty();
    }

    [Fact]
    public void Data_info_prints_json_with_its_facts_and_topics()
    {
        var info = CliRunner.RunCaptured("data", "info", Cobalt.Simulation.UserChoice.UserChoiceWorld.ShippedMovieLens(), "--json");

        info.Exit.Should().Be(0, info.Error);
        using var doc = JsonDocument.Parse(info.Out);
        doc.RootElement.GetProperty("command").GetString().Should().Be("data info");
        doc.RootElement.GetProperty("facts").GetProperty("users").GetString().Should().Be("610");
        doc.RootElement.GetProperty("topicSizes").GetArrayLength().Should().BeGreaterThan(1);
    }

    [Fact]
    public void Policies_and_worlds_print_json_with_every_kind()
    {
        var policies = CliRunner.RunCaptured("policies", "--json");
        var worlds = CliRunner.RunCaptured("worlds", "--json");

        policies.Exit.Should().Be(0, policies.Error);
        using var doc = JsonDocument.Parse(policies.Out);
        doc.RootElement.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("kind").GetString())
            .Should().BeEquivalentTo(global::Cobalt.Policies.Catalog.PolicyCatalog.All.Select(d => d.Kind));
        doc.RootElement.GetProperty("policies").EnumerateArray().SelectMany(p => p.GetProperty("options").EnumerateArray())
            .Select(o => o.GetProperty("name").GetString()).Should().Contain("refactor-every");
        using var w = JsonDocument.Parse(worlds.Out);
        w.RootElement.GetProperty("worlds").EnumerateArray().Select(p => p.GetProperty("kind").GetString()).Should().Contain(["linear", "catalogue"]);
        policies.Console.Should().BeEmpty();
    }

    /// <summary>Runs the built <c>cobalt</c> as its own process with standard output and error redirected.</summary>
    private static (int Exit, string Out, string Error) RunProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = typeof(CobaltCommand).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(TimeSpan.FromMinutes(2)).Should().BeTrue();
        return (process.ExitCode, output, error.Result);
    }
}
