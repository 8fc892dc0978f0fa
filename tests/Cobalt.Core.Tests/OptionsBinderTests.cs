using System.ComponentModel;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Core.Data;

namespace Cobalt.Core.Tests;

public enum TestShape
{
    Circle,
    RoundedSquare,
    UserOuterItem,
}

public sealed record InnerTestOptions : IValidatable
{
    [Description("A weight in [0, 1].")]
    public double Weight { get; init; } = 0.5;

    public void Validate() => Require.InRange(Weight, 0, 1, nameof(Weight));
}

public sealed record SampleTestOptions : IValidatable
{
    [Description("Exploration strength.")]
    public double Alpha { get; init; } = 1.5;

    [Description("Updates between re-factorisations.")]
    public int RefactorEvery { get; init; } = 1000;

    public long Budget { get; init; } = 10_000_000_000;

    public ulong Seed { get; init; } = 42;

    public bool UseCache { get; init; } = true;

    public string Label { get; init; } = "default";

    public TestShape Shape { get; init; } = TestShape.RoundedSquare;

    public double? Cap { get; init; }

    public int[] Sizes { get; init; } = [1, 2];

    public IReadOnlyList<double> Levels { get; init; } = [0.1];

    public InnerTestOptions Inner { get; init; } = new();

    /// <summary>Read-only: not an option.</summary>
    public string Summary => $"{Alpha}/{RefactorEvery}";

    public void Validate()
    {
        Require.Positive(Alpha, nameof(Alpha));
        Require.AtLeast(RefactorEvery, 1, nameof(RefactorEvery));
        Require.Defined(Shape, nameof(Shape));
    }
}

public sealed record NullableTextTestOptions : IValidatable
{
    [Description("An optional note.")]
    public string? Note { get; init; }

    public void Validate()
    {
    }
}

public class OptionsBinderTests
{
    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static SampleTestOptions Bind(string json, string path = "policies[0].options") =>
        OptionsBinder.Bind<SampleTestOptions>(Json(json), path);

    private static OptionsException BindFails(string json, string path = "policies[0].options")
    {
        var act = () => Bind(json, path);
        return act.Should().Throw<OptionsException>().Which;
    }

    [Fact]
    public void Null_or_missing_json_gives_the_defaults()
    {
        var fromNull = OptionsBinder.Bind<SampleTestOptions>(null, "x");
        var fromJsonNull = OptionsBinder.Bind<SampleTestOptions>(Json("null"), "x");
        var fromUndefined = OptionsBinder.Bind<SampleTestOptions>(default(JsonElement), "x");
        var fromEmpty = Bind("{}");
        foreach (var options in new[] { fromNull, fromJsonNull, fromUndefined, fromEmpty })
        {
            options.Alpha.Should().Be(1.5);
            options.RefactorEvery.Should().Be(1000);
            options.Budget.Should().Be(10_000_000_000);
            options.Seed.Should().Be(42UL);
            options.UseCache.Should().BeTrue();
            options.Label.Should().Be("default");
            options.Shape.Should().Be(TestShape.RoundedSquare);
            options.Cap.Should().BeNull();
            options.Sizes.Should().Equal(1, 2);
            options.Levels.Should().Equal(0.1);
            options.Inner.Weight.Should().Be(0.5);
        }
    }

    [Fact]
    public void Binds_kebab_case_keys()
    {
        var options = Bind("""
            {
              "alpha": 2.25, "refactor-every": 5, "budget": 12345678901, "seed": 18446744073709551615,
              "use-cache": false, "label": "run A", "shape": "user-outer-item", "cap": 3.5,
              "sizes": [4, 5, 6], "levels": [0.5, 1e-3], "inner": { "weight": 0.75 }
            }
            """);
        options.Alpha.Should().Be(2.25);
        options.RefactorEvery.Should().Be(5);
        options.Budget.Should().Be(12345678901);
        options.Seed.Should().Be(ulong.MaxValue);
        options.UseCache.Should().BeFalse();
        options.Label.Should().Be("run A");
        options.Shape.Should().Be(TestShape.UserOuterItem);
        options.Cap.Should().Be(3.5);
        options.Sizes.Should().Equal(4, 5, 6);
        options.Levels.Should().Equal(0.5, 1e-3);
        options.Inner.Weight.Should().Be(0.75);
    }

