using System.Net;
using System.Text.Json;
using Microsoft.Playwright;

namespace Cobalt.Service.Tests;

/// <summary>
/// The dashboard: its data endpoint over HTTP, and the page itself in headless Chromium through Playwright. The browser
/// test runs when COBALT_TEST_CHROMIUM names a Chromium executable (CI installs one at /usr/bin/chromium) and is skipped,
/// saying why, when it is unset; set but unable to start, it fails. Playwright never downloads a browser here: it is
/// always given that executable. COBALT_TEST_SCREENSHOT, when set, is where a screenshot of the filled page is saved.
/// </summary>
public class DashboardTests
{
    private const string Definition = """{ "policy": { "kind": "linucb-disjoint", "options": { "alpha": 0.2 } }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 30 } }""";
    private const string RankBody = """{ "context": [1], "actions": [ { "id": "good", "features": [1, 0] }, { "id": "bad", "features": [0, 1] } ] }""";
    private const int Events = 100;

    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    /// <summary>
    /// Ranks <see cref="Events"/> times and rewards every decision (1 for "good", 0 for "bad"); with a pause, in five
    /// batches that many seconds apart, so that the charts have several buckets.
    /// </summary>
    private static async Task RankAndRewardAsync(RunningService service, string loop, string key, TimeSpan pause = default)
    {
        for (var t = 0; t < Events; t++)
        {
            if (t > 0 && t % (Events / 5) == 0 && pause > TimeSpan.Zero)
            {
                await Task.Delay(pause);
            }
            var (status, body) = await service.PostAsync($"/loops/{loop}/rank", key, RankBody);
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            var reward = body.GetProperty("chosen").GetString() == "good" ? 1 : 0;
            var (rewarded, answer) = await service.PostAsync($"/loops/{loop}/events/{body.GetProperty("eventId").GetString()}/reward", key, $$"""{ "value": {{reward}} }""");
            rewarded.Should().Be(HttpStatusCode.OK, answer.ToString());
        }
    }

    private static async Task<JsonElement> WaitForLearnedAsync(RunningService service, string loop, string key, int events)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var activity = await service.GetAsync($"/loops/{loop}/activity", key);
            if (activity.GetProperty("learned").GetInt64() >= events || DateTime.UtcNow > deadline)
            {
                return activity;
            }
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Activity_reports_ranks_rewards_and_mean_learned_reward_per_bucket()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("activity", Definition);
        await RankAndRewardAsync(service, "activity", key);

        var activity = await WaitForLearnedAsync(service, "activity", key, Events);

        activity.GetProperty("loop").GetString().Should().Be("activity");
        activity.GetProperty("policy").GetProperty("kind").GetString().Should().Be("linucb-disjoint");
        activity.GetProperty("policy").GetProperty("options").GetProperty("alpha").GetDouble().Should().Be(0.2);
        activity.GetProperty("options").GetProperty("reward-wait-seconds").GetDouble().Should().Be(30);
        activity.GetProperty("learned").GetInt64().Should().Be(Events);
        activity.GetProperty("window").GetInt32().Should().Be(120);
        activity.GetProperty("step").GetInt32().Should().Be(1);
        var buckets = activity.GetProperty("buckets").EnumerateArray().ToArray();
        buckets.Should().HaveCount(120);
        buckets.Sum(b => b.GetProperty("ranks").GetInt64()).Should().Be(Events);
        buckets.Sum(b => b.GetProperty("rewards").GetInt64()).Should().Be(Events);
        buckets.Sum(b => b.GetProperty("learned").GetInt64()).Should().Be(Events);
        buckets.Select(b => b.GetProperty("start").GetInt64()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        var means = buckets.Where(b => b.GetProperty("learned").GetInt64() > 0).Select(b => b.GetProperty("meanReward").GetDouble()).ToArray();
        means.Should().NotBeEmpty().And.OnlyContain(m => m >= 0 && m <= 1);
        buckets.Where(b => b.GetProperty("learned").GetInt64() == 0).Should().OnlyContain(b => b.GetProperty("meanReward").ValueKind == JsonValueKind.Null);
        activity.GetProperty("eventsPerSecond").GetDouble().Should().BeApproximately(Events / 60.0, 1e-9, "every call fell in the last minute");

        var hour = await service.GetAsync("/loops/activity/activity?window=3600&step=30", key);
        hour.GetProperty("buckets").GetArrayLength().Should().Be(120);
        hour.GetProperty("buckets").EnumerateArray().Sum(b => b.GetProperty("ranks").GetInt64()).Should().Be(Events);
    }

