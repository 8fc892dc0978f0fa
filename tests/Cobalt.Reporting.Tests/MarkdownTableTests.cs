namespace Cobalt.Reporting.Tests;

public class MarkdownTableTests
{
    private static MarkdownTable Sample() =>
        new MarkdownTable(
                new TableColumn("Policy"),
                new TableColumn("Reward", ColumnAlignment.Right),
                new TableColumn("n", ColumnAlignment.Center))
            .AddRow("ucb", "1,253.4", "10")
            .AddRow("eps|greedy", "7.0", "1000");

    [Fact]
    public void Markdown_pads_columns_and_marks_alignment()
    {
        Sample().ToMarkdown().Should().Be(
            "| Policy      |  Reward |  n   |\n" +
            "| :---------- | ------: | :--: |\n" +
            "| ucb         | 1,253.4 |  10  |\n" +
            "| eps\\|greedy |     7.0 | 1000 |\n");
    }

    [Fact]
    public void Markdown_rows_all_have_the_same_width()
    {
        string[] lines = Sample().ToMarkdown().TrimEnd('\n').Split('\n');
        lines.Select(l => l.Length).Distinct().Should().ContainSingle();
    }

    [Fact]
    public void Markdown_turns_line_breaks_into_br()
    {
        string md = new MarkdownTable("a").AddRow("one\ntwo").ToMarkdown();
        md.Should().Contain("| one<br>two |").And.NotContain("one\ntwo");
    }

    [Fact]
    public void Headers_only_constructor_makes_left_aligned_columns()
    {
        var table = new MarkdownTable("x", "y");
        table.Columns.Should().OnlyContain(c => c.Alignment == ColumnAlignment.Left);
        table.ToMarkdown().Should().Be("| x   | y   |\n| :-- | :-- |\n");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void AddRow_with_wrong_cell_count_names_expected_and_actual(int count)
    {
        var table = new MarkdownTable("a", "b");
        Action add = () => table.AddRow(Enumerable.Repeat("v", count).ToArray());
        add.Should().Throw<ArgumentException>()
            .WithMessage($"Expected 2 cells*got {count}*")
            .And.ParamName.Should().Be("cells");
        table.Rows.Should().BeEmpty();
    }

    [Fact]
    public void A_table_needs_a_column()
    {
        Action create = () => _ = new MarkdownTable(Array.Empty<TableColumn>());
        create.Should().Throw<ArgumentException>().WithMessage("*at least one column*");
    }

    [Fact]
    public void Html_escapes_text_and_aligns_cells()
    {
        string html = new MarkdownTable(new TableColumn("<b>Policy</b>"), new TableColumn("R & D", ColumnAlignment.Right))
            .AddRow("a<script>\"x\"</script>", "1 < 2 'ok'")
            .ToHtml();

        html.Should().Contain("<th style=\"text-align: left\">&lt;b&gt;Policy&lt;/b&gt;</th>")
            .And.Contain("<th style=\"text-align: right\">R &amp; D</th>")
            .And.Contain("<td style=\"text-align: left\">a&lt;script&gt;&quot;x&quot;&lt;/script&gt;</td>")
            .And.Contain("<td style=\"text-align: right\">1 &lt; 2 &#39;ok&#39;</td>")
            .And.NotContain("<script>")
            .And.StartWith("<table>\n  <thead>\n");
    }

    [Fact]
    public void Html_is_well_formed_markup()
    {
        var doc = System.Xml.Linq.XDocument.Parse(Sample().ToHtml());
        doc.Root!.Name.LocalName.Should().Be("table");
        doc.Descendants("tr").Should().HaveCount(3);
        doc.Descendants("td").Select(td => td.Value).Should().Contain("eps|greedy");
    }
}