    [Theory]
    [InlineData("refactor-every")]
    [InlineData("refactorEvery")]
    [InlineData("RefactorEvery")]
    [InlineData("REFACTOR-EVERY")]
    [InlineData("refactorevery")]
    public void Accepts_kebab_camel_and_pascal_case_keys(string key)
    {
        Bind($$"""{ "{{key}}": 7 }""").RefactorEvery.Should().Be(7);
    }

    [Theory]
    [InlineData("circle", TestShape.Circle)]
    [InlineData("rounded-square", TestShape.RoundedSquare)]
    [InlineData("RoundedSquare", TestShape.RoundedSquare)]
    [InlineData("roundedSquare", TestShape.RoundedSquare)]
    [InlineData("USER-OUTER-ITEM", TestShape.UserOuterItem)]
    public void Binds_enum_values_in_any_accepted_case(string text, TestShape expected)
    {
        Bind($$"""{ "shape": "{{text}}" }""").Shape.Should().Be(expected);
    }

    [Fact]
    public void Null_clears_a_nullable_value()
    {
        Bind("""{ "cap": null }""").Cap.Should().BeNull();
        Bind("""{ "cap": 0 }""").Cap.Should().Be(0);
    }

    [Fact]
    public void Unknown_option_names_the_path_and_lists_the_allowed_options()
    {
        var e = BindFails("""{ "alpha": 1, "alhpa": 2 }""");
        e.Field.Should().Be("policies[0].options.alhpa");
        e.Problem.Should().Be("unknown option; allowed: alpha, refactor-every, budget, seed, use-cache, label, shape, cap, sizes, levels, inner.");
        e.Message.Should().Be("policies[0].options.alhpa: " + e.Problem);
    }

    [Fact]
    public void Read_only_properties_are_not_options()
    {
        var e = BindFails("""{ "summary": "x" }""");
        e.Field.Should().Be("policies[0].options.summary");
        e.Problem.Should().NotContain("summary");
    }

    [Fact]
    public void Unknown_option_at_the_top_level_has_no_prefix()
    {
        BindFails("""{ "nope": 1 }""", path: "").Field.Should().Be("nope");
    }

    [Theory]
    [InlineData("""{ "alpha": "abc" }""", "alpha", "must be a number, not 'abc'.")]
    [InlineData("""{ "alpha": true }""", "alpha", "must be a number, not true/false.")]
    [InlineData("""{ "alpha": 1e400 }""", "alpha", "must be a number, not 1e400.")]
    [InlineData("""{ "refactor-every": 1.5 }""", "refactor-every", "must be a whole number, not 1.5.")]
    [InlineData("""{ "refactorEvery": "10" }""", "refactor-every", "must be a whole number, not '10'.")]
    [InlineData("""{ "refactor-every": 3000000000 }""", "refactor-every", "must be a whole number, not 3000000000.")]
    [InlineData("""{ "budget": 2.5 }""", "budget", "must be a whole number, not 2.5.")]
    [InlineData("""{ "seed": -1 }""", "seed", "must be a whole number of at least 0, not -1.")]
    [InlineData("""{ "use-cache": "yes" }""", "use-cache", "must be true or false, not 'yes'.")]
    [InlineData("""{ "use-cache": null }""", "use-cache", "must be true or false, not null.")]
    [InlineData("""{ "label": 5 }""", "label", "must be text, not 5.")]
    [InlineData("""{ "sizes": 3 }""", "sizes", "must be a list, not 3.")]
    [InlineData("""{ "sizes": [1, "x"] }""", "sizes[1]", "must be a whole number, not 'x'.")]
    [InlineData("""{ "levels": [0.5, [1]] }""", "levels[1]", "must be a number, not a list.")]
    [InlineData("""{ "inner": 3 }""", "inner", "must be an object of options, not a number.")]
    [InlineData("""{ "inner": { "wieght": 1 } }""", "inner.wieght", "unknown option; allowed: weight.")]
    public void Wrong_types_name_the_field_and_the_expected_type(string json, string field, string problem)
    {
        var e = BindFails(json);
        e.Field.Should().Be("policies[0].options." + field);
        e.Problem.Should().Be(problem);
    }