    [Fact]
    public async Task The_page_needs_no_key_but_the_data_does()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("open", Definition);

        using var page = await service.Client.GetAsync(new Uri("/loops/open/dashboard", UriKind.Relative));
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("default-src 'none'").And.Contain("script-src 'sha256-");
        var html = await page.Content.ReadAsStringAsync();
        html.Should().Contain("<svg id=\"reward-chart\"");
        html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal).Should().NotContainAny(["http://", "https://", "<script src"], "the page is self-contained");

        async Task<(HttpStatusCode, string)> Activity(string query, string? apiKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/loops/open/activity" + query);
            if (apiKey is not null)
            {
                request.Headers.Add("X-Api-Key", apiKey);
            }
            using var response = await service.Client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        await Refused("", null, HttpStatusCode.Unauthorized, "X-Api-Key");
        await Refused("", "wrong", HttpStatusCode.Forbidden, "does not belong to loop 'open'");
        await Refused("?window=5", key, HttpStatusCode.BadRequest, "window must be a whole number of seconds from 10 to 3600");
        await Refused("?window=3600&step=1", key, HttpStatusCode.BadRequest, "more than 720 buckets");
        await Refused("?step=x", key, HttpStatusCode.BadRequest, "step must be a whole number of seconds");

        async Task Refused(string query, string? apiKey, HttpStatusCode status, string message)
        {
            var (actual, body) = await Activity(query, apiKey);
            actual.Should().Be(status, body);
            body.Should().Contain(message);
        }

        (await Activity("?window=60&step=10", key)).Item1.Should().Be(HttpStatusCode.OK);
    }

    [SkippableFact]
    public async Task The_dashboard_shows_the_loop_in_headless_Chromium()
    {
        var chromium = Environment.GetEnvironmentVariable("COBALT_TEST_CHROMIUM");
        Skip.If(string.IsNullOrWhiteSpace(chromium),
            "COBALT_TEST_CHROMIUM is not set: set it to a Chromium executable (apt-get install chromium; /usr/bin/chromium) to run the dashboard's browser test.");

        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("dash", Definition);
        await RankAndRewardAsync(service, "dash", key, pause: TimeSpan.FromSeconds(1.1));
        (await WaitForLearnedAsync(service, "dash", key, Events)).GetProperty("learned").GetInt64().Should().Be(Events);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal))
            {
                problems.Add("console: " + message.Text); // a blocked script (Content-Security-Policy) shows up here
            }
        };
        // The evaluation endpoint is someone else's: answer it here, first as "none yet", later with estimates.
        var evaluation = (Status: 404, Body: """{ "error": "no evaluation yet" }""");
        await page.RouteAsync("**/loops/dash/evaluations", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = evaluation.Status,
            ContentType = "application/json",
            Body = evaluation.Body,
        }));
        var expectSlow = new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 };

        await page.GotoAsync(new Uri(service.Address, "/loops/dash/dashboard").ToString());
        await Assertions.Expect(page.Locator("#loop-name")).ToHaveTextAsync("dash");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Enter the loop's API key");

        // A wrong key: a clear message on the page, and no numbers.
        await page.Locator("#api-key").FillAsync("not-the-key");
        await page.Locator("#connect").ClickAsync();
        await Assertions.Expect(page.Locator("#error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("Wrong API key");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("That API key does not belong to loop 'dash'.");
        await Assertions.Expect(page.Locator("#decisions")).ToHaveTextAsync("\u2013");

        // The right key: the numbers, the policy and the charts.
        await page.Locator("#api-key").FillAsync(key);
        await page.Locator("#connect").ClickAsync();
        await Assertions.Expect(page.Locator("#decisions")).ToHaveTextAsync(Events.ToString(System.Globalization.CultureInfo.InvariantCulture), expectSlow);
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#rewards")).ToHaveTextAsync("100");
        await Assertions.Expect(page.Locator("#learned")).ToHaveTextAsync("100", expectSlow);
        await Assertions.Expect(page.Locator("#policy-kind")).ToHaveTextAsync("linucb-disjoint");
        await Assertions.Expect(page.Locator("#policy-options")).ToContainTextAsync("alpha");
        await Assertions.Expect(page.Locator("#loop-options")).ToContainTextAsync("reward-wait-seconds");
        await Assertions.Expect(page.Locator("#events-per-second")).ToHaveTextAsync("1.67"); // 100 calls in the last minute
        await Assertions.Expect(page.Locator("#evaluations tbody")).ToHaveTextAsync("no evaluation yet");
        (await page.EvaluateAsync<string>("sessionStorage.getItem('cobalt-api-key:dash')")).Should().Be(key);

        var rankLine = page.Locator("#rank-chart path#rank-line");
        int.Parse((await rankLine.GetAttributeAsync("data-points"))!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(120, "one point per 1 s bucket of the 2 minute window");
        (await rankLine.GetAttributeAsync("d")).Should().StartWith("M").And.Contain(" L");
        var rewardLine = page.Locator("#reward-chart path#reward-line");
        await Assertions.Expect(rewardLine).ToHaveAttributeAsync("d", new System.Text.RegularExpressions.Regex(@"^M[\d.]+ [\d.]+"));
        int.Parse((await rewardLine.GetAttributeAsync("data-points"))!, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(5, "the five batches were made in five different seconds");
        (await page.Locator("#rank-chart path#rank-line").GetAttributeAsync("d")).Should().MatchRegex(@"^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){119}$");
        await Assertions.Expect(page.Locator("#reward-summary")).ToContainTextAsync("over 100 learned slots");
        // Both charts have axis titles and more than two x ticks (the window's start, its quarters and now).
        (await page.Locator("#reward-chart text.axis-title").AllTextContentsAsync()).Should().Equal("time before now (bucket of 1 s)", "mean reward");
        (await page.Locator("#rank-chart text.axis-title").AllTextContentsAsync()).Should().Equal("time before now (bucket of 1 s)", "rank calls");
        (await page.Locator("#rank-chart text.x-tick").AllTextContentsAsync()).Should().Equal("\u22122 min", "\u221290 s", "\u221260 s", "\u221230 s", "now");

        // Evaluations with estimates: the reload also shows that the key is kept for the tab.
        evaluation = (200, """{ "loop": "dash", "events": 100, "estimates": [ { "policy": "linucb-disjoint", "estimator": "IPS", "value": 0.41, "lower": 0.38, "upper": 0.44 }, { "policy": "uniform", "estimator": "SNIPS", "value": 0.5, "lower": null, "upper": null } ] }""");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#decisions")).ToHaveTextAsync("100", expectSlow);
        var rows = page.Locator("#evaluations tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(0).Locator("th[scope=row]")).ToHaveTextAsync("linucb-disjoint");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("IPS");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("0.4100");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("0.3800");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("\u2013");
        await Assertions.Expect(page.Locator("#evaluation-caption")).ToContainTextAsync("100 logged events");

        if (Environment.GetEnvironmentVariable("COBALT_TEST_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        }
        problems.Should().BeEmpty();
    }
}
