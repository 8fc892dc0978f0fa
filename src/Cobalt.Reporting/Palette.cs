using System.Globalization;

namespace Cobalt.Reporting;

/// <summary>
/// Series colours readable on a white background: the colour-blind-safe Okabe-Ito hues with the light ones darkened
/// (orange to ochre, sky blue to violet, yellow left out) so that every colour has a WCAG contrast ratio of at least
/// 3:1 against white, the minimum for graphical objects (WCAG 2.1, success criterion 1.4.11).
/// After eight colour groups the colours repeat with a dotted or dash-dot pattern.
/// </summary>
/// <remarks>
/// Okabe and Ito, "Color Universal Design" (2008). Contrast ratio (WCAG 2.1): (L1 + 0.05) / (L2 + 0.05) with L the
/// relative luminance 0.2126 R + 0.7152 G + 0.0722 B of the linearised sRGB channels
/// (c / 12.92 when c &lt;= 0.03928, else ((c + 0.055) / 1.055)^2.4).
/// </remarks>
public static class Palette
{
    private static readonly string[] ColorList = ["#0072B2", "#D55E00", "#009E73", "#B8527F", "#A6761D", "#7B3294", "#000000", "#666666"];
    private static readonly string[] Solid = ["", "2 3", "8 3 2 3"];

    /// <summary>The dash pattern of a dashed series (a two-stage policy beside its one-stage twin).</summary>
    public const string DashedPattern = "7 4";

    /// <summary>The colours, in the order series groups take them.</summary>
    public static IReadOnlyList<string> Colors => ColorList;

    /// <summary>The colour of series group <paramref name="index"/>.</summary>
    public static string Color(int index) => ColorList[index % ColorList.Length];

    /// <summary>The stroke-dasharray of series group <paramref name="index"/> (dashed or not); empty for a solid line.</summary>
    public static string Dash(int index, bool dashed = false)
    {
        var pattern = Solid[index / ColorList.Length % Solid.Length];
        return dashed ? (pattern.Length == 0 ? DashedPattern : DashedPattern + " " + pattern) : pattern;
    }

    /// <summary>The WCAG 2.1 contrast ratio of two <c>#RRGGBB</c> colours, from 1 (same luminance) to 21 (black on white).</summary>
    public static double ContrastRatio(string first, string second)
    {
        double a = Luminance(first), b = Luminance(second);
        return (Math.Max(a, b) + 0.05) / (Math.Min(a, b) + 0.05);
    }

    private static double Luminance(string color)
    {
        ArgumentNullException.ThrowIfNull(color);
        if (color.Length != 7 || color[0] != '#')
        {
            throw new ArgumentException($"'{color}' is not a #RRGGBB colour.", nameof(color));
        }
        double Channel(int at)
        {
            double c = int.Parse(color.AsSpan(at, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
            return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        return (0.2126 * Channel(1)) + (0.7152 * Channel(3)) + (0.0722 * Channel(5));
    }
}
