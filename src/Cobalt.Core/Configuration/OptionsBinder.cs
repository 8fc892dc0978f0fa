using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Cobalt.Core.Configuration;

/// <summary>One option of an options record, for help texts.</summary>
/// <param name="Name">Kebab-case name as written in files.</param>
/// <param name="Type">Value type in words (number, whole number, true/false, text, one of ...).</param>
/// <param name="Default">The default value as it would be written in a file.</param>
/// <param name="Description">What the option does.</param>
public sealed record OptionInfo(string Name, string Type, string Default, string Description);

/// <summary>
/// Binds JSON objects to immutable options records (public init properties with defaults) and
/// back, naming the exact field and the allowed values when something is wrong. Property names
/// are written in kebab-case (<c>refactor-every</c>); camelCase and PascalCase are accepted too.
/// </summary>
public static class OptionsBinder
{
    /// <summary>Binds <paramref name="json"/> (an object, or null/undefined for all defaults) to a new <typeparamref name="T"/> and validates it.</summary>
    /// <exception cref="OptionsException">Unknown option, wrong type, or a value that fails validation (field path given).</exception>
    public static T Bind<T>(JsonElement? json, string path)
        where T : class, IValidatable, new() => (T)Bind(typeof(T), json, path);

    /// <summary>Binds <paramref name="json"/> to a new instance of <paramref name="type"/> and validates it.</summary>
    public static IValidatable Bind(Type type, JsonElement? json, string path)
    {
        ArgumentNullException.ThrowIfNull(type);
        var options = (IValidatable)(Activator.CreateInstance(type)
            ?? throw new ArgumentException($"{type.Name} needs a public parameterless constructor.", nameof(type)));
        if (json is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } element)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new OptionsException(path, $"must be an object of options, not {Describe(element.ValueKind)}.");
            }
            var properties = Settable(type);
            foreach (var member in element.EnumerateObject())
            {
                var property = properties.FirstOrDefault(p => Names.Matches(member.Name, p.Name))
                    ?? throw new OptionsException(Join(path, member.Name), $"unknown option; allowed: {string.Join(", ", properties.Select(p => Names.Kebab(p.Name)))}.");
                property.SetValue(options, Convert(member.Value, property.PropertyType, Join(path, Names.Kebab(property.Name))));
            }
        }
        try
        {
            options.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(path);
        }
        return options;
    }

    /// <summary>The options of <paramref name="type"/> with their defaults and descriptions.</summary>
    public static IReadOnlyList<OptionInfo> Describe(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var defaults = Activator.CreateInstance(type);
        return Settable(type)
            .Select(p => new OptionInfo(
                Names.Kebab(p.Name),
                TypeWords(p.PropertyType),
                FormatValue(p.GetValue(defaults)),
                p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? string.Empty))
            .ToArray();
    }

    /// <summary>Writes the options as a JSON object (kebab-case names, declaration order): the inverse of <see cref="Bind"/>.</summary>
    public static void Write(Utf8JsonWriter writer, object options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        writer.WriteStartObject();
        foreach (var property in Settable(options.GetType()))
        {
            writer.WritePropertyName(Names.Kebab(property.Name));
            WriteValue(writer, property.GetValue(options));
        }
        writer.WriteEndObject();
    }

    /// <summary>The options as a compact JSON string.</summary>
    public static string ToJson(object options)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, options);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static PropertyInfo[] Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken)
            .ToArray();

    private static string Join(string path, string name) => string.IsNullOrEmpty(path) ? name : $"{path}.{name}";

    private static object? Convert(JsonElement value, Type type, string path)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return value.ValueKind == JsonValueKind.Null ? null : Convert(value, underlying, path);
        }
        if (type == typeof(double))
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d))
            {
                return d;
            }
            throw new OptionsException(path, $"must be a number, not {Describe(value)}.");
        }
        if (type == typeof(int) || type == typeof(long))
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l) && (type == typeof(long) || l is >= int.MinValue and <= int.MaxValue))
            {
                return type == typeof(int) ? (object)(int)l : l;
            }
            throw new OptionsException(path, $"must be a whole number, not {Describe(value)}.");
        }
        if (type == typeof(ulong))
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var u))
            {
                return u;
            }
            throw new OptionsException(path, $"must be a whole number of at least 0, not {Describe(value)}.");
        }
        if (type == typeof(bool))
        {
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new OptionsException(path, $"must be true or false, not {Describe(value)}."),
            };
        }
        if (type == typeof(string))
        {
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null => null,
                _ => throw new OptionsException(path, $"must be text, not {Describe(value)}."),
            };
        }
        if (type.IsEnum)
        {
            var allowed = Enum.GetNames(type);
            var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : null;
            var match = text is null ? null : allowed.FirstOrDefault(n => Names.Matches(text, n));
            return match is not null
                ? Enum.Parse(type, match)
                : throw new OptionsException(path, $"{Describe(value)} is not allowed; allowed values: {string.Join(", ", Names.Of(type))}.");
        }
        var element = ElementType(type);
        if (element is not null)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw new OptionsException(path, $"must be a list, not {Describe(value)}.");
            }
            var items = value.EnumerateArray().Select((item, i) => Convert(item, element, $"{path}[{i}]")).ToArray();
            var array = Array.CreateInstance(element, items.Length);
            for (var i = 0; i < items.Length; i++)
            {
                array.SetValue(items[i], i);
            }
            return array;
        }
        if (typeof(IValidatable).IsAssignableFrom(type))
        {
            return Bind(type, value, path);
        }
        throw new NotSupportedException($"Options of type {type.Name} cannot be read from JSON ({path}).");
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }
        return type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) || type.GetGenericTypeDefinition() == typeof(IReadOnlyCollection<>))
            ? type.GetGenericArguments()[0]
            : null;
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case ulong u:
                writer.WriteNumberValue(u);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case Enum e:
                writer.WriteStringValue(Names.Kebab(e.ToString()));
                break;
            case System.Collections.IEnumerable list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                Write(writer, value);
                break;
        }
    }

    private static string FormatValue(object? value) => value switch
    {
        null => "(none)",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => Names.Kebab(e.ToString()),
        string s => s,
        System.Collections.IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(FormatValue)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => ToJson(value),
    };

    private static string TypeWords(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(double))
        {
            return "number";
        }
        if (type == typeof(int) || type == typeof(long) || type == typeof(ulong))
        {
            return "whole number";
        }
        if (type == typeof(bool))
        {
            return "true/false";
        }
        if (type == typeof(string))
        {
            return "text";
        }
        if (type.IsEnum)
        {
            return "one of " + string.Join(" | ", Names.Of(type));
        }
        var element = ElementType(type);
        return element is not null ? $"list of {TypeWords(element)}" : "object";
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"'{value.GetString()}'",
        JsonValueKind.Number => value.GetRawText(),
        _ => Describe(value.ValueKind),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "text",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        _ => "null",
    };
}
