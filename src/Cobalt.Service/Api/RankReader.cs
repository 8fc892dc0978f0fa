using System.Text.Json;
using Cobalt.Service.Features;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Api;

/// <summary>
/// The rank call's fast parser: reads a plain numeric rank body (<c>{"context": [..], "actions": [{"id", "features"}], ..}</c>)
/// straight from its UTF-8 bytes with <see cref="Utf8JsonReader"/>, every action's features into one actions x dimension
/// matrix (<see cref="RankRequest.Matrix"/>), without a JSON document, per-action arrays or a copy of the matrix.
/// It accepts only what <see cref="InputRules"/> and <see cref="RankRequest.Parse"/> accept: a body it is not sure of (an
/// escaped key or string, which could hide a lone surrogate or a duplicate key; a duplicate key; a value of the wrong kind
/// or size; a number out of range; a repeated action id; namespaced or ONNX features) makes it answer false, and the caller
/// then parses the body the general way, which answers the request or names what is wrong in the same words as before.
/// Only the checks across fields (<see cref="RankRequest.Finish"/>) throw from here, with the general parser's messages.
/// </summary>
internal static class RankReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = InputRules.MaxDepth };

    private const int EventIdBit = 1, ContextBit = 2, ActionsBit = 4, ExcludedBit = 8, SlateBit = 16, DefaultBit = 32, UserBit = 64, DeferBit = 128;

    /// <summary>The parsed request, or null when the body needs the general parser (never for a request it can answer).</summary>
    /// <exception cref="BadRequestException">The fields are each valid but do not fit together (the general parser's messages).</exception>
    public static RankRequest? TryParse(ReadOnlySpan<byte> utf8, LoopOptions options, int maxFeatures)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Features.Input != FeatureInput.Numbers || options.Features.Model is not null)
        {
            return null;
        }
        try
        {
            return Read(utf8, options, maxFeatures);
        }
        catch (JsonException)
        {
            return null; // not JSON, or not as expected: the general parser names the problem
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static RankRequest? Read(ReadOnlySpan<byte> utf8, LoopOptions options, int maxFeatures)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        string? eventId = null, defaultAction = null, userKey = null;
        double[]? context = null, matrix = null;
        List<RankedAction>? actions = null;
        HashSet<string>? excluded = null;
        var slateSize = 1;
        var defer = false;
        var seen = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return null;
            }
            var bit = reader.ValueTextEquals("context"u8) ? ContextBit
                : reader.ValueTextEquals("actions"u8) ? ActionsBit
                : reader.ValueTextEquals("eventId"u8) ? EventIdBit
                : reader.ValueTextEquals("excluded"u8) ? ExcludedBit
                : reader.ValueTextEquals("slateSize"u8) ? SlateBit
                : reader.ValueTextEquals("defaultAction"u8) ? DefaultBit
                : reader.ValueTextEquals("userKey"u8) ? UserBit
                : reader.ValueTextEquals("deferActivation"u8) ? DeferBit
                : 0;
            if (bit == 0 || (seen & bit) != 0 || !reader.Read())
            {
                return null; // an unknown or repeated key
            }
            seen |= bit;
            switch (bit)
            {
                case ContextBit:
                    context = new double[options.ContextDimension];
                    if (Numbers(ref reader, context, maxFeatures) != context.Length || options.FeatureProblem(context, "") is not null)
                    {
                        return null;
                    }
                    break;
                case ActionsBit:
                    (actions, matrix) = Actions(ref reader, options, maxFeatures);
                    if (actions is null)
                    {
                        return null;
                    }
                    break;
                case EventIdBit:
                    if (Text(ref reader, InputRules.MaxEventIdLength) is not { } id || !InputRules.IsEventId(id))
                    {
                        return null;
                    }
                    eventId = id;
                    break;
                case ExcludedBit:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return null;
                    }
                    excluded = new HashSet<string>(StringComparer.Ordinal);
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (Text(ref reader, 256) is not { } item)
                        {
                            return null;
                        }
                        excluded.Add(item);
                    }
                    break;
                case SlateBit:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out slateSize) || slateSize < 1 || slateSize > options.MaxSlateSize)
                    {
                        return null;
                    }
                    break;
                case DefaultBit:
                    if ((defaultAction = Text(ref reader, 256)) is null)
                    {
                        return null;
                    }
                    break;
                case UserBit:
                    if ((userKey = Text(ref reader, 256)) is null)
                    {
                        return null;
                    }
                    break;
                default:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        return null;
                    }
                    defer = reader.GetBoolean();
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return null; // reading past the end throws on anything but white space
        }
        if (context is null || actions is null)
        {
            return null; // the general parser names what is missing
        }
        return RankRequest.Finish(eventId, context, actions, excluded ?? new HashSet<string>(StringComparer.Ordinal), slateSize, defaultAction,
            userKey, defer, options, matrix);
    }

    /// <summary>The actions and their features as one matrix; (null, null) when the general parser must look.</summary>
    private static (List<RankedAction>? Actions, double[]? Matrix) Actions(ref Utf8JsonReader reader, LoopOptions options, int maxFeatures)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return (null, null);
        }
        var dimension = options.ActionDimension;
        var capacity = Math.Min(options.MaxActions, 64);
        var matrix = new double[capacity * dimension];
        var actions = new List<RankedAction>(capacity);
        var ids = new HashSet<string>(capacity, StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || actions.Count == options.MaxActions)
            {
                return (null, null);
            }
            if (actions.Count == capacity)
            {
                capacity = Math.Min(options.MaxActions, capacity * 2);
                Array.Resize(ref matrix, capacity * dimension);
            }
            string? id = null;
            var hasFeatures = false;
            var row = matrix.AsSpan(actions.Count * dimension, dimension);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped)
                {
                    return (null, null);
                }
                if (reader.ValueTextEquals("id"u8) && id is null)
                {
                    reader.Read();
                    if ((id = Text(ref reader, 256)) is null || !ids.Add(id))
                    {
                        return (null, null);
                    }
                }
                else if (reader.ValueTextEquals("features"u8) && !hasFeatures)
                {
                    reader.Read();
                    if (Numbers(ref reader, row, maxFeatures) != dimension || options.FeatureProblem(row, "") is not null)
                    {
                        return (null, null);
                    }
                    hasFeatures = true;
                }
                else
                {
                    return (null, null);
                }
            }
            if (id is null || !hasFeatures)
            {
                return (null, null);
            }
            actions.Add(new RankedAction(id, matrix.AsMemory(actions.Count * dimension, dimension)));
        }
        if (actions.Count == 0)
        {
            return (null, null);
        }
        if (matrix.Length != actions.Count * dimension)
        {
            var exact = matrix.AsSpan(0, actions.Count * dimension).ToArray();
            for (var i = 0; i < actions.Count; i++)
            {
                actions[i] = actions[i] with { Features = exact.AsMemory(i * dimension, dimension) };
            }
            matrix = exact;
        }
        return (actions, matrix);
    }

    /// <summary>
    /// Reads an array of finite numbers into <paramref name="into"/>: the count read, or -1 when the value is not such an
    /// array, is longer than <paramref name="into"/> or than <paramref name="maxLength"/>.
    /// </summary>
    private static int Numbers(ref Utf8JsonReader reader, Span<double> into, int maxLength)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return -1;
        }
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || count == into.Length || count == maxLength
                || !reader.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return -1;
            }
            into[count++] = value;
        }
        return count;
    }

    /// <summary>An unescaped string of 1 to <paramref name="maxLength"/> characters, or null.</summary>
    private static string? Text(ref Utf8JsonReader reader, int maxLength) =>
        reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.GetString() is { Length: > 0 } text && text.Length <= maxLength ? text : null;
}
