namespace Cobalt.Reporting;

/// <summary>
/// Series colours from the colour-blind-safe Okabe-Ito palette (yellow last: it is faint on white).
/// After eight series the colours repeat with a different dash pattern.
/// </summary>
internal static class Palette
{
    private static readonly string[] Colors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];
    private static readonly string[] Dashes = ["", "6 3", "2 3", "8 3 2 3"];

    /// <summary>The colour of series <paramref name="index"/>.</summary>
    public static string Color(int index) => Colors[index % Colors.Length];

    /// <summary>The stroke-dasharray of series <paramref name="index"/>; empty for a solid line.</summary>
    public static string Dash(int index) => Dashes[index / Colors.Length % Dashes.Length];
}
