using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cobalt.Service.Client;

/// <summary>
/// An action's features in a rank call, in one of two JSON forms: a vector of numbers (<c>[0.1, 2, ...]</c>, loops whose
/// <c>features.input</c> is numbers) or a list of namespaces of named numbers and strings
/// (<c>[{"item": {"price": 9.5, "genre": "jazz"}}]</c>, loops that hash namespaces).
/// </summary>
[JsonConverter(typeof(ActionFeaturesConverter))]
public sealed class ActionFeatures
{
    private ActionFeatures(IReadOnlyList<double>? vector, IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>>? namespaces)
    {
        Vector = vector;
        Namespaces = namespaces;
    }

    /// <summary>The feature vector, or null for namespaces.</summary>
    public IReadOnlyList<double>? Vector { get; }

    /// <summary>The namespaces, or null for a vector.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>>? Namespaces { get; }

    /// <summary>A feature vector.</summary>
    public static ActionFeatures FromVector(IReadOnlyList<double> vector) => new(vector ?? throw new ArgumentNullException(nameof(vector)), null);

    /// <summary>Namespaces of named numbers and strings.</summary>
    public static ActionFeatures FromNamespaces(IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>> namespaces) =>
        new(null, namespaces ?? throw new ArgumentNullException(nameof(namespaces)));

    /// <summary>A feature vector.</summary>
    public static implicit operator ActionFeatures(double[] vector) => FromVector(vector);

    /// <summary>The same as <see cref="FromVector"/>.</summary>
    public static ActionFeatures ToActionFeatures(double[] vector) => FromVector(vector);
}

/// <summary>Reads and writes <see cref="ActionFeatures"/> in either JSON form (an empty array reads as an empty vector).</summary>
public sealed class ActionFeaturesConverter : JsonConverter<ActionFeatures>
{
    /// <inheritdoc />
    public override ActionFeatures Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("features must be an array of numbers or of namespaces.");
        }
        if (root.GetArrayLength() > 0 && root[0].ValueKind == JsonValueKind.Object)
        {
            return ActionFeatures.FromNamespaces(root.Deserialize<List<Dictionary<string, Dictionary<string, JsonElement>>>>(options)!
                .Select(n => (IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>>)n.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, JsonElement>)p.Value))
                .ToArray());
        }
        return ActionFeatures.FromVector(root.Deserialize<double[]>(options)!);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ActionFeatures value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Vector is { } vector)
        {
            writer.WriteStartArray();
            foreach (var x in vector)
            {
                writer.WriteNumberValue(x);
            }
            writer.WriteEndArray();
        }
        else
        {
            JsonSerializer.Serialize(writer, value.Namespaces, options);
        }
    }
}
