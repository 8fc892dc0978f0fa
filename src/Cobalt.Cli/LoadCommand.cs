using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;
using Cobalt.Reporting;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt load</c>: a bounded loopback load test of a running service from this (second) process. It creates a loop,
/// warms it up, then sends a fixed number of rank calls from concurrent workers, each followed by its reward (so the loop
/// learns throughout), and reports rank latency percentiles and throughput.
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
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = plan.Concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                BaseAddress = new Uri(parse.GetValue(url)!),
                Timeout = TimeSpan.FromSeconds(30),
            };
            try
            {
                var loop = $"load-{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}";
                var key = await CreateLoopAsync(client, loop, parse.GetValue(policy)!, plan, parse.GetValue(adminKey) ?? Environment.GetEnvironmentVariable("COBALT_ADMIN_KEY"), cancellationToken);
                client.DefaultRequestHeaders.Add("X-Api-Key", key);
                var bodies = Bodies(plan, parse.GetValue(seed));
                var result = await AnsiConsole.Progress().StartAsync(async context =>
                {
                    var warm = context.AddTask("warm-up", maxValue: Math.Max(1, plan.Warmup));
                    await RunAsync(client, loop, bodies, plan.Warmup, plan.Concurrency, () => warm.Increment(1), cancellationToken);
                    warm.Value = warm.MaxValue;
                    var measured = context.AddTask("rank + reward calls", maxValue: plan.Requests);
                    return await RunAsync(client, loop, bodies, plan.Requests, plan.Concurrency, () => measured.Increment(1), cancellationToken);
                });
                using var state = JsonDocument.Parse(await client.GetStringAsync(new Uri($"/loops/{loop}", UriKind.Relative), cancellationToken));
                var learned = state.RootElement.GetProperty("learnedSequence").GetInt64();
                var table = Report(plan, result, learned);
                AnsiConsole.Write(Tables.From(table));
                if (parse.GetValue(output) is { } folder)
                {
                    AtomicFile.WriteAllText(Path.Combine(folder.FullName, "results.md"), $"# Service load test\n\n{Describe(plan)}\n\n{table.ToMarkdown()}");
                    AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(folder.FullName)}[/]");
                }
                return result.Failures == 0 ? 0 : Errors.Fail($"{result.Failures} calls failed; first: {result.FirstFailure}");
            }
            catch (HttpRequestException e)
            {
                return Errors.Report($"could not reach the service at {client.BaseAddress}: {e.Message} (start it with `cobalt serve`).");
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
        using var ranks = Client(url, plan.Concurrency);
        using var evaluations = Client(url, plan.Concurrency + evaluators);
        evaluations.Timeout = TimeSpan.FromMinutes(10);
        try
        {
            var stamp = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}";
            var ranked = $"load-{stamp}-b";
            var evaluated = $"load-{stamp}-a";
            ranks.DefaultRequestHeaders.Add("X-Api-Key", await CreateLoopAsync(ranks, ranked, policy, plan, adminKey, cancellationToken));
            evaluations.DefaultRequestHeaders.Add("X-Api-Key", await CreateLoopAsync(evaluations, evaluated, policy, plan, adminKey, cancellationToken));
            var bodies = Bodies(plan, seed);
            var (idle, busy, done, refused) = await AnsiConsole.Progress().StartAsync(async context =>
            {
                var fill = context.AddTask($"log {evaluatedEvents:N0} events in loop A", maxValue: evaluatedEvents);
                await RunAsync(evaluations, evaluated, bodies, evaluatedEvents, plan.Concurrency, () => fill.Increment(1), cancellationToken);
                var warm = context.AddTask("warm-up of loop B", maxValue: Math.Max(1, plan.Warmup));
                await RunAsync(ranks, ranked, bodies, plan.Warmup, plan.Concurrency, () => warm.Increment(1), cancellationToken);
                warm.Value = warm.MaxValue;
                var quiet = context.AddTask("loop B, loop A idle", maxValue: plan.Requests);
                var idle = await RunAsync(ranks, ranked, bodies, plan.Requests, plan.Concurrency, () => quiet.Increment(1), cancellationToken);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var counts = new int[2];
                var window = 0;
                var clients = Enumerable.Range(0, evaluators).Select(_ => Task.Run(() => EvaluateAsync(evaluations, evaluated, evaluatedEvents, () => Interlocked.Increment(ref window), counts, stop.Token))).ToArray();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // let the first evaluations start
                var loaded = context.AddTask("loop B, loop A evaluating", maxValue: plan.Requests);
                var busy = await RunAsync(ranks, ranked, bodies, plan.Requests, plan.Concurrency, () => loaded.Increment(1), cancellationToken);
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
            AnsiConsole.WriteLine(summary);
            if (output is not null)
            {
                AtomicFile.WriteAllText(Path.Combine(output.FullName, "results.md"),
                    $"# Service load test: ranks while another loop evaluates\n\n{Describe(plan)} Loop A holds {evaluatedEvents:N0} rewarded events and is asked for evaluations by {evaluators} clients in the second run.\n\n{table.ToMarkdown()}\n{summary}\n");
                AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(output.FullName)}[/]");
            }
            var failures = idle.Failures + busy.Failures;
            return failures == 0 ? 0 : Errors.Fail($"{failures} calls failed; first: {idle.FirstFailure ?? busy.FirstFailure}");
        }
        catch (HttpRequestException e)
        {
            return Errors.Report($"could not reach the service at {url}: {e.Message} (start it with `cobalt serve`).");
        }
    }

    /// <summary>Asks for evaluations of <paramref name="loop"/> until stopped: counts[0] answered, counts[1] refused (429, then waits its Retry-After).</summary>
    private static async Task EvaluateAsync(HttpClient client, string loop, int events, Func<int> next, int[] counts, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            // A different window each time, so no answer comes from the service's cache.
            var last = Math.Max(1, events - (next() % Math.Max(1, events / 2)));
            try
            {
                using var response = await client.GetAsync(new Uri($"/loops/{loop}/evaluations?last={last}", UriKind.Relative), stop);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref counts[1]);
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    await Task.Delay(wait, stop);
                    continue;
                }
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref counts[0]);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static HttpClient Client(string url, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(url),
            Timeout = TimeSpan.FromSeconds(30),
        };

    private sealed record LoadPlan(int Requests, int Warmup, int Concurrency, int Actions, int Features, bool Namespaces = false);

    private sealed record LoadResult(double[] RankMilliseconds, double[] RewardMilliseconds, double Seconds, int Failures, string? FirstFailure);

    private static async Task<string> CreateLoopAsync(HttpClient client, string loop, string policy, LoadPlan plan, string? adminKey, CancellationToken cancellationToken)
    {
        var features = plan.Features;
        var named = plan.Namespaces ? $$""", "features": { "input": "namespaces", "interactions": ["user:item"], "max-features": {{features + (features * features)}} }""" : "";
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/loops/{loop}", UriKind.Relative))
        {
            Content = new StringContent($$"""{ "policy": {{policy}}, "options": { "context-dimension": {{features}}, "action-dimension": {{features}}, "reward-wait-seconds": 60{{named}} } }""", Encoding.UTF8, "application/json"),
        };
        if (adminKey is not null)
        {
            request.Headers.Add("X-Admin-Key", adminKey);
        }
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new HttpRequestException($"creating loop '{loop}' answered {(int)response.StatusCode}: {body}");
        }
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("apiKey").GetString()!;
    }

    /// <summary>256 rank bodies over one action set with random contexts (generated up front so the client does little work per call).</summary>
    private static byte[][] Bodies(LoadPlan plan, ulong seed)
    {
        var rng = new Rng(seed);
        string Vector() => "[" + string.Join(",", Enumerable.Range(0, plan.Features).Select(_ => rng.NextGaussian().ToString("F4", CultureInfo.InvariantCulture))) + "]";
        // Namespaced: features f0.. alternate numbers and strings (one of 10 values), as many as --features.
        string Namespace(string name) => $$"""{"{{name}}":{""" + string.Join(",", Enumerable.Range(0, plan.Features).Select(i => i % 2 == 0
            ? $"\"f{i}\":{rng.NextGaussian().ToString("F4", CultureInfo.InvariantCulture)}"
            : $"\"f{i}\":\"v{rng.NextInt(10)}\"")) + "}}";
        var actions = string.Join(",", Enumerable.Range(0, plan.Actions).Select(a => plan.Namespaces
            ? $$"""{"id":"item-{{a}}","features":[{{Namespace("item")}}]}"""
            : $$"""{"id":"item-{{a}}","features":{{Vector()}}}"""));
        return Enumerable.Range(0, 256).Select(_ => Encoding.UTF8.GetBytes(plan.Namespaces
            ? $$"""{"contextFeatures":[{{Namespace("user")}}],"actions":[{{actions}}]}"""
            : $$"""{"context":{{Vector()}},"actions":[{{actions}}]}""")).ToArray();
    }

    /// <summary>Sends <paramref name="count"/> rank calls, each followed by a 0/1 reward, from <paramref name="concurrency"/> workers.</summary>
    private static async Task<LoadResult> RunAsync(HttpClient client, string loop, byte[][] bodies, int count, int concurrency, Action progress, CancellationToken cancellationToken)
    {
        var rank = new double[count];
        var reward = new double[count];
        var next = -1;
        var failures = 0;
        string? first = null;
        var rankPath = new Uri($"/loops/{loop}/rank", UriKind.Relative);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    using var content = new ByteArrayContent(bodies[i % bodies.Length]);
                    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    using var response = await client.PostAsync(rankPath, content, cancellationToken);
                    var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                    rank[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    response.EnsureSuccessStatusCode();
                    using var answer = JsonDocument.Parse(body);
                    var eventId = answer.RootElement.GetProperty("eventId").GetString();
                    var chosen = answer.RootElement.GetProperty("chosen").GetString()!;
                    started = Stopwatch.GetTimestamp();
                    // Reward the lower-numbered half of the items, so there is something to learn.
                    var value = int.Parse(chosen.AsSpan("item-".Length), CultureInfo.InvariantCulture) % 2 == 0 ? 1 : 0;
                    using var rewardContent = new StringContent($$"""{"value":{{value}}}""", Encoding.UTF8, "application/json");
                    using var rewarded = await client.PostAsync(new Uri($"/loops/{loop}/events/{eventId}/reward", UriKind.Relative), rewardContent, cancellationToken);
                    reward[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    rewarded.EnsureSuccessStatusCode();
                }
                catch (HttpRequestException e)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref first, e.Message, null);
                }
                progress();
            }
        }, cancellationToken)));
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
        table.AddRow("rank max (ms)", Format.Number(result.RankMilliseconds.Max(), 3));
        table.AddRow("reward p99 (ms)", Format.Number(Percentile(result.RewardMilliseconds, 0.99), 3));
        table.AddRow("rank calls per second", Format.Number(plan.Requests / result.Seconds, 0));
        table.AddRow("HTTP calls per second (rank + reward)", Format.Number(2 * plan.Requests / result.Seconds, 0));
        table.AddRow("learned up to log sequence", learned.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("failed calls", result.Failures.ToString(CultureInfo.InvariantCulture));
        return table;
    }

    /// <summary>The nearest-rank percentile.</summary>
    private static double Percentile(double[] values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
