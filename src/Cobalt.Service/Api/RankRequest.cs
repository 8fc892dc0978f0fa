using System.Text.Json;
using Cobalt.Service.Loops;

namespace Cobalt.Service.Api;

/// <summary>A request the API refuses: the HTTP status and a message naming what is wrong.</summary>
public sealed class BadRequestException(int status, string message) : Exception(message)
{
    /// <summary>HTTP status to answer with.</summary>
    public int Status { get; } = status;

    /// <summary>Creates a 400 exception (prefer the primary constructor).</summary>
    public BadRequestException()
        : this(400, "bad request")
    {
    }

    /// <summary>Creates a 400 exception (prefer the primary constructor).</summary>
    public BadRequestException(string message)
        : this(400, message)
    {
    }

    /// <summary>Creates a 400 exception (prefer the primary constructor).</summary>
    public BadRequestException(string message, Exception inner)
        : this(400, message) => _ = inner;
}

/// <summary>One action of a rank call: its features may be a slice of the request's action matrix (<see cref="RankRequest.Matrix"/>).</summary>
internal sealed record RankedAction(string Id, ReadOnlyMemory<double> Features);

/// <summary>
/// A parsed rank call: <c>{"eventId"?, "context": [..], "actions": [{"id", "features"}], "excluded"?: [ids], "slateSize"?, "defaultAction"?}</c>.
/// Every check names the field: the event id's alphabet and length (<see cref="InputRules"/>), sizes against the loop, finite
/// numbers, distinct action ids, excluded and default actions among the actions.
/// </summary>
internal sealed record RankRequest(string? EventId, double[] Context, IReadOnlyList<RankedAction> Actions, IReadOnlySet<string> Excluded, int SlateSize, string? DefaultAction)
{
    /// <summary>The caller's key for the user (<c>"userKey"</c>): stored hashed with the event, so the user's events can be erased.</summary>
    public string? UserKey { get; init; }

    /// <summary><c>"deferActivation": true</c>: the event is learned only if activated within the reward wait.</summary>
    public bool DeferActivation { get; init; }

    /// <summary>
    /// Every action's features, row by row in the request's order (actions x the loop's action dimension), when the parser
    /// built them as one matrix (<see cref="RankReader"/>); null otherwise. Each action's <see cref="RankedAction.Features"/>
    /// is then a slice of it.
    /// </summary>
    public double[]? Matrix { get; init; }

