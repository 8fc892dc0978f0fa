using System.Globalization;

namespace Cobalt.Reporting.Tests;

public class FormatTests
{
    [Theory]
    [InlineData(1253.4, 1, "1,253.4")]
    [InlineData(1234567.891, 2, "1,234,567.89")]
    [InlineData(0.05, 2, "0.05")]
    [InlineData(-12.6, 0, "-13")]
    [InlineData(-0.04, 1, "0.0")]
    [InlineData(2.0, 3, "2.000")]
    public void Number_uses_fixed_decimals_and_thousands_separators(double value, int decimals, string expected) =>
        Format.Number(value, decimals).Should().Be(expected);

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Non_finite_numbers_render_as_na(double value)
    {
        Format.Number(value, 2).Should().Be("n/a");
        Format.MeanStd(value, 1, 1).Should().Be("n/a");
        Format.MeanStd(1, value, 1).Should().Be("1.0 ± n/a");
    }

    [Fact]
    public void MeanStd_joins_mean_and_deviation() =>
        Format.MeanStd(1253.42, 12.08, 1).Should().Be("1,253.4 ± 12.1");

    [Theory]
    [InlineData(-1)]
    [InlineData(16)]
    public void Decimals_out_of_range_are_rejected(int decimals)
    {
        Action format = () => Format.Number(1, decimals);
        format.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Formatting_ignores_the_current_culture()
    {
        string before = Format.MeanStd(1253.42, 12.08, 2);
        using (CommaCulture.Use())
        {
            Format.MeanStd(1253.42, 12.08, 2).Should().Be(before).And.Be("1,253.42 ± 12.08");
            CsvWriter.FormatDouble(0.5).Should().Be("0.5");
        }
    }
}

/// <summary>Temporarily makes the current culture write 1.234,5 (decimal comma).</summary>
internal sealed class CommaCulture : IDisposable
{
    private readonly CultureInfo _saved = CultureInfo.CurrentCulture;

    private CommaCulture()
    {
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NumberDecimalSeparator = ",";
        culture.NumberFormat.NumberGroupSeparator = ".";
        culture.NumberFormat.NegativeSign = "\u2212";
        CultureInfo.CurrentCulture = culture;
    }

    public static CommaCulture Use() => new();

    public void Dispose() => CultureInfo.CurrentCulture = _saved;
}
