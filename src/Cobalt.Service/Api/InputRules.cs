using System.Text;
using System.Text.Json;

namespace Cobalt.Service.Api;

/// <summary>
/// The service's rules for what a client may send, checked before anything else reads a request, so that a client's
/// mistake is a 400 naming the field and never a 500:
/// <list type="bullet">
/// <item>Bodies are strict UTF-8 (invalid bytes, such as an encoded lone surrogate, are refused, not replaced).</item>
/// <item>JSON text is at most <see cref="MaxDepth"/> levels deep, has no duplicate keys in any object (after unescaping, so
/// <c>"a"</c> and <c>"\u0061"</c> are the same key) and no lone UTF-16 surrogate (<c>"\ud800"</c>) in any key or string.</item>
/// <item>Event ids have 1 to <see cref="MaxEventIdLength"/> characters from <see cref="EventIdAlphabet"/>: the characters a
/// URL path segment carries unescaped, so every id a rank call accepts can be rewarded at
/// <c>/loops/{loop}/events/{eventId}/reward</c> (an id with '/' never could).</item>
/// </list>
/// </summary>
public static class InputRules
{
    /// <summary>The characters an event id may use (letters, digits and <c>. _ ~ : -</c>).</summary>
    public const string EventIdAlphabet = "A-Z a-z 0-9 . _ ~ : -";

    /// <summary>The longest event id.</summary>
    public const int MaxEventIdLength = 128;

    /// <summary>The deepest nesting of JSON a request may carry.</summary>
    public const int MaxDepth = 16;

    /// <summary>Strict UTF-8: invalid bytes throw instead of turning into U+FFFD.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when <paramref name="id"/> is a valid event id.</summary>
    public static bool IsEventId(string id) =>
        id is { Length: > 0 and <= MaxEventIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '~' or ':' or '-');

    /// <summary>The event id, or a 400 naming <paramref name="field"/> and the rule.</summary>
    /// <exception cref="BadRequestException">The id breaks the rule.</exception>
    public static string EventId(string id, string field)
    {
        ArgumentNullException.ThrowIfNull(id);
        return IsEventId(id)
            ? id
            : throw new BadRequestException(400, $"{field} must have 1 to {MaxEventIdLength} characters from {EventIdAlphabet} (so it can be rewarded at /loops/{{loop}}/events/{{eventId}}/reward); got {Describe(id)}.");
    }

    /// <summary>True when the text holds a UTF-16 surrogate without its partner.</summary>
    public static bool HasLoneSurrogate(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Parses JSON text and checks it against the rules (depth, duplicate keys, lone surrogates); <paramref name="what"/>
    /// names the request part in messages (for example "The body" or "candidates").
    /// </summary>
    /// <exception cref="BadRequestException">The text is not valid JSON or breaks a rule (400).</exception>
    public static JsonDocument ParseJson(string text, string what)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"{what} is not valid JSON: {e.Message}");
        }
        return Checked(document, what);
    }

    /// <summary>As <see cref="ParseJson(string, string)"/>, from UTF-8 bytes (valid UTF-8: check it first); the document keeps <paramref name="utf8"/>.</summary>
    /// <exception cref="BadRequestException">The text is not valid JSON or breaks a rule (400).</exception>
    public static JsonDocument ParseJson(ReadOnlyMemory<byte> utf8, string what)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"{what} is not valid JSON: {e.Message}");
        }
        return Checked(document, what);
    }

    private static JsonDocument Checked(JsonDocument document, string what)
    {
        try
        {
            if (!Valid(document.RootElement))
            {
                Check(document.RootElement, "", what); // finds the problem again, with its path, and throws
            }
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The rules without the paths that messages need: true when the element passes (nothing allocated for arrays and numbers,
    /// which are most of a rank call); <see cref="Check"/> then runs only on a request that breaks a rule.
    /// </summary>
    private static bool Valid(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                HashSet<string>? names = null;
                string? only = null;
                foreach (var member in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = member.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return false;
                    }
                    if (HasLoneSurrogate(name))
                    {
                        return false;
                    }
                    if (only is null)
                    {
                        only = name;
                    }
                    else
                    {
                        names ??= new HashSet<string>(StringComparer.Ordinal) { only };
                        if (!names.Add(name))
                        {
                            return false;
                        }
                    }
                    if (!Valid(member.Value))
                    {
                        return false;
                    }
                }
                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null) && !Valid(item))
                    {
                        return false;
                    }
                }
                return true;
            case JsonValueKind.String:
                try
                {
                    return !HasLoneSurrogate(element.GetString()!);
                }
                catch (InvalidOperationException)
                {
                    return false;
                }
            default:
                return true;
        }
    }

    private static void Check(JsonElement element, string path, string what)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = member.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw new BadRequestException(400, $"{what} has a key{At(path)} with a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair).");
                    }
                    var child = path.Length == 0 ? name : $"{path}.{name}";
                    if (HasLoneSurrogate(name))
                    {
                        throw new BadRequestException(400, $"{what} has a key{At(path)} with a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair).");
                    }
                    if (!names.Add(name))
                    {
                        throw new BadRequestException(400, $"{what} has the key '{child}' twice; every key may appear once.");
                    }
                    Check(member.Value, child, what);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Check(item, $"{path}[{i++}]", what);
                }
                break;
            case JsonValueKind.String:
                bool lone;
                try
                {
                    lone = HasLoneSurrogate(element.GetString()!);
                }
                catch (InvalidOperationException)
                {
                    lone = true;
                }
                if (lone)
                {
                    throw new BadRequestException(400, $"{(path.Length == 0 ? what : $"{what}: {path}")} has a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair); send valid Unicode text.");
                }
                break;
            default:
                break;
        }
    }

    private static string At(string path) => path.Length == 0 ? "" : $" in {path}";

    /// <summary>A short, printable rendering of a refused id (no control characters, at most 40 characters).</summary>
    private static string Describe(string id)
    {
        var shown = new StringBuilder(id.Length > 40 ? id[..40] : id);
        for (var i = 0; i < shown.Length; i++)
        {
            if (char.IsControl(shown[i]) || char.IsSurrogate(shown[i]))
            {
                shown[i] = '?';
            }
        }
        return $"'{shown}'{(id.Length > 40 ? $"... ({id.Length} characters)" : "")}";
    }
}