    [Theory]
    [InlineData("\"triangle\"", "'triangle' is not allowed")]
    [InlineData("1", "1 is not allowed")]
    [InlineData("\"rounded_square\"", "'rounded_square' is not allowed")]
    public void Enum_values_that_are_not_allowed_list_the_allowed_values(string value, string start)
    {
        var e = BindFails($$"""{ "shape": {{value}} }""");
        e.Field.Should().Be("policies[0].options.shape");
        e.Problem.Should().Be($"{start}; allowed values: circle, rounded-square, user-outer-item.");
    }

    [Fact]
    public void A_non_object_is_rejected()
    {
        var e = BindFails("[1, 2]");
        e.Field.Should().Be("policies[0].options");
        e.Problem.Should().Be("must be an object of options, not a list.");
    }

    [Fact]
    public void Validation_errors_carry_the_path_prefix()
    {
        var e = BindFails("""{ "alpha": -1 }""", path: "policies[1].options");
        e.Field.Should().Be("policies[1].options.alpha");
        e.Problem.Should().StartWith("must be a finite number greater than 0");
        e.Message.Should().StartWith("policies[1].options.alpha: must be a finite number greater than 0");
        e.InnerException.Should().BeOfType<OptionsException>().Which.Field.Should().Be("alpha");

        BindFails("""{ "refactor-every": 0 }""").Field.Should().Be("policies[0].options.refactor-every");
        BindFails("""{ "alpha": 0 }""", path: "").Field.Should().Be("alpha");
    }

    [Fact]
    public void Nested_validation_errors_carry_the_nested_path_once()
    {
        var e = BindFails("""{ "inner": { "weight": 2 } }""", path: "world");
        e.Field.Should().Be("world.inner.weight");
        e.Problem.Should().Be("must be between 0 and 1 (got 2).");
    }

    [Fact]
    public void Describe_lists_every_option_with_type_default_and_description()
    {
        var info = OptionsBinder.Describe(typeof(SampleTestOptions));
        info.Select(i => i.Name).Should().Equal(
            "alpha", "refactor-every", "budget", "seed", "use-cache", "label", "shape", "cap", "sizes", "levels", "inner");
        info.Select(i => i.Type).Should().Equal(
            "number", "whole number", "whole number", "whole number", "true/false", "text",
            "one of circle | rounded-square | user-outer-item", "number", "list of whole number", "list of number", "object");
        info.Select(i => i.Default).Should().Equal(
            "1.5", "1000", "10000000000", "42", "true", "default", "rounded-square", "(none)", "[1, 2]", "[0.1]", """{"weight":0.5}""");
        info[0].Description.Should().Be("Exploration strength.");
        info[1].Description.Should().Be("Updates between re-factorisations.");
        info[2].Description.Should().BeEmpty();
        OptionsBinder.Describe(typeof(InnerTestOptions)).Should().Equal(new OptionInfo("weight", "number", "0.5", "A weight in [0, 1]."));
    }

    [Fact]
    public void ToJson_writes_kebab_case_names_in_declaration_order()
    {
        OptionsBinder.ToJson(new SampleTestOptions()).Should().Be(
            """{"alpha":1.5,"refactor-every":1000,"budget":10000000000,"seed":42,"use-cache":true,"label":"default","shape":"rounded-square","cap":null,"sizes":[1,2],"levels":[0.1],"inner":{"weight":0.5}}""");
    }

