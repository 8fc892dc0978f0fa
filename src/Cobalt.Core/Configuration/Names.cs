using System.Text;

namespace Cobalt.Core.Configuration;

/// <summary>Kebab-case names for configuration: <c>UserOuterItem</c> is written <c>user-outer-item</c>.</summary>
public static class Names
{
    /// <summary>PascalCase or camelCase to kebab-case.</summary>
    public static string Kebab(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    builder.Append('-');
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    /// <summary>The kebab-case names of an enum's values.</summary>
    public static IReadOnlyList<string> Of<T>()
        where T : struct, Enum => Enum.GetNames<T>().Select(Kebab).ToArray();

    /// <summary>The kebab-case names of an enum type's values.</summary>
    public static IReadOnlyList<string> Of(Type enumType) => Enum.GetNames(enumType).Select(Kebab).ToArray();

    /// <summary>Whether <paramref name="text"/> names <paramref name="member"/> (kebab, camel or Pascal case, any letter case).</summary>
    public static bool Matches(string text, string member) =>
        string.Equals(text, member, StringComparison.OrdinalIgnoreCase) || string.Equals(text, Kebab(member), StringComparison.OrdinalIgnoreCase);
}
