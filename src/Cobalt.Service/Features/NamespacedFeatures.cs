using System.Globalization;
using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Service.Api;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Features;

/// <summary>One hashed feature: its 32-bit hash and value.</summary>
internal readonly record struct HashedFeature(uint Hash, double Value);

/// <summary>
/// Reads JSON feature namespaces, as Azure Personalizer took them, into hashed features (<see cref="FeatureHashing"/>):
/// <c>[{"user": {"tier": "gold", "age": 31, "premium": true, "tags": ["a", "b"], "loc": {"city": "Oslo"}}}, {"device": {..}}]</c>
/// (a list of objects, or one object), each key a namespace whose value is an object of features.
/// </summary>
/// <remarks>
/// In namespace n (hash h_n = hashstring(n, 0)): a string <c>name: value</c> is the one-hot feature "n^name=value" with value 1
/// and hash hashstring(value, hashstring(name, h_n)) (VW's chain hash); a number <c>name: x</c> is "n^name" with value x and
/// hash hashstring(name, h_n); true is 1 and false 0 (a zero adds nothing, as in VW); a list of strings is one one-hot per
/// string; a nested object's features are named with '.' (<c>loc.city</c>). Anything else (null, a list holding a non-string,
/// a namespace that is not an object) answers 400 naming the request part.
/// </remarks>
internal static class NamespacedFeatures
{
    /// <summary>The longest namespace or feature name.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Reads the namespaces of <paramref name="value"/> (named <paramref name="part"/> in errors), adding to <paramref name="into"/>; returns how many features were read.</summary>
    public static int Read(JsonElement value, string part, LoopOptions options, Dictionary<string, List<HashedFeature>> into)
    {
        var count = 0;
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                count += ReadObject(value, part, options, into);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var path = $"{part}[{i++}]";
                    count += item.ValueKind == JsonValueKind.Object
                        ? ReadObject(item, path, options, into)
                        : throw new BadRequestException(400, $"{path} must be an object of namespaces such as {{\"user\": {{\"tier\": \"gold\"}}}}, not {Kind(item)}.");
                }
                break;
            default:
                throw new BadRequestException(400, $"{part} must be a list of namespace objects such as [{{\"user\": {{\"tier\": \"gold\"}}}}], not {Kind(value)}.");
        }
        return count;
    }

    private static int ReadObject(JsonElement value, string path, LoopOptions options, Dictionary<string, List<HashedFeature>> into)
    {
        var count = 0;
        foreach (var ns in value.EnumerateObject())
        {
            var nsPath = $"{path}.{ns.Name}";
            CheckName(ns.Name, nsPath, "namespace");
            if (ns.Value.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException(400, $"{nsPath} must be an object of features (a namespace such as {{\"tier\": \"gold\", \"age\": 31}}), not {Kind(ns.Value)}.");
            }
            if (!into.TryGetValue(ns.Name, out var features))
            {
                into[ns.Name] = features = [];
            }
            var before = features.Count;
            Flatten(ns.Value, FeatureHashing.Namespace(ns.Name), "", nsPath, options, features);
            count += features.Count - before;
            var total = into.Values.Sum(l => l.Count);
            if (total > options.Features.MaxFeatures)
            {
                throw TooMany(path, total, options);
            }
        }
        return count;
    }

    private static void Flatten(JsonElement value, uint namespaceHash, string prefix, string path, LoopOptions options, List<HashedFeature> features)
    {
        foreach (var member in value.EnumerateObject())
        {
            var name = prefix + member.Name;
            var memberPath = $"{path}.{member.Name}";
            CheckName(name, memberPath, "feature");
            var v = member.Value;
            switch (v.ValueKind)
            {
                case JsonValueKind.String:
                    features.Add(new(FeatureHashing.Categorical(namespaceHash, name, v.GetString()!), 1));
                    break;
                case JsonValueKind.Number:
                    var x = Number(v, memberPath, options);
                    if (x != 0)
                    {
                        features.Add(new(FeatureHashing.Numeric(namespaceHash, name), x));
                    }
                    break;
                case JsonValueKind.True:
                    features.Add(new(FeatureHashing.Numeric(namespaceHash, name), 1));
                    break;
                case JsonValueKind.False:
                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in v.EnumerateArray())
                    {
                        features.Add(item.ValueKind == JsonValueKind.String
                            ? new(FeatureHashing.Categorical(namespaceHash, name, item.GetString()!), 1)
                            : throw new BadRequestException(400, $"{memberPath}[{i}] must be text: a list holds strings, each a one-hot feature; not {Kind(item)}."));
                        i++;
                    }
                    break;
                case JsonValueKind.Object:
                    Flatten(v, namespaceHash, name + ".", memberPath, options, features);
                    break;
                default:
                    throw new BadRequestException(400, $"{memberPath} must be text, a number, true/false, a list of strings or an object, not {Kind(v)}.");
            }
            if (features.Count > options.Features.MaxFeatures)
            {
                throw TooMany(path, features.Count, options);
            }
        }
    }

    private static double Number(JsonElement value, string path, LoopOptions options)
    {
        if (!value.TryGetDouble(out var x) || !double.IsFinite(x))
        {
            throw new BadRequestException(400, $"{path} must be a finite number, not {value.GetRawText()}.");
        }
        return options.FeatureProblem([x], path) is { } problem
            ? throw new BadRequestException(400, problem.Replace($"{path}[0]", path, StringComparison.Ordinal))
            : x;
    }

    private static void CheckName(string name, string path, string what)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new BadRequestException(400, $"{path}: a {what} name has 1 to {MaxNameLength} characters.");
        }
    }

    /// <summary>The 400 for a request part with more features than the loop allows.</summary>
    public static BadRequestException TooMany(string part, int count, LoopOptions options) =>
        new(400, $"{part} has {count.ToString(CultureInfo.InvariantCulture)} or more features; this loop's limit is {options.Features.MaxFeatures} (loop option features.max-features).");

    /// <summary>A JSON kind in words.</summary>
    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "text",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        _ => "null",
    };
}