    [Fact]
    public void ToJson_round_trips_through_Bind()
    {
        var options = new SampleTestOptions
        {
            Alpha = 0.1 + 0.2,
            RefactorEvery = 3,
            Budget = long.MaxValue,
            Seed = ulong.MaxValue,
            UseCache = false,
            Label = "quote \" and ✓",
            Shape = TestShape.UserOuterItem,
            Cap = 1e-300,
            Sizes = [],
            Levels = [double.Epsilon, 1.0 / 3],
            Inner = new InnerTestOptions { Weight = 1.0 },
        };
        var json = OptionsBinder.ToJson(options);
        var bound = Bind(json, "");
        bound.Should().BeEquivalentTo(options, o => o.ComparingRecordsByMembers());
        bound.Alpha.Should().Be(0.1 + 0.2, "doubles are written with round-trip precision");
        OptionsBinder.ToJson(bound).Should().Be(json);

        var defaults = new SampleTestOptions();
        Bind(OptionsBinder.ToJson(defaults), "").Should().BeEquivalentTo(defaults, o => o.ComparingRecordsByMembers());
    }

    [Fact]
    public void Write_produces_an_object_a_JsonDocument_can_read()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            OptionsBinder.Write(writer, new InnerTestOptions { Weight = 0.25 });
            writer.WriteEndArray();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        document.RootElement[0].GetProperty("weight").GetDouble().Should().Be(0.25);
    }

    [Fact]
    public void ToJson_round_trips_a_null_text_option()
    {
        var json = OptionsBinder.ToJson(new NullableTextTestOptions());
        json.Should().Be("""{"note":null}""");
        OptionsBinder.Bind<NullableTextTestOptions>(Json(json), "").Note.Should().BeNull();
    }

    [Fact]
    public void Bind_by_type_returns_a_validated_instance()
    {
        // The non-generic overload serves callers that only know the type at run time (for example from a registry).
        Type type = typeof(InnerTestOptions);
        var options = OptionsBinder.Bind(type, Json("""{ "weight": 0.2 }"""), "p");
        options.Should().BeOfType<InnerTestOptions>().Which.Weight.Should().Be(0.2);
        var act = () => OptionsBinder.Bind(null!, null, "p");
        act.Should().Throw<ArgumentNullException>();
    }
}

public class NamesTests
{
    [Theory]
    [InlineData("UserOuterItem", "user-outer-item")]
    [InlineData("RefactorEvery", "refactor-every")]
    [InlineData("refactorEvery", "refactor-every")]
    [InlineData("Alpha", "alpha")]
    [InlineData("alpha", "alpha")]
    [InlineData("ABTest", "ab-test")]
    [InlineData("LinUCB", "lin-ucb")]
    [InlineData("UCB", "ucb")]
    [InlineData("IOStream", "io-stream")]
    [InlineData("Top10Items", "top10-items")]
    [InlineData("Item2Vec", "item2-vec")]
    [InlineData("already-kebab", "already-kebab")]
    [InlineData("X", "x")]
    [InlineData("", "")]
    public void Kebab_converts_pascal_and_camel_case(string name, string expected)
    {
        Names.Kebab(name).Should().Be(expected);
    }

