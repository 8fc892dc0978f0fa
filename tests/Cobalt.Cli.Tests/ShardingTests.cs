using System.Diagnostics;
using System.Text.RegularExpressions;
using Cobalt.Core.Configuration;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Cli.Tests;

/// <summary>
/// <c>cobalt run --shard i/n</c> and <c>cobalt merge</c>: shards merged give the unsharded report byte for
/// byte (all but the wall-clock timing section), bad splits and damaged files are refused by name, and the
/// Slurm and Kubernetes recipes in deploy/sharding run as separate processes and merge to the same report.
/// </summary>
public sealed partial class ShardingTests : IDisposable
{
    private const string Experiment = """
        { "name": "tiny-shards", "seed": 11, "trials": 2, "iterations": 40,
          "world": { "kind": "linear", "options": { "dimension": 3, "arms": 5 } },
          "policies": [ { "kind": "random", "name": "Random" }, { "kind": "ucb1", "name": "UCB1" }, { "kind": "linucb-shared", "name": "LinUCB" } ] }
        """;

    private static readonly string[] DeterministicFiles = ["curves.csv", "regret.svg", "ctr.svg", "experiment.json"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-shards-" + Guid.NewGuid().ToString("N"));
    private readonly string _spec;

    public ShardingTests()
    {
        Directory.CreateDirectory(_folder);
        _spec = Path.Combine(_folder, "tiny.json");
        File.WriteAllText(_spec, Experiment);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Merged_shards_write_the_unsharded_report_byte_for_byte()
    {
        var single = Unsharded();
        var shards = Path.Combine(_folder, "shards");
        for (var i = 1; i <= 4; i++)
        {
            var (exit, output) = CliRunner.Run("run", _spec, "--shard", $"{i}/4", "--out", shards);
            exit.Should().Be(0, output);
            Squash(output).Should().Contain(Squash($"Shard {i}/4: {(i <= 2 ? 2 : 1)} runs written"));
        }
        Directory.GetFiles(shards).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["shard-1-of-4.state", "shard-2-of-4.state", "shard-3-of-4.state", "shard-4-of-4.state"], "a shard writes its runs and no report");

        var merged = Path.Combine(_folder, "merged");
        var (mergeExit, mergeOutput) = CliRunner.Run("merge", shards, "--out", merged);

        mergeExit.Should().Be(0, mergeOutput);
        Squash(mergeOutput).Should().Contain(Squash("merged 6 runs (2 trials x 3 policies)")).And.Contain("LinUCB");
        AssertSameReport(single, merged);

        // Files named one by one, in any order and across folders, merge to the same report.
        var scattered = Path.Combine(_folder, "scattered");
        Directory.CreateDirectory(scattered);
        File.Move(Path.Combine(shards, "shard-3-of-4.state"), Path.Combine(scattered, "shard-3-of-4.state"));
        var again = Path.Combine(_folder, "again");
        CliRunner.Run("merge", Path.Combine(shards, "shard-4-of-4.state"), scattered, shards, "--out", again).Exit.Should().Be(0);
        AssertSameReport(single, again);
    }

    [Fact]
    public void A_shard_file_keeps_every_double_bit_for_bit()
    {
        var spec = ExperimentSpec.Parse(Experiment);
        var shard = ExperimentRunner.RunShard(spec, new ShardId(2, 4), maxParallelism: 1);
        var path = Path.Combine(_folder, shard.Shard.FileName);

        shard.Write(path);
        var read = ExperimentShard.Read(path);

        var (written, part) = (shard.Parts.Single(), read.Parts.Single());
        written.Runs.Select(r => (r.Policy, r.Trial)).Should().Equal(("UCB1", 0), ("LinUCB", 1)); // jobs 1 and 5: (trial 0, policy 1) and (trial 1, policy 2)
        read.Shard.Should().Be(new ShardId(2, 4));
        read.Manifest.Should().Be(ExperimentShard.RunManifest);
        part.World.Should().Be(written.World).And.NotBeNull();
        part.SpecJson.Should().Be(spec.ToJson());
        part.Runs.Should().HaveCount(2);
        for (var k = 0; k < 2; k++)
        {
            var (a, b) = (written.Runs[k], part.Runs[k]);
            (b.Policy, b.Trial).Should().Be((a.Policy, a.Trial));
            Bits(b.Rewards).Should().Equal(Bits(a.Rewards));
            Bits(b.Regrets).Should().Equal(Bits(a.Regrets));
            Bits(b.Optimal).Should().Equal(Bits(a.Optimal));
            Bits(b.NominatorRegrets).Should().Equal(Bits(a.NominatorRegrets));
            Bits([b.SelectSeconds, b.UpdateSeconds]).Should().Equal(Bits([a.SelectSeconds, a.UpdateSeconds]));
        }
        part.Runs.SelectMany(r => r.Regrets).Should().Contain(v => v > 0, "the runs hold real numbers");
    }

    [Fact]
    public void Merge_refuses_missing_duplicate_foreign_and_damaged_shards_by_name()
    {
        string Shard(string folder, string shard, params string[] extra) =>
            CliRunner.Run(["run", _spec, "--shard", shard, "--out", Path.Combine(_folder, folder), .. extra]).Exit == 0
                ? Path.Combine(_folder, folder, ShardId.Parse(shard).FileName)
                : throw new InvalidOperationException(shard);
        var one = Shard("a", "1/3");
        Shard("a", "3/3");
        Shard("b", "1/3");
        Shard("c", "2/3", "--seed", "12");
        Shard("d", "2/2");
        var outFolder = Path.Combine(_folder, "out");

        Refused("merge", Path.Combine(_folder, "a"), "--out", outFolder).Should().Contain(Squash("missing shard 2/3 (found 2 of 3)"));
        Refused("merge", Path.Combine(_folder, "a"), Path.Combine(_folder, "b"), "--out", outFolder)
            .Should().Contain(Squash("shard 1/3 is given twice")).And.Contain(Squash(Path.Combine(_folder, "b", "shard-1-of-3.state")));
        Refused("merge", Path.Combine(_folder, "a"), Path.Combine(_folder, "c"), "--out", outFolder)
            .Should().Contain(Squash("shards of different experiments")).And.Contain(Squash("\"seed\": 12")).And.Contain(Squash(Path.Combine(_folder, "c", "shard-2-of-3.state")));
        Refused("merge", Path.Combine(_folder, "a"), Path.Combine(_folder, "d"), "--out", outFolder)
            .Should().Contain(Squash("is shard 2/2 but")).And.Contain(Squash("split the same way"));
        Refused("merge", Path.Combine(_folder, "nowhere"), "--out", outFolder).Should().Contain(Squash("no such folder or file"));
        Directory.CreateDirectory(Path.Combine(_folder, "empty"));
        Refused("merge", Path.Combine(_folder, "empty"), "--out", outFolder).Should().Contain(Squash("holds no shard files"));

        var bytes = File.ReadAllBytes(one);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(one, bytes);
        Refused("merge", Path.Combine(_folder, "a"), "--out", outFolder).Should().Contain(Squash(one)).And.Contain(Squash("checksum"));
        File.WriteAllBytes(one, bytes[..(bytes.Length / 2)]);
        Refused("merge", Path.Combine(_folder, "a"), "--out", outFolder).Should().Contain(Squash(one)).And.Contain(Squash("truncated"));
        File.WriteAllText(one, "{}");
        Refused("merge", Path.Combine(_folder, "a"), "--out", outFolder).Should().Contain(Squash(one)).And.Contain(Squash("not a Cobalt state file"));
        Directory.Exists(outFolder).Should().BeFalse("a refused merge writes no report");
    }

    [Fact]
    public void Paper_shards_merge_to_the_unsharded_study()
    {
        string[] study = ["paper", "fig3", "--world", "user-choice", "--no-neural", "--iterations", "15", "--trials", "2", "--budget-per-slot", "40", "--users", "20"];
        var single = Path.Combine(_folder, "paper-single");
        var shards = Path.Combine(_folder, "paper-shards");
        var merged = Path.Combine(_folder, "paper-merged");
        CliRunner.Run([.. study, "--out", single]).Exit.Should().Be(0);
        foreach (var shard in new[] { "1/3", "2/3", "3/3" })
        {
            var (exit, output) = CliRunner.Run([.. study, "--shard", shard, "--out", shards]);
            exit.Should().Be(0, output);
        }
        Squash(CliRunner.Run([.. study, "--shard", "1/5", "--out", shards]).Output).Should().Contain(Squash("only 4 (trial, policy) runs (fig3: 2 trials x 2 policies), so at most 4 shards"));

        var (mergeExit, mergeOutput) = CliRunner.Run("merge", shards, "--out", merged);

        mergeExit.Should().Be(0, mergeOutput);
        Directory.GetFiles(merged).Select(Path.GetFileName).Should().BeEquivalentTo(["results.md", "results.csv", "ctr.svg"]);
        File.ReadAllBytes(Path.Combine(merged, "results.md")).Should().Equal(File.ReadAllBytes(Path.Combine(single, "results.md")));
        File.ReadAllBytes(Path.Combine(merged, "ctr.svg")).Should().Equal(File.ReadAllBytes(Path.Combine(single, "ctr.svg")));
        WithoutLastColumn(Path.Combine(merged, "results.csv")).Should().Equal(WithoutLastColumn(Path.Combine(single, "results.csv")), "all but select_ms_per_iteration, a wall-clock time");
        File.ReadLines(Path.Combine(merged, "results.csv")).First().Should().EndWith(",select_ms_per_iteration");
        AssertSameReport(Path.Combine(single, "fig3"), Path.Combine(merged, "fig3"), "2-Random", "2 trials x 15 rounds");
    }

    [Theory]
    [InlineData("0/3", "--shard: '0/3': i must be between 1 and 3 (shards count from 1)")]
    [InlineData("4/3", "--shard: '4/3': i must be between 1 and 3")]
    [InlineData("1/0", "--shard: '1/0': the number of shards must be at least 1")]
    [InlineData("2", "--shard: '2' is not a shard; write i/n")]
    [InlineData("-1/3", "--shard: '-1/3' is not a shard")]
    [InlineData("1/7", "--shard: '1/7': the experiment has only 6 (trial, policy) runs (2 trials x 3 policies), so at most 6 shards")]
    public void Bad_shards_are_refused_with_the_rule(string shard, string message)
    {
        var (exit, output) = CliRunner.Run("run", _spec, "--shard", shard, "--out", Path.Combine(_folder, "never"));

        exit.Should().Be(2);
        Squash(output).Should().Contain(Squash(message));
        Directory.Exists(Path.Combine(_folder, "never")).Should().BeFalse();
    }

    [Fact]
    public void Shards_split_the_jobs_round_robin_and_cover_each_once()
    {
        var all = Enumerable.Range(1, 5).SelectMany(i => new ShardId(i, 5).JobIndices(12)).Order().ToArray();

        all.Should().Equal(Enumerable.Range(0, 12));
        new ShardId(2, 5).JobIndices(12).Should().Equal(1, 6, 11);
        ShardId.Parse("3/8").Should().Be(new ShardId(3, 8));
        FluentActions.Invoking(() => ShardId.Parse("3/8/1")).Should().Throw<OptionsException>().WithMessage("--shard: '3/8/1' is not a shard*");
    }

    [Fact]
    public async Task The_slurm_recipe_runs_each_array_task_as_a_process_and_merges_to_the_unsharded_report()
    {
        var recipe = Path.Combine(RepositoryRoot, "deploy", "sharding", "slurm.sbatch");
        var mergeRecipe = Path.Combine(RepositoryRoot, "deploy", "sharding", "slurm-merge.sbatch");
        var script = File.ReadAllText(recipe);
        var array = ArrayDirective().Match(script);
        array.Success.Should().BeTrue("the recipe is a job array numbered from 0");
        var count = int.Parse(array.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1;
        script.Should().Contain("$COBALT run").And.Contain("--shard \"$((SLURM_ARRAY_TASK_ID + 1))/$N\"").And.Contain("SLURM_ARRAY_TASK_COUNT");
        File.ReadAllText(mergeRecipe).Should().Contain("$COBALT merge \"$SHARDS_DIR\" --out \"$REPORT_DIR\"");
        DefaultOf(script, "SHARDS_DIR").Should().Be(DefaultOf(File.ReadAllText(mergeRecipe), "SHARDS_DIR"), "the merge reads where the shards write");

        var shards = Path.Combine(_folder, "slurm-shards");
        var report = Path.Combine(_folder, "slurm-report");
        var environment = new Dictionary<string, string>
        {
            ["EXPERIMENT_ARGS"] = _spec,
            ["SHARDS_DIR"] = shards,
            ["REPORT_DIR"] = report,
            ["SLURM_ARRAY_TASK_COUNT"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await Task.WhenAll(Enumerable.Range(0, count).Select(task =>
            RunProcessAsync("bash", [recipe], new(environment) { ["SLURM_ARRAY_TASK_ID"] = task.ToString(System.Globalization.CultureInfo.InvariantCulture) })));
        Directory.GetFiles(shards, "*.state").Should().HaveCount(count);
        await RunProcessAsync("bash", [mergeRecipe], environment);

        AssertSameReport(Unsharded(), report);
    }

    [Fact]
    public async Task The_kubernetes_indexed_job_runs_each_index_as_a_process_and_merges_to_the_unsharded_report()
    {
        var job = File.ReadAllText(Path.Combine(RepositoryRoot, "deploy", "sharding", "kubernetes-indexed-job.yaml"));
        var mergeJob = File.ReadAllText(Path.Combine(RepositoryRoot, "deploy", "sharding", "kubernetes-merge-job.yaml"));
        job.Should().Contain("completionMode: Indexed");
        var completions = int.Parse(YamlValue(job, "completions"), System.Globalization.CultureInfo.InvariantCulture);
        var variables = EnvironmentOf(job);
        variables["SHARDS"].Should().Be(completions.ToString(System.Globalization.CultureInfo.InvariantCulture), "every index must agree on n");
        EnvironmentOf(mergeJob)["SHARDS_DIR"].Should().Be(variables["SHARDS_DIR"], "the merge reads where the shards write");
        var shardCommand = ShellArgument(job);
        var mergeCommand = ShellArgument(mergeJob);
        shardCommand.Should().StartWith("cobalt run ").And.Contain("--shard \"$((JOB_COMPLETION_INDEX + 1))/$SHARDS\"");
        mergeCommand.Should().StartWith("cobalt merge \"$SHARDS_DIR\" --out ");

        // The container's /bin/sh -c, with cobalt on the PATH and the shared volume in a temporary folder.
        var shards = Path.Combine(_folder, "k8s-shards");
        var report = Path.Combine(_folder, "k8s-report");
        var environment = new Dictionary<string, string>(variables) { ["EXPERIMENT_ARGS"] = _spec, ["SHARDS_DIR"] = shards, ["REPORT_DIR"] = report };
        await Task.WhenAll(Enumerable.Range(0, completions).Select(index =>
            RunProcessAsync("/bin/sh", ["-c", shardCommand], new(environment) { ["JOB_COMPLETION_INDEX"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture) })));
        Directory.GetFiles(shards, "*.state").Should().HaveCount(completions);
        await RunProcessAsync("/bin/sh", ["-c", mergeCommand], environment);

        AssertSameReport(Unsharded(), report);
    }

    private string Unsharded()
    {
        var folder = Path.Combine(_folder, "single-" + Guid.NewGuid().ToString("N"));
        var (exit, output) = CliRunner.Run("run", _spec, "--out", folder);
        exit.Should().Be(0, output);
        return folder;
    }

    /// <summary>Every deterministic file is equal byte for byte; results.md and index.html are equal up to their timing section, which both still have.</summary>
    private static void AssertSameReport(string expected, string actual, string policy = "| LinUCB", string size = "2 trials x 40 rounds")
    {
        Directory.GetFiles(actual).Select(Path.GetFileName).Should().BeEquivalentTo(ExperimentReport.Files);
        foreach (var file in DeterministicFiles)
        {
            File.ReadAllBytes(Path.Combine(actual, file)).Should().Equal(File.ReadAllBytes(Path.Combine(expected, file)), file);
        }
        foreach (var (file, heading) in new[] { ("results.md", ExperimentReport.MarkdownTimingHeading), ("index.html", ExperimentReport.HtmlTimingHeading) })
        {
            var a = File.ReadAllText(Path.Combine(expected, file));
            var b = File.ReadAllText(Path.Combine(actual, file));
            a.Should().Contain(heading);
            b.Should().Contain(heading);
            b[..b.IndexOf(heading, StringComparison.Ordinal)].Should().Be(a[..a.IndexOf(heading, StringComparison.Ordinal)], file);
        }
        File.ReadAllText(Path.Combine(actual, "results.md")).Should().Contain(policy).And.Contain(size);
    }

    private string Refused(params string[] args)
    {
        var (exit, output) = CliRunner.Run(args);
        exit.Should().Be(2, output);
        return Squash(output);
    }

    /// <summary>The text without white space: the console wraps long lines wherever it likes, so messages are compared this way.</summary>
    private static string Squash(string text) => Whitespace().Replace(text, string.Empty);

    private static string[] WithoutLastColumn(string csv) => File.ReadAllLines(csv).Select(line => line[..line.LastIndexOf(',')]).ToArray();

    private static long[] Bits(double[] values) => Array.ConvertAll(values, BitConverter.DoubleToInt64Bits);

    /// <summary>Runs a recipe as its own OS process with <c>cobalt</c> on the PATH meaning the CLI built next to these tests.</summary>
    private async Task RunProcessAsync(string program, string[] arguments, Dictionary<string, string> environment)
    {
        var shim = Path.Combine(_folder, "bin");
        if (!File.Exists(Path.Combine(shim, "cobalt")))
        {
            Directory.CreateDirectory(shim);
            File.WriteAllText(Path.Combine(shim, "cobalt"), $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "cobalt.dll")}' \"$@\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(shim, "cobalt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        info.Environment["PATH"] = shim + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        info.Environment["COLUMNS"] = "200";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran for more than 3 minutes.");
        }
        process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', arguments)} printed:\n{await stdout}\n{await stderr}");
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "Cobalt.slnx")))
                {
                    return folder.FullName;
                }
            }
            throw new InvalidOperationException("Cobalt.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    private static string DefaultOf(string script, string variable) =>
        Regex.Match(script, $@"^{variable}=\$\{{{variable}:-([^}}]*)\}}", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no default for {variable}");

    private static string YamlValue(string yaml, string key) =>
        Regex.Match(yaml, $@"^\s*{key}:\s*(\S+)\s*$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no {key}");

    /// <summary>The container's <c>env</c> list (name/value pairs, values unquoted).</summary>
    private static Dictionary<string, string> EnvironmentOf(string yaml) =>
        EnvEntry().Matches(yaml).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim().Trim('"'));

    /// <summary>The one argument given to <c>/bin/sh -c</c>.</summary>
    private static string ShellArgument(string yaml)
    {
        yaml.Should().Contain("command: [\"/bin/sh\", \"-c\"]");
        return ArgsEntry().Match(yaml) is { Success: true } m ? m.Groups[1].Value.Trim() : throw new InvalidOperationException("no args");
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^#SBATCH --array=0-(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ArrayDirective();

    [GeneratedRegex(@"- name: (\w+)\s*\n\s*value: (.*)")]
    private static partial Regex EnvEntry();

    [GeneratedRegex(@"^\s*args:\s*\n\s*- (.*)$", RegexOptions.Multiline)]
    private static partial Regex ArgsEntry();
}
