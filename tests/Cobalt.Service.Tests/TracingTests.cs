using System.Net;
using System.Text;
using Cobalt.Service.Client;

namespace Cobalt.Service.Tests;

/// <summary>
/// OpenTelemetry traces: a <c>cobalt serve</c> process configured with an OTLP endpoint (HTTP/protobuf) exports the spans
/// cobalt.rank, cobalt.reward, cobalt.store.append and cobalt.learn to it. The collector here is a loopback HTTP listener
/// that keeps the request bodies; span names and attribute values are plain UTF-8 strings in OTLP's protobuf, so the test
/// finds them there without a protobuf library.
/// </summary>
public class TracingTests
{
    [Fact]
    public async Task Without_an_otlp_endpoint_no_listener_is_registered_so_the_spans_are_never_created()
    {
        await using var service = await RunningService.StartAsync();
        using var client = new CobaltClient(service.Address, service.Settings.AdminKey);
        var created = await client.CreateLoopAsync("quiet", new LoopDefinition(new PolicyDefinition("linucb-shared"), new LoopSettings { ContextDimension = 1, ActionDimension = 1 }));
        var ranked = await client.ForLoop("quiet", created.ApiKey!).RankAsync(new RankRequest { Context = [1], Actions = [new("a", new[] { 1.0 })] });
        ranked.Chosen.Should().Be("a");
        Api.ServiceTracing.Source.HasListeners().Should().BeFalse("no trace provider runs without Cobalt:Telemetry:OtlpEndpoint");
        Api.ServiceTracing.Start(Api.ServiceTracing.Rank, "quiet").Should().BeNull();
    }

    [Fact]
    public async Task Spans_of_rank_reward_store_append_and_learning_reach_the_configured_otlp_collector()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-traces-").FullName;
        var collectorPort = RunningService.FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{collectorPort}/");
        collector.Start();
        var received = new List<byte[]>();
        var paths = new List<string>();
        using var stop = new CancellationTokenSource();
        var collecting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync().WaitAsync(stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received)
                {
                    received.Add(body.ToArray());
                    paths.Add(context.Request.Url!.AbsolutePath);
                }
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        });
        try
        {
            var port = RunningService.FreePort();
            var address = new Uri($"http://127.0.0.1:{port}");
            using var server = ConfiguredProcess.Start(folder, new Dictionary<string, string>
            {
                ["Cobalt__AdminKey"] = "admin",
                ["Cobalt__Urls"] = address.ToString().TrimEnd('/'),
                ["Cobalt__LearnInterval"] = "00:00:00.100",
                ["Cobalt__Telemetry__OtlpEndpoint"] = $"http://127.0.0.1:{collectorPort}/v1/traces",
                ["Cobalt__Telemetry__OtlpProtocol"] = "http/protobuf",
                ["Cobalt__Telemetry__ServiceName"] = "cobalt-traced",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            });
            await server.WaitUntilServingAsync(address);
            using var client = new CobaltClient(address, "admin");
            var created = await client.CreateLoopAsync("traced", new LoopDefinition(new PolicyDefinition("linucb-shared"), new LoopSettings { ContextDimension = 2, ActionDimension = 2 }));
            var loop = client.ForLoop("traced", created.ApiKey!);
            for (var i = 0; i < 3; i++)
            {
                var ranked = await loop.RankAsync(new RankRequest { Context = [0.5, -1], Actions = [new("a", new[] { 1.0, 0 }), new("b", new[] { 0.0, 1 })] });
                (await loop.RewardAsync(ranked.EventId, 1)).Accepted.Should().BeTrue();
            }
            string[] wanted = ["cobalt.rank", "cobalt.reward", "cobalt.store.append", "cobalt.learn", "Cobalt.Service", "cobalt-traced", "traced", "cobalt.event_id"];
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            string[] missing = wanted;
            while (DateTime.UtcNow < deadline)
            {
                string all;
                lock (received)
                {
                    all = string.Concat(received.Select(Encoding.Latin1.GetString));
                }
                missing = [.. wanted.Where(w => !all.Contains(w, StringComparison.Ordinal))];
                if (missing.Length == 0)
                {
                    break;
                }
                await Task.Delay(200);
            }
            missing.Should().BeEmpty($"the collector got {received.Count} exports; serve said:\n{server.Output}");
            lock (received)
            {
                paths.Should().OnlyContain(p => p == "/v1/traces");
            }
            await server.StopAsync();
        }
        finally
        {
            await stop.CancelAsync();
            collector.Stop();
            await collecting;
            Directory.Delete(folder, recursive: true);
        }
    }
}