    [Fact]
    public void Kebab_rejects_null()
    {
        var act = () => Names.Kebab(null!);
        act.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Of_lists_enum_values_in_kebab_case()
    {
        Names.Of<TestShape>().Should().Equal("circle", "rounded-square", "user-outer-item");
        Type enumType = typeof(FeatureMap);
        Names.Of(enumType).Should().Equal("item", "user", "user-then-item", "user-outer-item");
    }

    [Theory]
    [InlineData("refactor-every", "RefactorEvery", true)]
    [InlineData("refactorEvery", "RefactorEvery", true)]
    [InlineData("RefactorEvery", "RefactorEvery", true)]
    [InlineData("REFACTOREVERY", "RefactorEvery", true)]
    [InlineData("Refactor-Every", "RefactorEvery", true)]
    [InlineData("refactor_every", "RefactorEvery", false)]
    [InlineData("refactor", "RefactorEvery", false)]
    [InlineData("", "RefactorEvery", false)]
    public void Matches_accepts_kebab_camel_and_pascal_case(string text, string member, bool expected)
    {
        Names.Matches(text, member).Should().Be(expected);
    }
}

public class RequireTests
{
    [Theory]
    [InlineData(1e-300)]
    [InlineData(1.0)]
    [InlineData(double.MaxValue)]
    public void Positive_accepts_finite_positive_numbers(double value)
    {
        var act = () => Require.Positive(value, "Alpha");
        act.Should().NotThrow();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Positive_rejects_other_values_naming_the_kebab_field(double value)
    {
        var act = () => Require.Positive(value, "PriorPrecision");
        act.Should().Throw<OptionsException>().Which.Field.Should().Be("prior-precision");
    }

    [Fact]
    public void NonNegative_accepts_zero_and_rejects_negative_and_non_finite_values()
    {
        var zero = () => Require.NonNegative(0.0, "Noise");
        zero.Should().NotThrow();
        foreach (var value in new[] { -1e-300, double.NaN, double.PositiveInfinity })
        {
            var act = () => Require.NonNegative(value, "Noise");
            act.Should().Throw<OptionsException>().Which.Problem.Should().StartWith("must be a finite number of at least 0");
        }
    }

    [Fact]
    public void InRange_is_inclusive_at_both_ends()
    {
        var low = () => Require.InRange(0.0, 0.0, 1.0, "Epsilon");
        low.Should().NotThrow();
        var high = () => Require.InRange(1.0, 0.0, 1.0, "Epsilon");
        high.Should().NotThrow();
        foreach (var value in new[] { -0.001, 1.001, double.NaN })
        {
            var act = () => Require.InRange(value, 0.0, 1.0, "Epsilon");
            var e = act.Should().Throw<OptionsException>().Which;
            e.Field.Should().Be("epsilon");
            e.Problem.Should().StartWith("must be between 0 and 1");
        }
    }

    [Fact]
    public void AtLeast_names_the_minimum()
    {
        var ok = () => Require.AtLeast(5, 5, "SlateSize");
        ok.Should().NotThrow();
        var act = () => Require.AtLeast(4, 5, "SlateSize");
        var e = act.Should().Throw<OptionsException>().Which;
        e.Field.Should().Be("slate-size");
        e.Problem.Should().Be("must be at least 5 (got 4).");
    }

    [Fact]
    public void Defined_lists_the_allowed_values()
    {
        var ok = () => Require.Defined(TestShape.Circle, "Shape");
        ok.Should().NotThrow();
        var act = () => Require.Defined((TestShape)99, "Shape");
        act.Should().Throw<OptionsException>().Which.Problem.Should().Be("'99' is not allowed; allowed values: circle, rounded-square, user-outer-item.");
    }

    [Fact]
    public void OptionsException_Under_prefixes_the_field_and_keeps_the_problem()
    {
        var e = new OptionsException("alpha", "must be positive.");
        e.Message.Should().Be("alpha: must be positive.");
        var under = e.Under("policies[2].options");
        under.Field.Should().Be("policies[2].options.alpha");
        under.Problem.Should().Be("must be positive.");
        under.Message.Should().Be("policies[2].options.alpha: must be positive.");
        under.InnerException.Should().BeSameAs(e);
        e.Under("").Field.Should().Be("alpha");
        new OptionsException().Field.Should().Be("(unknown)");
        new OptionsException("bad").Problem.Should().Be("bad");
    }
}
