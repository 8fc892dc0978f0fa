using System.Text;
using System.Text.Json;
using Cobalt.Core.Configuration;
using Cobalt.Policies.Catalog;
using Cobalt.Simulation.Worlds;

namespace Cobalt.Simulation.Experiments;

/// <summary>
/// An experiment: a world, the policies to compare, and how long and how often to play them.
/// Written as JSON (see <see cref="Parse"/>); every field but the world and the policies has a default.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Makes every policy kind of the recommenders layer available to experiment files.</summary>
    static ExperimentSpec() => Recommenders.TwoStage.RecommenderPolicies.Register();

    /// <summary>Short name (used in titles and file names).</summary>
    public string Name { get; init; } = "experiment";

    /// <summary>One sentence on what the experiment shows.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Root seed: every random stream of the run derives from it.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Independent trials (fresh world parameters and users each).</summary>
    public int Trials { get; init; } = 5;

    /// <summary>Rounds per trial.</summary>
    public int Iterations { get; init; } = 2000;

    /// <summary>Actions shown per round (m).</summary>
    public int SlateSize { get; init; } = 1;

    /// <summary>Rounds of feedback gathered before each policy update (1: learn every round).</summary>
    public int UpdateEvery { get; init; } = 1;

    /// <summary>The world.</summary>
    public required WorldSpec World { get; init; }

    /// <summary>The policies, with distinct display names.</summary>
    public required IReadOnlyList<PolicySpec> Policies { get; init; }

    /// <summary>Checks the fields, naming the first bad one, then builds the world to check the slate fits its actions.</summary>
    public void Validate()
    {
        ValidateFields();
        var world = World.Build().Info;
        if (SlateSize > world.ActionCount)
        {
            throw new OptionsException("slate-size", $"is {SlateSize} but the world has only {world.ActionCount} actions.");
        }
    }

    /// <summary>The checks that need no world (building one can mean loading a simulator: seconds).</summary>
    private void ValidateFields()
    {
        Require.AtLeast(Trials, 1, "trials");
        Require.AtLeast(Iterations, 1, "iterations");
        Require.AtLeast(SlateSize, 1, "slate-size");
        Require.AtLeast(UpdateEvery, 1, "update-every");
        if (Policies.Count == 0)
        {
            throw new OptionsException("policies", "must list at least one policy.");
        }
        var duplicate = Policies.GroupBy(p => p.DisplayName).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new OptionsException("policies", $"two policies are named '{duplicate.Key}'; give each a distinct 'name'.");
        }
    }

    /// <summary>Reads an experiment from JSON text and checks its fields; every error names the field. The checks against the world are <see cref="Validate"/>'s.</summary>
    /// <exception cref="OptionsException">Malformed JSON, an unknown field, or a bad value.</exception>
    public static ExperimentSpec Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            // One position, 1-based (JsonException counts from 0 and repeats it in its message).
            var position = e.LineNumber is { } line ? $"line {line + 1}" + (e.BytePositionInLine is { } column ? $", column {column + 1}" : "") : "(top level)";
            throw new OptionsException(position, $"not valid JSON: {PlainMessages.Plain(e.Message)}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new OptionsException("(top level)", "an experiment must be a JSON object.");
            }
            var spec = new ExperimentSpec { World = null!, Policies = [] };
            WorldSpec? world = null;
            List<PolicySpec>? policies = null;
            foreach (var member in root.EnumerateObject())
            {
                var name = member.Name;
                var value = member.Value;
                spec = name.ToLowerInvariant() switch
                {
                    "name" => spec with { Name = Text(value, name) },
                    "description" => spec with { Description = Text(value, name) },
                    "seed" => spec with { Seed = value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var s) ? s : throw new OptionsException(name, "must be a whole number of at least 0.") },
                    "trials" => spec with { Trials = Whole(value, name) },
                    "iterations" => spec with { Iterations = Whole(value, name) },
                    "slate-size" or "slatesize" => spec with { SlateSize = Whole(value, name) },
                    "update-every" or "updateevery" => spec with { UpdateEvery = Whole(value, name) },
                    "world" => spec,
                    "policies" => spec,
                    _ => throw new OptionsException(name, "unknown field; allowed: name, description, seed, trials, iterations, slate-size, update-every, world, policies."),
                };
                if (name == "world")
                {
                    world = WorldCatalog.ParseSpec(value, "world");
                }
                else if (name == "policies")
                {
                    if (value.ValueKind != JsonValueKind.Array)
                    {
                        throw new OptionsException("policies", "must be a list of policies.");
                    }
                    policies = value.EnumerateArray().Select((p, i) => PolicyCatalog.ParseSpec(p, $"policies[{i}]")).ToList();
                }
            }
            spec = spec with
            {
                World = world ?? throw new OptionsException("world", "is missing: name a world, e.g. {\"kind\": \"linear\"}."),
                Policies = policies ?? throw new OptionsException("policies", "is missing: list the policies to compare."),
            };
            // The fields only: a command line may still override trials and iterations, and Validate (before a run) builds the world.
            spec.ValidateFields();
            return spec;
        }
    }

    /// <summary>The experiment as JSON with every default written out (what was really run).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", Name);
            writer.WriteString("description", Description);
            writer.WriteNumber("seed", Seed);
            writer.WriteNumber("trials", Trials);
            writer.WriteNumber("iterations", Iterations);
            writer.WriteNumber("slate-size", SlateSize);
            writer.WriteNumber("update-every", UpdateEvery);
            writer.WriteStartObject("world");
            writer.WriteString("kind", World.Kind);
            writer.WritePropertyName("options");
            OptionsBinder.Write(writer, World.Options);
            writer.WriteEndObject();
            writer.WriteStartArray("policies");
            foreach (var policy in Policies)
            {
                writer.WriteStartObject();
                writer.WriteString("kind", policy.Kind);
                if (policy.Name is not null)
                {
                    writer.WriteString("name", policy.Name);
                }
                writer.WritePropertyName("options");
                OptionsBinder.Write(writer, policy.Options);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string Text(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new OptionsException(field, "must be text.");

    private static int Whole(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : throw new OptionsException(field, "must be a whole number.");
}
