using Cobalt.RecoGym.Agents;
using Cobalt.RecoGym.Environment;
using Cobalt.RecoGym.Evaluation;
using Cobalt.RecoGym.Logs;

namespace Cobalt.RecoGym.Tests;

/// <summary>Logs: the logging policy's propensities, the CSV file round trip and its error messages.</summary>
public sealed class LogTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-recogym-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static InteractionLog SmallLog(int users = 150, int products = 20) =>
        LogReplay.Generate(new RecoGymWorld(new RecoGymOptions { Products = products }, 13), users);

    [Fact]
    public void Logged_propensities_are_the_logging_policy_probabilities()
    {
        var log = SmallLog();
        log.BanditCount.Should().BeGreaterThan(1000);
        var history = new UserHistory(log.Products);
        var user = -1;
        foreach (var e in log.Events)
        {
            if (e.User != user)
            {
                history.Reset();
                user = e.User;
            }
            if (e.Kind == EventKind.Organic)
            {
                history.AddView(e.Product);
                continue;
            }
            history.Counts[e.Product].Should().BePositive("the logging policy has no support on unviewed products");
            e.Propensity.Should().BeApproximately((double)history.Counts[e.Product] / history.Total, 1e-15);
        }
    }

    [Fact]
    public void Logging_policy_draws_match_its_probabilities()
    {
        var policy = new LoggingPolicyAgent(6, new LoggingPolicyOptions(), 3);
        var history = new UserHistory(6);
        foreach (var p in new[] { 0, 0, 0, 0, 0, 2, 2, 2, 5, 5 })
        {
            history.AddView(p);
        }
        const int Draws = 100_000;
        var counts = new int[6];
        for (var n = 0; n < Draws; n++)
        {
            var a = policy.Act(history, out var propensity);
            propensity.Should().Be(policy.Probability(history, a));
            counts[a]++;
        }
        var expected = new[] { 0.5, 0, 0.3, 0, 0, 0.2 };
        for (var a = 0; a < 6; a++)
        {
            ((double)counts[a] / Draws).Should().BeApproximately(expected[a], 0.006, $"product {a}");
        }
    }

    [Fact]
    public void Log_rows_follow_the_episode_rules()
    {
        var log = SmallLog(60);
        var events = log.Events.ToArray();
        events[0].Kind.Should().Be(EventKind.Organic, "every user starts organic");
        for (var i = 1; i < events.Length; i++)
        {
            if (events[i].User != events[i - 1].User)
            {
                events[i].Kind.Should().Be(EventKind.Organic);
                events[i].Time.Should().Be(0);
                continue;
            }
            events[i].Time.Should().Be(events[i - 1].Time + 1, "every row is followed by one transition");
            if (events[i - 1] is { Kind: EventKind.Bandit, Click: true })
            {
                events[i].Kind.Should().Be(EventKind.Organic, "a click is followed by organic views");
            }
        }
    }

    [Fact]
    public void Log_file_round_trips()
    {
        var log = SmallLog(40);
        var path = Path.Combine(_folder, "logs", "train.csv");
        LogFile.Write(path, log);
        var read = LogFile.Read(path, log.Products);
        read.Count.Should().Be(log.Count);
        read.BanditCount.Should().Be(log.BanditCount);
        read.ClickCount.Should().Be(log.ClickCount);
        for (var i = 0; i < log.Count; i++)
        {
            var (a, b) = (log.Events[i], read.Events[i]);
            (a.Time, a.User, a.Kind, a.Product, a.Click).Should().Be((b.Time, b.User, b.Kind, b.Product, b.Click));
            if (a.Kind == EventKind.Bandit)
            {
                b.Propensity.Should().Be(a.Propensity, "propensities are written with round-trip precision");
            }
            else
            {
                double.IsNaN(b.Propensity).Should().BeTrue();
            }
        }
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle("the atomic write leaves no temporary file");
        File.ReadLines(path).First().Should().Be(LogFile.Header);
    }

    [Theory]
    [InlineData("0,0,organic,3,,\n1,0,bandot,3,0,0.5\n", 3, "kind must be 'organic' or 'bandit'")]
    [InlineData("0,0,organic,30,,\n", 2, "product 30 is outside the catalogue")]
    [InlineData("0,0,organic,3,,\n1,0,bandit,3,yes,0.5\n", 3, "click of a bandit row must be 0 or 1")]
    [InlineData("0,0,organic,3,1,\n", 2, "organic row must leave click and propensity empty")]
    [InlineData("0,0,organic,3,,\n1,0,bandit,3,0,0\n", 3, "propensity must be a number in (0, 1]")]
    [InlineData("0,0,organic,3,,\n1,0,bandit,3,0,1.5\n", 3, "propensity must be a number in (0, 1]")]
    [InlineData("0,0,organic,3,,\n1,0,bandit,3,0\n", 3, "expected 6 cells")]
    [InlineData("0,0,organic,3,,,\n", 2, "expected 6 cells")]
    [InlineData("0,0,organic,3,,\n-1,0,organic,3,,\n", 3, "time must be a whole number")]
    [InlineData("0,0,organic,3,,\n\n", 3, "empty line")]
    [InlineData("0,0,organic,3,,\n0,1,organic,3,,\n1,0,organic,3,,\n", 4, "rows of user 0 appear again")]
    [InlineData("5,0,organic,3,,\n4,0,organic,3,,\n", 3, "time 4 is earlier")]
    [InlineData("0,x,organic,3,,\n", 2, "user must be a whole number")]
    public void Malformed_lines_are_reported_with_their_number(string body, int line, string message)
    {
        var act = () => LogFile.Read(new StringReader(LogFile.Header + "\n" + body), 20, "bad.csv");
        var error = act.Should().Throw<LogFormatException>().Which;
        error.Line.Should().Be(line);
        error.Message.Should().StartWith($"bad.csv:{line}: ").And.Contain(message);
    }

    [Fact]
    public void A_wrong_header_is_line_one()
    {
        var act = () => LogFile.Read(new StringReader("t,u,z,v,c,ps\n"), 20, "x.csv");
        act.Should().Throw<LogFormatException>().Which.Line.Should().Be(1);
        var empty = () => LogFile.Read(new StringReader(string.Empty), 20, "x.csv");
        empty.Should().Throw<LogFormatException>().WithMessage("x.csv:1: the file is empty*");
    }

    [Fact]
    public void Training_replays_the_users_in_order()
    {
        var log = SmallLog(30);
        var agent = new CountingAgent(log.Products);
        LogReplay.Train(agent, log);
        agent.Users.Should().Be(log.Events.ToArray().Select(e => e.User).Distinct().Count());
        agent.Organic.Should().Be(log.Count - log.BanditCount);
        agent.Bandit.Should().Be(log.BanditCount);
        agent.Trained.Should().BeTrue();
    }

    private sealed class CountingAgent(int products) : RecoGymAgent("counting", products, true, 1)
    {
        public int Users { get; private set; }

        public int Organic { get; private set; }

        public int Bandit { get; private set; }

        public bool Trained { get; private set; }

        public override void BeginUser(UserHistory history)
        {
            history.Total.Should().Be(0);
            Users++;
        }

        public override void ObserveOrganic(UserHistory history, int product)
        {
            history.LastViewed.Should().Be(product);
            Organic++;
        }

        public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
        {
            history.Counts[action].Should().BePositive();
            Bandit++;
        }

        public override void EndTraining() => Trained = true;

        public override int Act(UserHistory history, out double propensity) => throw new InvalidOperationException("not online");
    }
}
