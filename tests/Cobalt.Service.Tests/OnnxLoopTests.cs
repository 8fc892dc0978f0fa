using System.Globalization;
using System.Net;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Service.Features;
using Cobalt.Service.Loops;
using Microsoft.Extensions.DependencyInjection;

namespace Cobalt.Service.Tests;

/// <summary>
/// Issue 16, ONNX two-tower models: a loop embeds the context and the actions with an ONNX model and explores over the
/// embeddings. The model is <c>Reference/two_tower.onnx</c> (1.7 KB), exported from PyTorch together with its own outputs
/// on fixed inputs (<c>Reference/two_tower.json</c>) by
/// <c>/usr/bin/python3 tests/Cobalt.Service.Tests/Reference/two_tower.py</c> (Debian's torch 1.13, opset 13): inputs
/// "context" [1, 6] and "actions" [n, 5], outputs "user" [1, 4] and "items" [n, 4].
/// </summary>
public class OnnxLoopTests
{
    private static readonly string ModelPath = Path.Combine(AppContext.BaseDirectory, "Reference", "two_tower.onnx");

    private static JsonElement Cases => JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "two_tower.json"))).RootElement.GetProperty("cases");

    private static double[] Row(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    private static double[] Rows(JsonElement matrix) => [.. matrix.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble()))];

    private static string Json(IEnumerable<double> values) => "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static string Definition(string extra = "", int dimension = 4, int actionDimension = 5) => $$"""
        { "policy": { "kind": "linucb-shared", "options": { "features": "item", "alpha": 0.3 } },
          "options": { "context-dimension": {{dimension}}, "action-dimension": {{actionDimension}}, "epsilon": 0.1,
                       "features": { "onnx": { "model": {{JsonSerializer.Serialize(ModelPath)}} {{extra}} } } } }
        """;

    [Fact]
    public void Onnx_runtime_gives_pytorchs_embeddings()
    {
        var model = OnnxEmbedderFor(new OnnxOptions { Model = ModelPath });
        (model.ContextDimension, model.ActionDimension, model.EmbeddingDimension).Should().Be((6, 5, 4));
        var worst = 0.0;
        foreach (var c in Cases.EnumerateArray())
        {
            var actions = Rows(c.GetProperty("actions"));
            var n = actions.Length / 5;
            var user = new double[4];
            var items = new double[n * 4];
            model.Embed(Row(c.GetProperty("context")), actions, n, user, items);
            var expected = Row(c.GetProperty("user")).Concat(Rows(c.GetProperty("items"))).ToArray();
            var got = user.Concat(items).ToArray();
            got.Should().HaveCount(expected.Length);
            worst = Math.Max(worst, got.Zip(expected, (x, y) => Math.Abs(x - y)).Max());
        }
        worst.Should().BeLessThan(1e-5, "ONNX Runtime and PyTorch run the same float32 graph");
    }

    private static OnnxEmbedder OnnxEmbedderFor(OnnxOptions options) => OnnxEmbedder.Load(options);

    [Fact]
    public async Task A_loop_explores_over_the_products_of_the_two_towers_and_logs_them()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("towers", Definition());
        var c = Cases[2]; // 7 actions
        var actions = Rows(c.GetProperty("actions"));
        var body = $$"""
            { "eventId": "t1", "context": {{Json(Row(c.GetProperty("context")))}},
              "actions": [ {{string.Join(", ", Enumerable.Range(0, 7).Select(i => $$"""{ "id": "a{{i}}", "features": {{Json(actions.Skip(i * 5).Take(5))}} }"""))}} ] }
            """;
        var (status, answer) = await service.PostAsync("/loops/towers/rank", key, body);
        status.Should().Be(HttpStatusCode.OK, answer.ToString());
        var probabilities = answer.GetProperty("probabilities").EnumerateArray().Select(p => p.GetProperty("probability").GetDouble()).ToArray();
        probabilities.Sum().Should().BeApproximately(1, 1e-12);
        probabilities.Min().Should().BeApproximately(0.1 / 7, 1e-12, "epsilon-greedy over 7 actions keeps every action possible");

        var user = Row(c.GetProperty("user"));
        var items = Rows(c.GetProperty("items"));
        var product = Enumerable.Range(0, 7).SelectMany(a => items.Skip(a * 4).Take(4).Select((v, j) => v * user[j]).Append(1.0)).ToArray();
        var stored = (await service.Services.GetRequiredService<LoopRegistry>().Store.GetEventAsync("towers", "t1", CancellationToken.None))!.Decision;
        stored.Context.Should().Equal(user, (x, y) => Math.Abs(x - y) < 1e-5);
        stored.ActionFeatures.Should().Equal(product, (x, y) => Math.Abs(x - y) < 1e-5);

        // The raw widths are the model's: 5 per action, 6 for the context.
        (status, answer) = await service.PostAsync("/loops/towers/rank", key, """{ "context": [1, 2, 3, 4, 5, 6], "actions": [ { "id": "a", "features": [1, 2, 3, 4] } ] }""");
        status.Should().Be(HttpStatusCode.BadRequest);
        answer.GetProperty("error").GetString().Should().Be("actions[0].features has 4 values; this loop expects 5.");
        (status, answer) = await service.PostAsync("/loops/towers/rank", key, """{ "actions": [ { "id": "a", "features": [1, 2, 3, 4, 5] } ] }""");
        status.Should().Be(HttpStatusCode.BadRequest);
        answer.GetProperty("error").GetString().Should().Contain("context is missing").And.Contain("6");
    }

    /// <summary>
    /// Served through the tower products, LinUCB learns which embedding directions pay: the reward is the model's own score
    /// 0.5 + u . v_a (clipped to [0, 1]; a world where the model is right), and after 1,000 rounds the loop picks the action of
    /// highest score far more often than the 1 in 3 of chance. (Without the constant feature the baseline 0.5 is fitted
    /// through the products, which are alike across actions here, and this loop picked the best action 5 times in 100.)
    /// </summary>
    [Fact]
    public async Task A_two_tower_loop_learns_to_follow_a_good_model()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("follow", Definition());
        var rng = new Random(4); // test data only
        double[] Gaussian(int n) => [.. Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 2 - 1, 3))];
        var model = OnnxEmbedder.Load(new OnnxOptions { Model = ModelPath });
        async Task<double> Round(int i)
        {
            var context = Gaussian(6);
            var actions = Gaussian(15);
            var user = new double[4];
            var items = new double[12];
            model.Embed(context, actions, 3, user, items);
            var scores = Enumerable.Range(0, 3).Select(a => Enumerable.Range(0, 4).Sum(j => user[j] * items[(a * 4) + j])).ToArray();
            var best = Array.IndexOf(scores, scores.Max());
            var body = $$"""
                { "eventId": "f{{i}}", "context": {{Json(context)}},
                  "actions": [ {{string.Join(", ", Enumerable.Range(0, 3).Select(a => $$"""{ "id": "a{{a}}", "features": {{Json(actions.Skip(a * 5).Take(5))}} }"""))}} ] }
                """;
            var (status, answer) = await service.PostAsync("/loops/follow/rank", key, body);
            status.Should().Be(HttpStatusCode.OK, answer.ToString());
            var chosen = int.Parse(answer.GetProperty("chosen").GetString()![1..], CultureInfo.InvariantCulture);
            var reward = Math.Clamp(0.5 + scores[chosen], 0, 1);
            (await service.PostAsync($"/loops/follow/events/f{i}/reward", key, $$"""{ "value": {{reward.ToString("R", CultureInfo.InvariantCulture)}} }""")).Status.Should().Be(HttpStatusCode.OK);
            return chosen == best ? 1 : 0;
        }
        var early = 0.0;
        for (var i = 0; i < 1000; i++)
        {
            early += i < 100 ? await Round(i) : 0;
            if (i >= 100)
            {
                await Round(i);
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await service.GetAsync("/loops/follow", key)).GetProperty("learnedSequence").GetInt64() < 1000 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var late = 0.0;
        for (var i = 1000; i < 1200; i++)
        {
            late += await Round(i);
        }
        Console.WriteLine($"two-tower loop: best action chosen {early} of the first 100 rounds, {late} of 200 after 1,000");
        late.Should().BeGreaterThan(140, "chance is 67 of 200, and epsilon 0.1 alone costs about 13");
    }

    [Fact]
    public async Task A_model_that_does_not_fit_is_refused_at_creation_naming_the_option()
    {
        await using var service = await RunningService.StartAsync();
        foreach (var (definition, expected) in new[]
        {
            (Definition(dimension: 3), "options.context-dimension: the ONNX model's embeddings have 4 values"),
            (Definition(actionDimension: 4), "options.action-dimension: the ONNX model's embeddings have 4 values; with onnx.actions product set action-dimension to 5"),
            (Definition(""", "user-output": "embedding" """), "options.features.onnx.user-output: '"),
            (Definition(""", "sha256": "00000000000000000000000000000000000000000000000000000000000000ff" """), "options.features.onnx.sha256"),
            (Definition().Replace("two_tower.onnx", "missing.onnx", StringComparison.Ordinal), "options.features.onnx.model: there is no file"),
            (Definition().Replace("two_tower.onnx", "two_tower.json", StringComparison.Ordinal), "options.features.onnx.model: ONNX Runtime cannot load"),
        })
        {
            var created = await service.SendRawAsync(HttpMethod.Put, "/loops/bad", definition, adminKey: "admin-secret");
            created.Status.Should().Be(HttpStatusCode.BadRequest, created.Body);
            created.Body.Should().Contain(expected);
        }
        Action wrong = () => OnnxEmbedder.Load(new OnnxOptions { Model = ModelPath, ActionsInput = "items" });
        wrong.Should().Throw<OptionsException>().Which.Field.Should().Be("actions-input");
    }

    [Fact]
    public async Task Namespaces_can_feed_the_towers()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("named", Definition(""", "actions": "item" """, actionDimension: 4).Replace("\"onnx\"", "\"input\": \"namespaces\", \"onnx\"", StringComparison.Ordinal));
        var (status, answer) = await service.PostAsync("/loops/named/rank", key, """
            { "eventId": "n1", "contextFeatures": [ { "user": { "tier": "gold", "age": 0.3 } } ],
              "actions": [ { "id": "a", "features": [ { "item": { "genre": "news" } } ] }, { "id": "b", "features": [ { "item": { "genre": "sport" } } ] } ] }
            """);
        status.Should().Be(HttpStatusCode.OK, answer.ToString());
        var stored = (await service.Services.GetRequiredService<LoopRegistry>().Store.GetEventAsync("named", "n1", CancellationToken.None))!.Decision;
        stored.Context.Should().HaveCount(4);
        stored.ActionFeatures.Should().HaveCount(8);
        stored.ActionFeatures.Take(4).Should().NotEqual(stored.ActionFeatures.Skip(4), "the two genres hash to different inputs");
    }
}
