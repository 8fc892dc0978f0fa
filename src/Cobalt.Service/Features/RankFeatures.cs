using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Service.Api;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Features;

/// <summary>
/// Turns the features of a rank call into the numeric vectors the loop's policy takes, before the call is parsed
/// (<see cref="RankRequest"/>): JSON namespaces are hashed (<see cref="NamespacedFeatures"/>, <see cref="FeatureHashing"/>)
/// and, with an ONNX model, the raw vectors are embedded (<see cref="OnnxEmbedder"/>). The body is rewritten with
/// <c>"context"</c> and each action's <c>"features"</c> as numbers, every other field copied as it came, so the decision
/// that is logged (and learned and evaluated from) holds exactly the vectors the policy saw.
/// </summary>
/// <remarks>
/// Raw dimensions: the ONNX model's input widths d_c and d_a when the loop has one, else the loop's context-dimension and
/// action-dimension. Context namespaces hash into the context vector (when its dimension is 0 they only feed interactions);
/// an action's namespaces and every interaction pair "a:b" hash into that action's vector, where a and b gather the
/// namespace's features from the context and from the action (VW's shared and action features together). With an ONNX
/// model the policy's context is the user embedding u and each action's vector is [u ⊙ v_a, 1] (or v_a; see
/// <see cref="OnnxActionFeatures"/>).
/// </remarks>
internal static class RankFeatures
{
    private static readonly ConditionalWeakTable<OnnxOptions, OnnxEmbedder> Models = [];

