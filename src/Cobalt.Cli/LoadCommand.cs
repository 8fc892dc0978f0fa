using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Reporting;
using Cobalt.Service.Client;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt load</c>: a bounded loopback load test of a running service from this (second) process. It creates a loop,
/// warms it up, then sends a fixed number of rank calls from concurrent workers, each followed by its reward (so the loop
/// learns throughout), and reports rank latency percentiles and throughput. Every call goes through the typed client
/// (<see cref="CobaltClient"/>), as an application would make it.
/// </summary>
internal static class LoadCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The service.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var adminKey = new Option<string?>("--admin-key") { Description = "The service's admin key (also read from COBALT_ADMIN_KEY)." };
        var requests = new Option<int>("--requests") { Description = "Rank calls measured (each followed by a reward).", DefaultValueFactory = _ => 20_000 };
        var warmup = new Option<int>("--warmup") { Description = "Rank calls sent before measuring.", DefaultValueFactory = _ => 2_000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent workers (connections).", DefaultValueFactory = _ => 8 };
        var actions = new Option<int>("--actions") { Description = "Actions per rank call.", DefaultValueFactory = _ => 50 };
        var features = new Option<int>("--features") { Description = "Features per action and of the context.", DefaultValueFactory = _ => 32 };
        var policy = new Option<string>("--policy") { Description = "The loop's policy specification (JSON).", DefaultValueFactory = _ => """{ "kind": "linucb-shared", "options": { "features": "user-then-item", "alpha": 0.5 } }""" };
        var namespaces = new Option<bool>("--namespaces") { Description = "Send JSON feature namespaces instead of vectors: the context as {\"user\": {..}} and each action as {\"item\": {..}}, half numbers and half strings, hashed by the service with the interaction user:item (loop option features)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated requests.", DefaultValueFactory = _ => 1 };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for results.md." };
        var evaluationClients = new Option<int>("--evaluation-clients")
        {
            Description = "Also measure ranks while a second loop runs evaluations: the measured calls run twice, first with that loop idle, then with this many clients asking it for evaluations (0: off).",
            DefaultValueFactory = _ => 0,
        };
        var evaluationEvents = new Option<int>("--evaluation-events") { Description = "Rewarded events logged in the evaluated loop before measuring.", DefaultValueFactory = _ => 5_000 };
        var command = new Command("load", "Load-test a running service over loopback: rank latency p50/p99 and throughput with learning on.")
        {
            url, adminKey, requests, warmup, concurrency, actions, features, policy, seed, output, evaluationClients, evaluationEvents, namespaces,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var plan = new LoadPlan(parse.GetValue(requests), parse.GetValue(warmup), parse.GetValue(concurrency), parse.GetValue(actions), parse.GetValue(features), parse.GetValue(namespaces));
            if (plan.Requests < 1 || plan.Warmup < 0 || plan.Concurrency < 1 || plan.Actions < 1 || plan.Features < 1)
            {
                return Errors.Report("--requests, --concurrency, --actions and --features must be at least 1, and --warmup at least 0.");
            }
            var evaluators = parse.GetValue(evaluationClients);
            var evaluatedEvents = parse.GetValue(evaluationEvents);
            if (evaluators < 0 || evaluatedEvents < 1)
            {
                return Errors.Report("--evaluation-clients must be at least 0 and --evaluation-events at least 1.");
            }
            if (evaluators > 0)
            {
                return await CompareAsync(parse.GetValue(url)!, parse.GetValue(adminKey) ?? Environment.GetEnvironmentVariable("COBALT_ADMIN_KEY"), parse.GetValue(policy)!,
                    plan, parse.GetValue(seed), evaluators, evaluatedEvents, parse.GetValue(output), cancellationToken);
            }
            if (Definition(parse.GetValue(policy)!) is not { } definition)
            {
                return Errors.Report("--policy must be a JSON policy specification such as { \"kind\": \"linucb-shared\", \"options\": { \"alpha\": 0.5 } }.");
            }
            using var client = Client(parse.GetValue(url)!, parse.GetValue(adminKey) ?? Environment.GetEnvironmentVariable("COBALT_ADMIN_KEY"), plan.Concurrency);
            try
            {
                var name = $"load-{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}";
                var loop = await CreateLoopAsync(client, name, definition, plan, cancellationToken);
                var bodies = Bodies(plan, parse.GetValue(seed));
                var result = await AnsiConsole.Progress().StartAsync(async context =>
                {
                    var warm = context.AddTask("warm-up", maxValue: Math.Max(1, plan.Warmup));
                    await RunAsync(loop, bodies, plan.Warmup, plan.Concurrency, () => warm.Increment(1), cancellationToken);
                    warm.Value = warm.MaxValue;
                    var measured = context.AddTask("rank + reward calls", maxValue: plan.Requests);
                    return await RunAsync(loop, bodies, plan.Requests, plan.Concurrency, () => measured.Increment(1), cancellationToken);
                });
                var learned = (await loop.GetAsync(cancellationToken)).LearnedSequence;
                var table = Report(plan, result, learned);
                AnsiConsole.Write(Tables.From(table));
                var folder = parse.GetValue(output);
                if (folder is not null)
                {
                    AtomicFile.WriteAllText(Path.Combine(folder.FullName, "results.md"), $"# Service load test\n\n{Describe(plan)}\n\n{table.ToMarkdown()}");
                    AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(folder.FullName)}[/]");
                }
                CliOutput.Document(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("command", "load");
                    WritePlan(w, plan);
                    WriteMeasures(w, plan, result);
                    w.WriteNumber("learnedSequence", learned);
                    if (folder is not null)
                    {
                        CliOutput.WriteReport(w, folder.FullName, ["results.md"]);
                    }
                    w.WriteEndObject();
                });
                return result.Failures == 0 ? 0 : Errors.Fail($"{result.Failures} calls failed; first: {result.FirstFailure}");
            }
            catch (HttpRequestException e)
            {
                return Errors.Report($"could not reach the service at {client.BaseAddress}: {e.Message} (start it with `cobalt serve`).");
            }
            catch (CobaltServiceException e)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary>
    /// The ranks of loop B measured twice, first while loop A is idle, then while <paramref name="evaluators"/> clients keep
    /// asking loop A for evaluations of its log (each for a different window, so none is answered from the cache; a 429
    /// is waited out as its Retry-After says). Reports both percentiles and their ratio.
    /// </summary>
    private static async Task<int> CompareAsync(string url, string? adminKey, string policy, LoadPlan plan, ulong seed, int evaluators, int evaluatedEvents,
        DirectoryInfo? output, CancellationToken cancellationToken)
    {
        if (Definition(policy) is not { } definition)
        {
            return Errors.Report("--policy must be a JSON policy specification such as { \"kind\": \"linucb-shared\", \"options\": { \"alpha\": 0.5 } }.");
        }
        using var rankClient = Client(url, adminKey, plan.Concurrency);
        using var evaluationClient = Client(url, adminKey, plan.Concurrency + evaluators, TimeSpan.FromMinutes(10));
        try
        {
            var stamp = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}";
            var ranks = await CreateLoopAsync(rankClient, $"load-{stamp}-b", definition, plan, cancellationToken);
            var evaluations = await CreateLoopAsync(evaluationClient, $"load-{stamp}-a", definition, plan, cancellationToken);
            var bodies = Bodies(plan, seed);
            var (idle, busy, done, refused) = await AnsiConsole.Progress().StartAsync(async context =>
            {
                var fill = context.AddTask($"log {evaluatedEvents:N0} events in loop A", maxValue: evaluatedEvents);
                await RunAsync(evaluations, bodies, evaluatedEvents, plan.Concurrency, () => fill.Increment(1), cancellationToken);
                var warm = context.AddTask("warm-up of loop B", maxValue: Math.Max(1, plan.Warmup));
                await RunAsync(ranks, bodies, plan.Warmup, plan.Concurrency, () => warm.Increment(1), cancellationToken);
                warm.Value = warm.MaxValue;
                var quiet = context.AddTask("loop B, loop A idle", maxValue: plan.Requests);
                var idle = await RunAsync(ranks, bodies, plan.Requests, plan.Concurrency, () => quiet.Increment(1), cancellationToken);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var counts = new int[2];
                var window = 0;
                var clients = Enumerable.Range(0, evaluators).Select(_ => Task.Run(() => EvaluateAsync(evaluations, evaluatedEvents, () => Interlocked.Increment(ref window), counts, stop.Token))).ToArray();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // let the first evaluations start
                var loaded = context.AddTask("loop B, loop A evaluating", maxValue: plan.Requests);
                var busy = await RunAsync(ranks, bodies, plan.Requests, plan.Concurrency, () => loaded.Increment(1), cancellationToken);
                await stop.CancelAsync();
                await Task.WhenAll(clients);
                return (idle, busy, counts[0], counts[1]);
            });
            var table = new MarkdownTable(new Reporting.TableColumn("Measure"), new Reporting.TableColumn("Loop A idle", ColumnAlignment.Right), new Reporting.TableColumn("Loop A evaluating", ColumnAlignment.Right));
            foreach (var (name, q) in new[] { ("rank p50 (ms)", 0.50), ("rank p90 (ms)", 0.90), ("rank p99 (ms)", 0.99) })
            {
                table.AddRow(name, Format.Number(Percentile(idle.RankMilliseconds, q), 3), Format.Number(Percentile(busy.RankMilliseconds, q), 3));
            }
            table.AddRow("rank calls per second", Format.Number(plan.Requests / idle.Seconds, 0), Format.Number(plan.Requests / busy.Seconds, 0));
            table.AddRow("failed calls", idle.Failures.ToString(CultureInfo.InvariantCulture), busy.Failures.ToString(CultureInfo.InvariantCulture));
            var ratio = Percentile(busy.RankMilliseconds, 0.99) / Percentile(idle.RankMilliseconds, 0.99);
            var summary = $"Loop B's rank p99 under loop A's evaluations is {ratio:F2}x its idle value; {done} evaluations of loop A answered, {refused} refused with 429 while measuring.";
            AnsiConsole.Write(Tables.From(table));
            if (!CliOutput.Json)
            {
                AnsiConsole.WriteLine(summary);
            }
            if (output is not null)
            {
                AtomicFile.WriteAllText(Path.Combine(output.FullName, "results.md"),
                    $"# Service load test: ranks while another loop evaluates\n\n{Describe(plan)} Loop A holds {evaluatedEvents:N0} rewarded events and is asked for evaluations by {evaluators} clients in the second run.\n\n{table.ToMarkdown()}\n{summary}\n");
                AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(output.FullName)}[/]");
            }
            CliOutput.Document(w =>
            {
                w.WriteStartObject();
                w.WriteString("command", "load");
                WritePlan(w, plan);
                w.WriteNumber("evaluationClients", evaluators);
                w.WriteNumber("evaluatedEvents", evaluatedEvents);
                w.WriteStartObject("loopAIdle");
                WriteMeasures(w, plan, idle);
                w.WriteEndObject();
                w.WriteStartObject("loopAEvaluating");
                WriteMeasures(w, plan, busy);
                w.WriteEndObject();
                w.WriteNumber("rankP99Ratio", ratio);
                w.WriteNumber("evaluationsAnswered", done);
                w.WriteNumber("evaluationsRefused", refused);
                if (output is not null)
                {
                    CliOutput.WriteReport(w, output.FullName, ["results.md"]);
                }
                w.WriteEndObject();
            });
            var failures = idle.Failures + busy.Failures;
            return failures == 0 ? 0 : Errors.Fail($"{failures} calls failed; first: {idle.FirstFailure ?? busy.FirstFailure}");
        }
        catch (HttpRequestException e)
        {
            return Errors.Report($"could not reach the service at {url}: {e.Message} (start it with `cobalt serve`).");
        }
        catch (CobaltServiceException e)
        {
            return Errors.Report(e.Message);
        }
    }

    /// <summary>Asks for evaluations of <paramref name="loop"/> until stopped: counts[0] answered, counts[1] refused (429, then waits its Retry-After).</summary>
    private static async Task EvaluateAsync(LoopClient loop, int events, Func<int> next, int[] counts, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            // A different window each time, so no answer comes from the service's cache.
            var last = Math.Max(1, events - (next() % Math.Max(1, events / 2)));
            try
            {
                await loop.EvaluateAsync(last, cancellationToken: stop);
                Interlocked.Increment(ref counts[0]);
            }
            catch (CobaltServiceException e) when (e.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref counts[1]);
                try
                {
                    await Task.Delay(e.RetryAfter ?? TimeSpan.FromSeconds(1), stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static CobaltClient Client(string url, string? adminKey, int connections, TimeSpan? timeout = null) =>
        new(new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(url),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        }, adminKey, disposeHttpClient: true);

    private static PolicyDefinition? Definition(string policy)
    {
        try
        {
            return JsonSerializer.Deserialize<PolicyDefinition>(policy, CobaltClient.JsonOptions) is { Kind.Length: > 0 } definition ? definition : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record LoadPlan(int Requests, int Warmup, int Concurrency, int Actions, int Features, bool Namespaces = false);

    /// <summary>One run's figures; the latencies sorted ascending (so percentiles read them directly).</summary>
    private sealed record LoadResult(double[] RankMilliseconds, double[] RewardMilliseconds, double Seconds, int Failures, string? FirstFailure);

    private static async Task<LoopClient> CreateLoopAsync(CobaltClient client, string loop, PolicyDefinition policy, LoadPlan plan, CancellationToken cancellationToken)
    {
        var features = plan.Features;
        var options = new LoopSettings
        {
            ContextDimension = features,
            ActionDimension = features,
            RewardWaitSeconds = 60,
            Features = plan.Namespaces ? new FeatureSettings { Input = "namespaces", Interactions = ["user:item"], MaxFeatures = features + (features * features) } : null,
        };
        var created = await client.CreateLoopAsync(loop, new LoopDefinition(policy, options), cancellationToken);
        return created.ApiKey is { } key
            ? client.ForLoop(loop, key)
            : throw new CobaltServiceException(HttpStatusCode.OK, $"loop '{loop}' already existed, so its key was not answered; load uses a new loop.", null, null);
    }

    /// <summary>256 rank requests over one action set with random contexts (generated up front so the client does little work per call).</summary>
    private static RankRequest[] Bodies(LoadPlan plan, ulong seed)
    {
        var rng = new Rng(seed);
        double Number() => Math.Round(rng.NextGaussian(), 4);
        double[] Vector() => [.. Enumerable.Range(0, plan.Features).Select(_ => Number())];
        // Namespaced: features f0.. alternate numbers and strings (one of 10 values), as many as --features.
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>[] Namespace(string name) =>
        [
            new Dictionary<string, IReadOnlyDictionary<string, JsonElement>>
            {
                [name] = Enumerable.Range(0, plan.Features).ToDictionary(i => $"f{i}", i => i % 2 == 0
                    ? JsonSerializer.SerializeToElement(Number())
                    : JsonSerializer.SerializeToElement($"v{rng.NextInt(10)}")),
            },
        ];
        var actions = Enumerable.Range(0, plan.Actions).Select(a => new RankAction($"item-{a}",
            plan.Namespaces ? ActionFeatures.FromNamespaces(Namespace("item")) : ActionFeatures.FromVector(Vector()))).ToArray();
        return [.. Enumerable.Range(0, 256).Select(_ => plan.Namespaces
            ? new RankRequest { ContextFeatures = Namespace("user"), Actions = actions }
            : new RankRequest { Context = Vector(), Actions = actions })];
    }

    /// <summary>Sends <paramref name="count"/> rank calls, each followed by a 0/1 reward, from <paramref name="concurrency"/> workers.</summary>
    private static async Task<LoadResult> RunAsync(LoopClient loop, RankRequest[] bodies, int count, int concurrency, Action progress, CancellationToken cancellationToken)
    {
        var rank = new double[count];
        var reward = new double[count];
        var next = -1;
        var failures = 0;
        string? first = null;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    RankResponse answer;
                    try
                    {
                        answer = await loop.RankAsync(bodies[i % bodies.Length], cancellationToken);
                    }
                    finally
                    {
                        rank[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    }
                    started = Stopwatch.GetTimestamp();
                    // Reward the lower-numbered half of the items, so there is something to learn.
                    var value = int.Parse(answer.Chosen.AsSpan("item-".Length), CultureInfo.InvariantCulture) % 2 == 0 ? 1 : 0;
                    try
                    {
                        await loop.RewardAsync(answer.EventId, value, cancellationToken: cancellationToken);
                    }
                    finally
                    {
                        reward[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or CobaltServiceException)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref first, e.Message, null);
                }
                progress();
            }
        }, cancellationToken)));
        Array.Sort(rank);
        Array.Sort(reward);
        return new LoadResult(rank, reward, clock.Elapsed.TotalSeconds, failures, first);
    }

    private static string Describe(LoadPlan plan) =>
        $"{plan.Requests:N0} rank calls (each followed by its reward) after {plan.Warmup:N0} warm-up calls, {plan.Concurrency} concurrent connections, " +
        $"{plan.Actions} actions x {plan.Features} features per call{(plan.Namespaces ? " (JSON namespaces, hashed with user:item interactions)" : "")}, {Environment.ProcessorCount} cores on this machine, learning on.";

    private static MarkdownTable Report(LoadPlan plan, LoadResult result, long learned)
    {
        var table = new MarkdownTable(new Reporting.TableColumn("Measure"), new Reporting.TableColumn("Value", ColumnAlignment.Right));
        table.AddRow("rank p50 (ms)", Format.Number(Percentile(result.RankMilliseconds, 0.50), 3));
        table.AddRow("rank p90 (ms)", Format.Number(Percentile(result.RankMilliseconds, 0.90), 3));
        table.AddRow("rank p99 (ms)", Format.Number(Percentile(result.RankMilliseconds, 0.99), 3));
        table.AddRow("rank max (ms)", Format.Number(result.RankMilliseconds[^1], 3));
        table.AddRow("reward p99 (ms)", Format.Number(Percentile(result.RewardMilliseconds, 0.99), 3));
        table.AddRow("rank calls per second", Format.Number(plan.Requests / result.Seconds, 0));
        table.AddRow("HTTP calls per second (rank + reward)", Format.Number(2 * plan.Requests / result.Seconds, 0));
        table.AddRow("learned up to log sequence", learned.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("failed calls", result.Failures.ToString(CultureInfo.InvariantCulture));
        return table;
    }

    /// <summary>With --json: the plan as <c>"plan": {"requests", "warmup", "concurrency", "actions", "features", "namespaces"}</c>.</summary>
    private static void WritePlan(Utf8JsonWriter w, LoadPlan plan)
    {
        w.WriteStartObject("plan");
        w.WriteNumber("requests", plan.Requests);
        w.WriteNumber("warmup", plan.Warmup);
        w.WriteNumber("concurrency", plan.Concurrency);
        w.WriteNumber("actions", plan.Actions);
        w.WriteNumber("features", plan.Features);
        w.WriteBoolean("namespaces", plan.Namespaces);
        w.WriteEndObject();
    }

    /// <summary>With --json: the measured calls' figures, as in the table (milliseconds; calls per second).</summary>
    private static void WriteMeasures(Utf8JsonWriter w, LoadPlan plan, LoadResult result)
    {
        w.WriteNumber("rankP50Ms", Percentile(result.RankMilliseconds, 0.50));
        w.WriteNumber("rankP90Ms", Percentile(result.RankMilliseconds, 0.90));
        w.WriteNumber("rankP99Ms", Percentile(result.RankMilliseconds, 0.99));
        w.WriteNumber("rankMaxMs", result.RankMilliseconds[^1]);
        w.WriteNumber("rewardP99Ms", Percentile(result.RewardMilliseconds, 0.99));
        w.WriteNumber("rankPerSecond", plan.Requests / result.Seconds);
        w.WriteNumber("httpCallsPerSecond", 2 * plan.Requests / result.Seconds);
        w.WriteNumber("failedCalls", result.Failures);
    }

    /// <summary>The nearest-rank percentile of values sorted ascending.</summary>
    private static double Percentile(double[] sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
