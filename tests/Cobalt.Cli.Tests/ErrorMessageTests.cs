using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Cobalt.Simulation.Tests;

namespace Cobalt.Cli.Tests;

/// <summary>
/// What a user sees when something is wrong: one plain line naming the bad thing (option, value, file, line, policy, port, path),
/// never a .NET type name, a <c>(Parameter 'x')</c> suffix or a stack trace; exit code 2 for usage and input errors, 1 when a
/// policy failed while running (the report of the others is written).
/// </summary>
public sealed class ErrorMessageTests : IDisposable
{
    private static readonly string[] Forbidden = ["(Parameter '", "System.", "Exception", "   at ", "LineNumber", "BytePositionInLine", "Nullable`1"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-errors-" + Guid.NewGuid().ToString("N"));

    public ErrorMessageTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Experiment(string world, string policy) => $$"""
        { "name": "e", "trials": 1, "iterations": 20, "world": {{world}}, "policies": [ { "kind": "random" }, {{policy}} ] }
        """;

    private const string Linear = """{ "kind": "linear", "options": { "dimension": 4, "arms": 5 } }""";

    /// <summary>Bad invocations and bad files, each with the exit code and the words the message must contain.</summary>
    private IEnumerable<(string[] Args, int Exit, string[] Names)> Corpus()
    {
        yield return (["run", "--foo"], 2, ["unknown option '--foo'"]);
        yield return (["run", "--trials", "abc"], 2, ["--trials", "'abc' is not a whole number"]);
        yield return (["run", "--seed", "x1"], 2, ["--seed", "'x1'"]);
        yield return (["run", "--parallelism", "1.5"], 2, ["--parallelism", "'1.5'"]);
        yield return (["policies", "--bar"], 2, ["unknown option '--bar'", "cobalt policies"]);
        yield return (["nosuch"], 2, ["unknown command 'nosuch'"]);
        yield return (["data"], 2, ["cobalt data needs a command"]);
        yield return (["run", Path.Combine(_folder, "missing.json")], 2, ["missing.json", "does not exist"]);
        yield return (["run", "--preset", "nope"], 2, ["nope"]);
        yield return (["run", "--preset", "linear", "--shard", "5/2"], 2, ["5/2"]);
        yield return (["run", Write("syntax.json", "{\n  \"name\": \"x\",\n  \"trials\" 3\n}")], 2, ["syntax.json", "line 3, column"]);
        yield return (["run", Write("features.json", Experiment(Linear, """{ "kind": "glm-ucb", "options": { "features": "user-outer-item" } }"""))], 2,
            ["features.json", "policies[1] (glm-ucb).options.features", "'user-outer-item'", "world 'linear'"]);
        yield return (["run", Write("clicks.json", Experiment(Linear, """{ "kind": "glm-ucb" }"""))], 2,
            ["clicks.json", "policies[1] (glm-ucb)", "learns from clicks", "world 'linear'"]);
        yield return (["run", Write("kind.json", Experiment(Linear, """{ "kind": "lin-ucb" }"""))], 2, ["kind.json", "unknown policy 'lin-ucb'"]);
        yield return (["serve", "--insecure-local", "--db", Path.Combine(_folder, "no-such-folder", "x.db")], 2, [Path.Combine(_folder, "no-such-folder")]);
        yield return (["serve", "--insecure-local", "--db", _folder], 2, ["--db", _folder, "is a folder"]);
        var garbage = Write("garbage.db", new string('x', 200));
        yield return (["serve", "--insecure-local", "--urls", $"http://127.0.0.1:{FreePort()}", "--db", garbage], 2, ["--db", garbage, "not a database"]);
        yield return (["evaluate", "--loop", "demo", "--db", garbage], 2, ["--db", garbage, "not a database"]);
        yield return (["merge", Path.Combine(_folder, "no-shards"), "--out", Path.Combine(_folder, "merged")], 2, ["no-shards"]);
        yield return (["data", "info", Path.Combine(_folder, "no-data")], 2, ["no-data"]);
    }

    /// <summary>The console's text with its line wrapping undone (the test console is 80 columns wide).</summary>
    private static string Unwrapped(string text) => Regex.Replace(text, @"[ \t]*\r?\n[ \t]*", " ");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void Every_message_in_the_corpus_names_the_bad_thing_in_plain_words()
    {
        foreach (var (args, exit, names) in Corpus())
        {
            var (code, console, output, error) = CliRunner.RunCaptured(args);
            var all = console + output + error;
            var because = $"cobalt {string.Join(' ', args)} printed:\n{all}";

            code.Should().Be(exit, because);
            foreach (var name in names)
            {
                Unwrapped(all).Should().Contain(name, because);
            }
            foreach (var word in Forbidden)
            {
                all.Should().NotContain(word, because);
            }
            all.Split("error:").Length.Should().Be(2, $"one problem, one error line: {because}");
        }
    }

    [Fact]
    public void Serve_on_a_busy_port_names_the_port_and_exits_2()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (code, console, output, error) = CliRunner.RunCaptured("serve", "--insecure-local", "--urls", $"http://127.0.0.1:{port}", "--db", Path.Combine(_folder, "s.db"));

        var all = console + output + error;
        code.Should().Be(2, all);
        Unwrapped(all).Should().Contain($"port {port} is already in use").And.NotContain("   at ").And.NotContain("Exception").And.NotContain("Cobalt service on");
    }

    [Fact]
    public void A_policy_that_fails_mid_run_exits_1_and_the_others_results_are_written()
    {
        FailingPolicy.Register();
        var file = Write("fragile.json", $$"""
            { "name": "fragile", "trials": 2, "iterations": 30,
              "world": { "kind": "catalogue", "options": { "items": 50, "topics": 4, "users": 5, "latent-dimension": 3 } },
              "policies": [ { "kind": "random" }, { "kind": "{{FailingPolicy.Kind}}", "name": "fragile", "options": { "fail-at": 4 } }, { "kind": "linucb-shared" } ] }
            """);
        var report = Path.Combine(_folder, "report");

        var (code, console, output, error) = CliRunner.RunCaptured("run", file, "--out", report);

        var all = console + output + error;
        code.Should().Be(1, all);
        Unwrapped(all).Should().Contain("policy 'fragile' (test-fails-at) failed in trial 1, round 4: The model's weights overflowed.").And.NotContain("(Parameter");
        var results = File.ReadAllText(Path.Combine(report, "results.md"));
        results.Should().Contain("| random").And.Contain("| linucb-shared").And.Contain("failed in trial 1, round 4");
        File.ReadAllLines(Path.Combine(report, "curves.csv")).Should().HaveCount(1 + 2 * 30, "the two policies that ran keep their curves");
    }
}