    /// <summary>The rewritten body, or null when the loop takes numeric vectors as they are (nothing to do).</summary>
    /// <exception cref="BadRequestException">A feature part is malformed, of a form the loop does not take, or too large (400 naming it).</exception>
    public static JsonDocument? Transform(JsonElement root, LoopOptions options, int maxNumbers)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = options.Features;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null; // RankRequest names this mistake
        }
        if (f.Input == FeatureInput.Numbers && f.Model is null)
        {
            return root.TryGetProperty("contextFeatures", out _)
                ? throw new BadRequestException(400, "contextFeatures: this loop takes numeric vectors (loop option features.input is numbers); send \"context\": [numbers].")
                : null;
        }
        var model = f.Model is null ? null : Models.GetValue(f.Model, OnnxEmbedder.Load);
        var pairs = f.Pairs;
        var contextWidth = model?.ContextDimension ?? options.ContextDimension;
        var actionWidth = model?.ActionDimension ?? options.ActionDimension;

        JsonElement? numbers = null, namespaces = null, actions = null;
        foreach (var member in root.EnumerateObject())
        {
            switch (member.Name)
            {
                case "context":
                    numbers = member.Value;
                    break;
                case "contextFeatures":
                    namespaces = member.Value;
                    break;
                case "actions":
                    actions = member.Value;
                    break;
                default:
                    break;
            }
        }
        if (actions is not { ValueKind: JsonValueKind.Array } actionList)
        {
            return null; // RankRequest names this mistake
        }
        var n = actionList.GetArrayLength();
        if (n > options.MaxActions)
        {
            throw new BadRequestException(400, $"{n} actions exceed this loop's limit of {options.MaxActions}.");
        }

        // The context.
        var context = new double[contextWidth];
        var contextNamespaces = new Dictionary<string, List<HashedFeature>>(StringComparer.Ordinal);
        if (numbers is { } numeric && namespaces is not null)
        {
            throw new BadRequestException(400, "give the context as \"context\" (numbers) or as \"contextFeatures\" (namespaces), not both.");
        }
        if (numbers is { } given)
        {
            RequireForm(f.Input != FeatureInput.Namespaces, "context", "namespaces: send \"contextFeatures\": [{\"namespace\": {..}}]");
            context = Vector(given, "context", contextWidth, options, maxNumbers);
        }
        else if (namespaces is { } named)
        {
            RequireForm(f.Input != FeatureInput.Numbers, "contextFeatures", "numeric vectors: send \"context\": [numbers]");
            NamespacedFeatures.Read(named, "contextFeatures", options, contextNamespaces);
            if (contextWidth > 0)
            {
                foreach (var feature in contextNamespaces.Values.SelectMany(l => l))
                {
                    FeatureHashing.Add(feature.Hash, feature.Value, context);
                }
            }
            else if (contextNamespaces.Keys.FirstOrDefault(ns => !pairs.Any(p => p.First == ns || p.Second == ns)) is { } unused)
            {
                throw new BadRequestException(400, $"contextFeatures: namespace '{unused}' is in no interaction and this loop's context dimension is 0, so it would be ignored; add an interaction (loop option features.interactions) or leave it out.");
            }
        }
        else if (f.Input == FeatureInput.Numbers && contextWidth > 0)
        {
            throw new BadRequestException(400, $"context is missing: this loop expects {contextWidth} numbers.");
        }

        // The actions.
        var raw = new double[n * actionWidth];
        var index = 0;
        foreach (var action in actionList.EnumerateArray())
        {
            var path = $"actions[{index}]";
            var row = raw.AsSpan(index * actionWidth, actionWidth);
            index++;
            if (action.ValueKind != JsonValueKind.Object)
            {
                return null; // RankRequest names this mistake
            }
            if (!action.TryGetProperty("features", out var features))
            {
                if (f.Input == FeatureInput.Numbers)
                {
                    throw new BadRequestException(400, $"{path}.features is missing: this loop expects {actionWidth} numbers.");
                }
                Hash(row, [], contextNamespaces, pairs, path, options);
                continue;
            }
            var isNumeric = features.ValueKind == JsonValueKind.Array && features.GetArrayLength() > 0 && features[0].ValueKind == JsonValueKind.Number;
            if (isNumeric || f.Input == FeatureInput.Numbers)
            {
                RequireForm(f.Input != FeatureInput.Namespaces, $"{path}.features", "namespaces: send \"features\": [{\"namespace\": {..}}]");
                Vector(features, $"{path}.features", actionWidth, options, maxNumbers).CopyTo(row);
            }
            else
            {
                var own = new Dictionary<string, List<HashedFeature>>(StringComparer.Ordinal);
                NamespacedFeatures.Read(features, $"{path}.features", options, own);
                Hash(row, own, contextNamespaces, pairs, path, options);
            }
        }

        // The policy's vectors.
        double[] policyContext;
        double[] policyActions;
        if (model is null)
        {
            policyContext = context;
            policyActions = raw;
        }
        else
        {
            var k = model.EmbeddingDimension;
            var width = OnnxEmbedder.PolicyActionWidth(k, f.Onnx.Actions);
            policyContext = new double[k];
            var items = new double[n * k];
            policyActions = new double[n * width];
            if (n > 0)
            {
                try
                {
                    model.Embed(context, raw, n, policyContext, items);
                }
                catch (InvalidOperationException e)
                {
                    throw new BadRequestException(400, $"actions: {e.Message}");
                }
                for (var i = 0; i < n; i++)
                {
                    var v = items.AsSpan(i * k, k);
                    var row = policyActions.AsSpan(i * width, width);
                    if (f.Onnx.Actions == OnnxActionFeatures.Product)
                    {
                        for (var j = 0; j < k; j++)
                        {
                            row[j] = v[j] * policyContext[j];
                        }
                        row[k] = 1; // the constant feature
                    }
                    else
                    {
                        v.CopyTo(row);
                    }
                }
            }
        }
        return Rewrite(root, policyContext, policyActions, n == 0 ? 0 : policyActions.Length / n);
    }

    private static void RequireForm(bool allowed, string part, string expected)
    {
        if (!allowed)
        {
            throw new BadRequestException(400, $"{part}: this loop takes {expected} (loop option features.input).");
        }
    }

    /// <summary>A numeric vector of exactly <paramref name="width"/> values within the loop's feature limits.</summary>
    private static double[] Vector(JsonElement value, string part, int width, LoopOptions options, int maxNumbers)
    {
        var vector = RankRequest.Numbers(value, part, Math.Max(maxNumbers, width));
        if (vector.Length != width)
        {
            throw new BadRequestException(400, $"{part} has {vector.Length} values; this loop expects {width}.");
        }
        return options.FeatureProblem(vector, part) is { } problem ? throw new BadRequestException(400, problem) : vector;
    }

    /// <summary>Hashes an action's own namespaces and the loop's interactions into <paramref name="row"/>.</summary>
    private static void Hash(Span<double> row, Dictionary<string, List<HashedFeature>> own, Dictionary<string, List<HashedFeature>> context,
        IReadOnlyList<(string First, string Second)> pairs, string path, LoopOptions options)
    {
        var count = 0;
        foreach (var feature in own.Values.SelectMany(l => l))
        {
            FeatureHashing.Add(feature.Hash, feature.Value, row);
            count++;
        }
        foreach (var (a, b) in pairs)
        {
            var first = Gather(a, own, context);
            var second = Gather(b, own, context);
            count += first.Count * second.Count;
            if (count > options.Features.MaxFeatures)
            {
                throw NamespacedFeatures.TooMany($"{path}.features (with interactions)", count, options);
            }
            foreach (var x in first)
            {
                foreach (var y in second)
                {
                    FeatureHashing.Add(FeatureHashing.Quadratic(x.Hash, y.Hash), x.Value * y.Value, row);
                }
            }
        }
    }

    private static List<HashedFeature> Gather(string ns, Dictionary<string, List<HashedFeature>> own, Dictionary<string, List<HashedFeature>> context)
    {
        var inContext = context.GetValueOrDefault(ns);
        var inAction = own.GetValueOrDefault(ns);
        return inContext is null ? inAction ?? [] : inAction is null ? inContext : [.. inContext, .. inAction];
    }

    /// <summary>The body with <c>context</c> and each action's <c>features</c> replaced by the vectors, other fields copied.</summary>
    private static JsonDocument Rewrite(JsonElement root, double[] context, double[] actions, int width)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + (8 * (context.Length + actions.Length)));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("context");
            Write(writer, context);
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "context" or "contextFeatures":
                        break;
                    case "actions":
                        writer.WriteStartArray("actions");
                        var i = 0;
                        foreach (var action in member.Value.EnumerateArray())
                        {
                            writer.WriteStartObject();
                            foreach (var field in action.EnumerateObject())
                            {
                                if (field.Name != "features")
                                {
                                    field.WriteTo(writer);
                                }
                            }
                            writer.WritePropertyName("features");
                            Write(writer, actions.AsSpan(i * width, width));
                            writer.WriteEndObject();
                            i++;
                        }
                        writer.WriteEndArray();
                        break;
                    default:
                        member.WriteTo(writer);
                        break;
                }
            }
            writer.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    private static void Write(Utf8JsonWriter writer, ReadOnlySpan<double> values)
    {
        writer.WriteStartArray();
        foreach (var v in values)
        {
            writer.WriteNumberValue(v);
        }
        writer.WriteEndArray();
    }
}