    public static RankRequest Parse(JsonElement root, LoopOptions options, int maxFeatures)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new BadRequestException(400, "The body must be a JSON object.");
        }
        string? eventId = null, defaultAction = null;
        double[]? context = null;
        List<RankedAction>? actions = null;
        var excluded = new HashSet<string>(StringComparer.Ordinal);
        var slateSize = 1;
        string? userKey = null;
        var defer = false;
        foreach (var member in root.EnumerateObject())
        {
            switch (member.Name)
            {
                case "eventId":
                    eventId = member.Value.ValueKind == JsonValueKind.String
                        ? InputRules.EventId(member.Value.GetString()!, "eventId")
                        : throw new BadRequestException(400, "eventId must be text.");
                    break;
                case "context":
                    context = Numbers(member.Value, "context", maxFeatures);
                    break;
                case "actions":
                    actions = ParseActions(member.Value, options, maxFeatures);
                    break;
                case "excluded":
                    if (member.Value.ValueKind != JsonValueKind.Array)
                    {
                        throw new BadRequestException(400, "excluded must be a list of action ids.");
                    }
                    foreach (var (item, i) in member.Value.EnumerateArray().Select((v, i) => (v, i)))
                    {
                        excluded.Add(Text(item, $"excluded[{i}]", 256));
                    }
                    break;
                case "slateSize":
                    slateSize = member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt32(out var m) && m >= 1 && m <= options.MaxSlateSize
                        ? m
                        : throw new BadRequestException(400, $"slateSize must be a whole number from 1 to {options.MaxSlateSize}.");
                    break;
                case "defaultAction":
                    defaultAction = Text(member.Value, "defaultAction", 256);
                    break;
                case "userKey":
                    userKey = Text(member.Value, "userKey", 256);
                    break;
                case "deferActivation":
                    defer = member.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? member.Value.GetBoolean()
                        : throw new BadRequestException(400, "deferActivation must be true or false.");
                    break;
                default:
                    throw new BadRequestException(400, $"Unknown field '{member.Name}'; allowed: eventId, context, actions, excluded, slateSize, defaultAction, userKey, deferActivation.");
            }
        }
        return Finish(eventId, context ?? [], actions, excluded, slateSize, defaultAction, userKey, defer, options, null);
    }

    /// <summary>The checks across fields (sizes, excluded and default actions), the same for every parser.</summary>
    internal static RankRequest Finish(string? eventId, double[] context, List<RankedAction>? actions, HashSet<string> excluded, int slateSize,
        string? defaultAction, string? userKey, bool defer, LoopOptions options, double[]? matrix)
    {
        if (context.Length != options.ContextDimension)
        {
            throw new BadRequestException(400, $"context has {context.Length} features; this loop expects {options.ContextDimension}.");
        }
        if (options.FeatureProblem(context, "context") is { } contextProblem)
        {
            throw new BadRequestException(400, contextProblem);
        }
        if (actions is null || actions.Count == 0)
        {
            throw new BadRequestException(400, "actions is missing or empty: give at least one action.");
        }
        // The ids' set is built only when a check needs it (exclusions, apprentice mode): a plain call builds none.
        var ids = excluded.Count > 0 || options.Apprentice ? actions.Select(a => a.Id).ToHashSet(StringComparer.Ordinal) : null;
        if (ids is not null && excluded.FirstOrDefault(e => !ids.Contains(e)) is { } unknown)
        {
            throw new BadRequestException(400, $"excluded action '{unknown}' is not among the actions.");
        }
        var eligible = actions.Count - excluded.Count;
        if (eligible == 0)
        {
            throw new BadRequestException(400, "every action is excluded: nothing is left to rank.");
        }
        if (options.Apprentice)
        {
            if (defaultAction is null)
            {
                throw new BadRequestException(400, "this loop is in apprentice mode: give defaultAction, the action you serve.");
            }
            if (!ids!.Contains(defaultAction) || excluded.Contains(defaultAction))
            {
                throw new BadRequestException(400, $"defaultAction '{defaultAction}' is not among the eligible actions.");
            }
        }
        return new RankRequest(eventId, context, actions, excluded, Math.Min(slateSize, eligible), defaultAction) { UserKey = userKey, DeferActivation = defer, Matrix = matrix };
    }

    private static List<RankedAction> ParseActions(JsonElement value, LoopOptions options, int maxFeatures)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new BadRequestException(400, "actions must be a list of {\"id\", \"features\"} objects.");
        }
        var count = value.GetArrayLength();
        if (count > options.MaxActions)
        {
            throw new BadRequestException(400, $"{count} actions exceed this loop's limit of {options.MaxActions}.");
        }
        var actions = new List<RankedAction>(count);
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        var index = 0;
        // Field names ("actions[3].features") are built only for a message: a valid call builds none.
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException(400, $"{Path(index)} must be an object with 'id' and 'features'.");
            }
            string? id = null;
            double[]? features = null;
            foreach (var member in item.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "id":
                        id = member.Value.ValueKind == JsonValueKind.String && member.Value.GetString() is { Length: > 0 and <= 256 } text
                            ? text
                            : Text(member.Value, $"{Path(index)}.id", 256); // throws, naming the field
                        break;
                    case "features":
                        features = ActionNumbers(member.Value, index, maxFeatures);
                        break;
                    default:
                        throw new BadRequestException(400, $"Unknown field '{Path(index)}.{member.Name}'; allowed: id, features.");
                }
            }
            if (id is null)
            {
                throw new BadRequestException(400, $"{Path(index)}.id is missing.");
            }
            if (!seen.Add(id))
            {
                throw new BadRequestException(400, $"action id '{id}' appears twice.");
            }
            features ??= [];
            if (features.Length != options.ActionDimension)
            {
                throw new BadRequestException(400, $"{Path(index)}.features has {features.Length} values; this loop expects {options.ActionDimension}.");
            }
            if (options.FeatureProblem(features, "") is not null && options.FeatureProblem(features, $"{Path(index)}.features") is { } problem)
            {
                throw new BadRequestException(400, problem);
            }
            actions.Add(new RankedAction(id, features));
            index++;
        }
        return actions;

        static string Path(int index) => $"actions[{index}]";
    }

    /// <summary><see cref="Numbers"/> of <c>actions[index].features</c>, naming the field only when it is refused.</summary>
    private static double[] ActionNumbers(JsonElement value, int index, int maxLength)
    {
        try
        {
            return Numbers(value, "", maxLength);
        }
        catch (BadRequestException)
        {
            return Numbers(value, $"actions[{index}].features", maxLength); // fails the same way, with the field's name
        }
    }

    private static string Text(JsonElement value, string field, int maxLength)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new BadRequestException(400, $"{field} must be text.");
        }
        var text = value.GetString()!;
        return text.Length is > 0 and var n && n <= maxLength
            ? text
            : throw new BadRequestException(400, $"{field} must have 1 to {maxLength} characters.");
    }

    /// <summary>A list of finite numbers (JSON has no NaN or infinity, but huge exponents overflow to infinity).</summary>
    public static double[] Numbers(JsonElement value, string field, int maxLength)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new BadRequestException(400, $"{field} must be a list of numbers.");
        }
        if (value.GetArrayLength() > maxLength)
        {
            throw new BadRequestException(400, $"{field} has {value.GetArrayLength()} values; the limit is {maxLength}.");
        }
        var numbers = new double[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                throw new BadRequestException(400, $"{field}[{i}] must be a finite number, not {(item.ValueKind == JsonValueKind.Number ? item.GetRawText() : item.ValueKind.ToString().ToLowerInvariant())}.");
            }
            numbers[i++] = number;
        }
        return numbers;
    }
}
