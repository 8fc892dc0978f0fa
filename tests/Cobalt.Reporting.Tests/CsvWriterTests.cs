using System.Globalization;
using System.Text;

namespace Cobalt.Reporting.Tests;

public class CsvWriterTests
{
    [Fact]
    public void Writes_header_and_rows_with_crlf()
    {
        string csv = CsvWriter.ToCsv(["policy", "reward"], [["ucb", "0.5"], ["ts", "0.75"]]);
        csv.Should().Be("policy,reward\r\nucb,0.5\r\nts,0.75\r\n");
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("cr\rhere", "\"cr\rhere\"")]
    [InlineData(" spaced ", " spaced ")]
    [InlineData("", "")]
    public void Escape_quotes_only_when_needed(string cell, string expected) =>
        CsvWriter.Escape(cell).Should().Be(expected);

    [Fact]
    public void Tricky_cells_round_trip_through_a_parser()
    {
        string[] header = ["name", "note, with comma", "quote\"d"];
        string[][] rows =
        [
            ["a,b", "say \"hi\"", "line1\r\nline2"],
            ["", "\"", ",,,"],
            ["plain", "trailing\n", "ünïcødé ±"],
        ];
        string csv = CsvWriter.ToCsv(header, rows);

        List<string[]> parsed = Parse(csv);
        parsed.Should().HaveCount(3 + 1);
        parsed[0].Should().Equal(header);
        for (int i = 0; i < rows.Length; i++)
        {
            parsed[i + 1].Should().Equal(rows[i]);
        }
    }

    [Fact]
    public void Writer_targets_any_text_writer_and_checks_cell_count()
    {
        var sb = new StringBuilder();
        using var text = new StringWriter(sb, CultureInfo.InvariantCulture);
        var csv = new CsvWriter(text, "a", "b");
        csv.WriteRow("1", null!);

        Action bad = () => csv.WriteRow("only one");
        bad.Should().Throw<ArgumentException>().WithMessage("Expected 2 cells*got 1*");
        sb.ToString().Should().Be("a,b\r\n1,\r\n");
    }

    [Fact]
    public void FormatDouble_round_trips_exactly()
    {
        var random = new Random(7);
        double[] specials = [0.1, 1.0 / 3, 1e-300, double.Epsilon, double.MaxValue, -0.0, 123456789.125, double.NaN, double.PositiveInfinity];
        IEnumerable<double> values = specials.Concat(Enumerable.Range(0, 1000).Select(_ => BitConverter.Int64BitsToDouble(random.NextInt64())));
        foreach (double v in values)
        {
            string text = CsvWriter.FormatDouble(v);
            double back = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            BitConverter.DoubleToInt64Bits(back).Should().Be(BitConverter.DoubleToInt64Bits(v), "'{0}' must parse back to the same bits", text);
            text.Should().NotContain(",");
        }
        CsvWriter.FormatDouble(0.1).Should().Be("0.1");
    }

    /// <summary>A tiny RFC 4180 reader, independent of the writer.</summary>
    private static List<string[]> Parse(string csv)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < csv.Length; i++)
        {
            char c = csv[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < csv.Length && csv[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                field.Length.Should().Be(0, "a quote may only open a field");
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < csv.Length && csv[i + 1] == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add([.. fields]);
                fields.Clear();
                i++;
            }
            else
            {
                c.Should().NotBe('\r').And.NotBe('\n', "bare line breaks must be quoted");
                field.Append(c);
            }
        }
        quoted.Should().BeFalse();
        fields.Should().BeEmpty("the output ends with CRLF");
        return records;
    }
}
