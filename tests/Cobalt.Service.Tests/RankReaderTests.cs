using System.Globalization;
using System.Text;
using System.Text.Json;
using Cobalt.Core.Randomness;
using Cobalt.Service.Api;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Tests;

/// <summary>
/// The rank call's fast parser (<see cref="RankReader"/>) reads exactly what the general parser reads, bit for bit, and
/// leaves every body it is not sure of to the general parser (which names the mistake).
/// </summary>
public class RankReaderTests
{
    private static readonly LoopOptions Options = new() { ContextDimension = 2, ActionDimension = 3 };

    [Fact]
    public void Short_decimals_convert_exactly_as_double_parse_and_long_ones_are_left_to_it()
    {
        var rng = new Rng(20261206);
        string[] fixedTokens =
        [
            "0", "-0", "1", "-1", "0.1", "0.0001", "-1.2345", "123456789012345", "1.23456789012345", "9007199254740993",
            "1e22", "1e-22", "1e23", "123e-25", "1.5E+3", "2.5e-3", "0.30000000000000004", "1234567890123456", "0.000000000000000000000001",
            "1e400", "100000000000000000000000", "4.9406564584124654e-324",
        ];
        var tokens = fixedTokens.Concat(Enumerable.Range(0, 20_000).Select(i => (i % 4) switch
        {
            0 => Math.Round(rng.NextGaussian(), 4).ToString(CultureInfo.InvariantCulture),
            1 => (rng.NextGaussian() * Math.Pow(10, rng.NextInt(30) - 15)).ToString("G" + (1 + rng.NextInt(17)), CultureInfo.InvariantCulture),
            2 => $"{rng.NextInt(1_000_000) - 500_000}.{rng.NextInt(1_000_000):D6}e{rng.NextInt(40) - 20}",
            _ => rng.NextGaussian().ToString("R", CultureInfo.InvariantCulture),
        }));
        var fast = 0;
        foreach (var token in tokens)
        {
            var expected = double.Parse(token, CultureInfo.InvariantCulture);
            if (RankReader.TryShortDecimal(Encoding.ASCII.GetBytes(token), out var value))
            {
                fast++;
                BitConverter.DoubleToInt64Bits(value).Should().Be(BitConverter.DoubleToInt64Bits(expected), token);
            }
        }
        fast.Should().BeGreaterThan(10_000); // the 4-decimal and short tokens take the fast path
        RankReader.TryShortDecimal("1234567890123456"u8, out _).Should().BeFalse(); // 16 digits
        RankReader.TryShortDecimal("1e23"u8, out _).Should().BeFalse();
        RankReader.TryShortDecimal("-1.2345"u8, out var v).Should().BeTrue();
        v.Should().Be(-1.2345);
    }

    [Theory]
    [InlineData("""{"eventId":"e-1","context":[0.5,-1],"actions":[{"id":"a","features":[1,2,3]},{"id":"b","features":[0.25,-0.5,1e-3]}]}""")]
    [InlineData("""{"context":[0,0],"actions":[{"features":[1,2,3],"id":"a"}],"slateSize":1,"userKey":"u","deferActivation":true}""")]
    [InlineData("""{"actions":[{"id":"a","features":[1,2,3]},{"id":"b","features":[3,2,1]},{"id":"c","features":[0,0,0]}],"context":[1,2],"excluded":["b"],"slateSize":2}""")]
    public void Plain_bodies_parse_as_the_general_parser_parses_them(string body)
    {
        var fast = RankReader.TryParse(Encoding.UTF8.GetBytes(body), Options, 4096);
        fast.Should().NotBeNull();
        using var json = JsonDocument.Parse(body);
        var general = RankRequest.Parse(json.RootElement, Options, 4096);
        fast!.EventId.Should().Be(general.EventId);
        fast.Context.Should().Equal(general.Context);
        fast.Actions.Select(a => a.Id).Should().Equal(general.Actions.Select(a => a.Id));
        fast.Actions.SelectMany(a => a.Features.ToArray()).Should().Equal(general.Actions.SelectMany(a => a.Features.ToArray()));
        fast.Matrix.Should().Equal(general.Actions.SelectMany(a => a.Features.ToArray()));
        fast.Excluded.Should().BeEquivalentTo(general.Excluded);
        (fast.SlateSize, fast.UserKey, fast.DeferActivation).Should().Be((general.SlateSize, general.UserKey, general.DeferActivation));
    }

    [Theory]
    [InlineData("""{"context":[1,2],"actions":[{"id":"a","features":[1,2]}]}""")]                          // wrong dimension
    [InlineData("""{"context":[1,2],"actions":[{"id":"a","features":[1,2,3]},{"id":"a","features":[1,2,3]}]}""")] // repeated id
    [InlineData("""{"context":[1,2],"context":[1,2],"actions":[{"id":"a","features":[1,2,3]}]}""")]         // duplicate key
    [InlineData("""{"\u0063ontext":[1,2],"actions":[{"id":"a","features":[1,2,3]}]}""")]                   // escaped key
    [InlineData("""{"context":[1,2],"actions":[{"id":"\ud800","features":[1,2,3]}]}""")]                   // escaped (lone surrogate)
    [InlineData("""{"context":[1,2],"actions":[{"id":"a","features":[1,2,1e999]}]}""")]                    // overflows to infinity
    [InlineData("""{"context":[1,2],"actions":[{"id":"a","features":[1,2,3]}],"extra":1}""")]               // unknown field
    [InlineData("""{"context":[1,2],"actions":[{"id":"a","features":[1,2,3]}]} x""")]                       // trailing text
    [InlineData("""{"context":[1,"2"],"actions":[{"id":"a","features":[1,2,3]}]}""")]                       // a string for a number
    [InlineData("""{"context":[1,2],"actions":[]}""")]                                                       // no action
    [InlineData("""{"context":[1,2],"actions":[{"id":"a","features":[1,2,3]}],"eventId":"a/b"}""")]         // event id alphabet
    [InlineData("""[1,2]""")]
    public void Bodies_it_is_not_sure_of_go_to_the_general_parser(string body) =>
        RankReader.TryParse(Encoding.UTF8.GetBytes(body), Options, 4096).Should().BeNull();

    [Fact]
    public void Fields_that_do_not_fit_together_get_the_general_parsers_message()
    {
        const string body = """{"context":[1,2],"actions":[{"id":"a","features":[1,2,3]}],"excluded":["a"]}""";
        var fast = () => RankReader.TryParse(Encoding.UTF8.GetBytes(body), Options, 4096);
        using var json = JsonDocument.Parse(body);
        var general = () => RankRequest.Parse(json.RootElement, Options, 4096);
        var message = general.Should().Throw<BadRequestException>().Which.Message;
        fast.Should().Throw<BadRequestException>().WithMessage(message);
    }
}
