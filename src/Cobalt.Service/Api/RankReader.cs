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

    /// <summary>This thread's scratch rows: the features are read here, then copied once into an exact-size matrix.</summary>
    [ThreadStatic]
    private static double[]? scratch;

    /// <summary>The actions and their features as one matrix; (null, null) when the general parser must look.</summary>
    private static (List<RankedAction>? Actions, double[]? Matrix) Actions(ref Utf8JsonReader reader, LoopOptions options, int maxFeatures)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return (null, null);
        }
        var dimension = options.ActionDimension;
        var rows = scratch ??= new double[64 * Math.Max(dimension, 1)];
        var ids = new List<string>(Math.Min(options.MaxActions, 64));
        var seen = new HashSet<string>(ids.Capacity, StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || ids.Count == options.MaxActions)
            {
                return (null, null);
            }
            if ((ids.Count + 1) * dimension > rows.Length)
            {
                Array.Resize(ref rows, rows.Length * 2);
                scratch = rows;
            }
            string? id = null;
            var hasFeatures = false;
            var row = rows.AsSpan(ids.Count * dimension, dimension);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped)
                {
                    return (null, null);
                }
                if (reader.ValueTextEquals("id"u8) && id is null)
                {
                    reader.Read();
                    if ((id = Text(ref reader, 256)) is null || !seen.Add(id))
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
            ids.Add(id);
        }
        if (ids.Count == 0)
        {
            return (null, null);
        }
        var matrix = rows.AsSpan(0, ids.Count * dimension).ToArray();
        var actions = new List<RankedAction>(ids.Count);
        for (var a = 0; a < ids.Count; a++)
        {
            actions.Add(new RankedAction(ids[a], matrix.AsMemory(a * dimension, dimension)));
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
            if (reader.TokenType != JsonTokenType.Number || count == into.Length || count == maxLength)
            {
                return -1;
            }
            if (reader.HasValueSequence || !TryShortDecimal(reader.ValueSpan, out var value))
            {
                if (!reader.TryGetDouble(out value) || !double.IsFinite(value))
                {
                    return -1;
                }
            }
            into[count++] = value;
        }
        return count;
    }

    /// <summary>Exact powers of ten as doubles: 10^0 to 10^22 (10^22 is the largest that a double holds exactly).</summary>
    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// A JSON number token of at most 15 significant digits and a decimal exponent within ±22, such as the 4-decimal
    /// features clients usually send, converted exactly as <see cref="double.Parse(string)"/> would: the digits form an
    /// integer m below 10^15 &lt; 2^53 and 10^|e| is exact, so m x 10^e or m / 10^-e is one correctly rounded IEEE
    /// operation (Clinger's fast path: W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990). False
    /// for anything else (more digits, a larger exponent), which the caller hands to the general parser.
    /// The token is valid JSON number grammar (the reader checked it): -?int(.frac)?([eE][+-]?digits)?.
    /// </summary>
    internal static bool TryShortDecimal(ReadOnlySpan<byte> token, out double value)
    {
        value = 0;
        var i = 0;
        var negative = token.Length > 0 && token[0] == (byte)'-';
        if (negative)
        {
            i++;
        }
        long mantissa = 0;
        var digits = 0; // significant digits taken into the mantissa (leading zeros are not significant)
        var scale = 0;  // decimal exponent contributed by the fraction's digits
        for (; i < token.Length && (uint)(token[i] - '0') <= 9; i++)
        {
            if (mantissa != 0 || token[i] != '0')
            {
                if (++digits > 15)
                {
                    return false;
                }
                mantissa = mantissa * 10 + (token[i] - '0');
            }
        }
        if (i < token.Length && token[i] == (byte)'.')
        {
            for (i++; i < token.Length && (uint)(token[i] - '0') <= 9; i++)
            {
                if (mantissa != 0 || token[i] != '0')
                {
                    if (++digits > 15)
                    {
                        return false;
                    }
                }
                mantissa = mantissa * 10 + (token[i] - '0');
                scale--;
                if (scale < -22 - 15)
                {
                    return false;
                }
            }
        }
        var exponent = 0;
        if (i < token.Length && (token[i] | 0x20) == (byte)'e')
        {
            i++;
            var negativeExponent = token[i] == (byte)'-';
            if (token[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }
            for (; i < token.Length; i++)
            {
                exponent = exponent * 10 + (token[i] - '0');
                if (exponent > 400)
                {
                    return false;
                }
            }
            if (negativeExponent)
            {
                exponent = -exponent;
            }
        }
        if (i != token.Length)
        {
            return false;
        }
        var e = exponent + scale;
        if (e is < -22 or > 22)
        {
            return false;
        }
        var m = (double)mantissa; // exact: below 10^15
        value = e < 0 ? m / PowersOfTen[-e] : m * PowersOfTen[e];
        if (negative)
        {
            value = -value;
        }
        return true;
    }

    /// <summary>An unescaped string of 1 to <paramref name="maxLength"/> characters, or null.</summary>
    private static string? Text(ref Utf8JsonReader reader, int maxLength) =>
        reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.GetString() is { Length: > 0 } text && text.Length <= maxLength ? text : null;
}
