using System.Text.Json;

namespace Cobalt.Core.Configuration;

/// <summary>
/// The shape every named component takes in a configuration file:
/// <c>{"kind": "...", "name": "...", "options": {...}}</c> (name optional, and only where allowed).
/// </summary>
/// <param name="Kind">The registry name.</param>
/// <param name="Name">Display name, when given.</param>
/// <param name="Options">The options object, when given.</param>
public sealed record KindSpec(string Kind, string? Name, JsonElement? Options)
{
    /// <summary>Reads the kind, name and options of <paramref name="json"/>; <paramref name="kinds"/> are the allowed kinds.</summary>
    /// <exception cref="OptionsException">Not an object, an unknown field, a missing or unknown kind (the field path is <paramref name="path"/>).</exception>
    public static KindSpec Read(JsonElement json, string path, IReadOnlyList<string> kinds, string what, bool allowName)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var fields = allowName ? "kind, name, options" : "kind, options";
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new OptionsException(path, $"must be an object with the fields {fields}.");
        }
        string? kind = null, name = null;
        JsonElement? options = null;
        foreach (var member in json.EnumerateObject())
        {
            switch (member.Name.ToLowerInvariant())
            {
                case "kind":
                    kind = Text(member.Value, $"{path}.kind");
                    break;
                case "name" when allowName:
                    name = Text(member.Value, $"{path}.name");
                    break;
                case "options":
                    options = member.Value;
                    break;
                default:
                    throw new OptionsException($"{path}.{member.Name}", $"unknown field; allowed: {fields}.");
            }
        }
        if (kind is null)
        {
            throw new OptionsException($"{path}.kind", $"is missing; allowed: {string.Join(", ", kinds)}.");
        }
        if (!kinds.Contains(kind))
        {
            throw new OptionsException($"{path}.kind", $"unknown {what} '{kind}'; allowed: {string.Join(", ", kinds)}.");
        }
        return new KindSpec(kind, name, options);
    }

    private static string Text(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new OptionsException(field, "must be text.");
}
